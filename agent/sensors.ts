/**
 * The driver registry: from a sensor's `driver` key to a Sensor on a bus, and to its simulator.
 * A new chip is one entry here, one schema entry, and its folder under drivers/.
 */
import { Bmp280, simulatorFromConfig } from '../drivers/bmp280/index.js';
import type { Clock } from '../drivers/clock.js';
import type { I2cBus } from '../drivers/i2c/i2c-bus.js';
import type { I2cDevice } from '../drivers/i2c/simulated-bus.js';
import type { Sensor } from '../drivers/sensor.js';
import type { SensorConfig } from './config/types.js';

interface DriverEntry {
  create(bus: I2cBus, clock: Clock, config: SensorConfig): Sensor;
  simulate(clock: Clock, config: SensorConfig): I2cDevice;
}

const DRIVERS: Record<SensorConfig['driver'], DriverEntry> = {
  bmp280: {
    create: (bus, clock, config) => new Bmp280(bus, clock, { address: config.address, settings: config.settings }),
    simulate: (clock, config) => simulatorFromConfig(config.simulation, config.settings.seaLevelPa, clock),
  },
};

export function createSensor(bus: I2cBus, clock: Clock, config: SensorConfig): Sensor {
  return DRIVERS[config.driver].create(bus, clock, config);
}

export function simulateSensor(clock: Clock, config: SensorConfig): I2cDevice {
  return DRIVERS[config.driver].simulate(clock, config);
}
