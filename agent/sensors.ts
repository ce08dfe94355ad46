/**
 * A sensor entry of the configuration to its driver and its simulated chip, through the driver
 * registry (drivers/registry.ts). The registry loads a driver when a sensor needs it, not all of
 * them with the agent: a board with one BMP280 does not parse the other drivers nor any simulator
 * (README "Performance").
 */
import type { Clock } from '../drivers/clock.js';
import type { I2cBus } from '../drivers/i2c/i2c-bus.js';
import type { I2cDevice } from '../drivers/i2c/simulated-bus.js';
import { driverNamed, type AnyDriver } from '../drivers/registry.js';
import type { Sensor } from '../drivers/sensor.js';
import type { SensorConfig } from './config/types.js';

function driverOf(config: SensorConfig): AnyDriver {
  const driver = driverNamed(config.driver);
  // The loader only lets registered drivers through; a configuration built by hand might not.
  if (!driver) throw new Error(`sensor ${config.name}: no driver named '${String(config.driver)}'`);
  return driver;
}

export async function createSensor(bus: I2cBus, clock: Clock, config: SensorConfig): Promise<Sensor> {
  return driverOf(config).create(bus, clock, { address: config.address, settings: config.settings });
}

export async function simulateSensor(clock: Clock, config: SensorConfig): Promise<I2cDevice> {
  return driverOf(config).simulate(clock, { address: config.address, settings: config.settings, simulation: config.simulation });
}
