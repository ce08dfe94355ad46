/**
 * The driver registry: from a sensor's `driver` key to a Sensor on a bus, and to its simulator.
 * A new chip is one entry here, one schema entry, and its folder under drivers/.
 */
import { Bmp180, simulateBmp180 } from '../drivers/bmp180/index.js';
import { Bmp280, simulatorFromConfig } from '../drivers/bmp280/index.js';
import { Bmp388, simulateBmp388 } from '../drivers/bmp388/index.js';
import type { Clock } from '../drivers/clock.js';
import { Mpl3115a2, simulateMpl3115a2 } from '../drivers/mpl3115a2/index.js';
import { Ms5611, simulateMs5611 } from '../drivers/ms5611/index.js';
import type { I2cBus } from '../drivers/i2c/i2c-bus.js';
import type { I2cDevice } from '../drivers/i2c/simulated-bus.js';
import type { Sensor } from '../drivers/sensor.js';
import type { DriverName, SensorConfig } from './config/types.js';

interface DriverEntry<C extends SensorConfig> {
  create(bus: I2cBus, clock: Clock, config: C): Sensor;
  simulate(clock: Clock, config: C): I2cDevice;
}

type Registry = { [D in DriverName]: DriverEntry<Extract<SensorConfig, { driver: D }>> };

const DRIVERS: Registry = {
  bmp280: {
    create: (bus, clock, config) => new Bmp280(bus, clock, { address: config.address, settings: config.settings }),
    simulate: (clock, config) => simulatorFromConfig(config.simulation, config.settings.seaLevelPa, clock),
  },
  bmp388: {
    create: (bus, clock, config) => new Bmp388(bus, clock, { address: config.address, settings: config.settings }),
    simulate: (clock, config) => simulateBmp388(config, clock),
  },
  ms5611: {
    create: (bus, clock, config) => new Ms5611(bus, clock, { address: config.address, settings: config.settings }),
    simulate: (clock, config) => simulateMs5611(config, clock),
  },
  bmp180: {
    create: (bus, clock, config) => new Bmp180(bus, clock, { address: config.address, settings: config.settings }),
    simulate: (clock, config) => simulateBmp180(config, clock),
  },
  mpl3115a2: {
    create: (bus, clock, config) => new Mpl3115a2(bus, clock, { address: config.address, settings: config.settings }),
    simulate: (clock, config) => simulateMpl3115a2(config, clock),
  },
};

/** The entry for this config's driver (TypeScript cannot correlate the union and the map by itself). */
function entry<C extends SensorConfig>(config: C): DriverEntry<C> {
  return DRIVERS[config.driver] as unknown as DriverEntry<C>;
}

export function createSensor(bus: I2cBus, clock: Clock, config: SensorConfig): Sensor {
  return entry(config).create(bus, clock, config);
}

export function simulateSensor(clock: Clock, config: SensorConfig): I2cDevice {
  return entry(config).simulate(clock, config);
}
