/**
 * The driver registry: from a sensor's `driver` key to a Sensor on a bus, and to its simulator.
 * A new chip is one entry here, one schema entry, and its folder under drivers/.
 */
import type { Clock } from '../drivers/clock.js';
import type { I2cBus } from '../drivers/i2c/i2c-bus.js';
import type { I2cDevice } from '../drivers/i2c/simulated-bus.js';
import type { Sensor } from '../drivers/sensor.js';
import type { DriverName, SensorConfig } from './config/types.js';

interface DriverEntry<C extends SensorConfig> {
  create(bus: I2cBus, clock: Clock, config: C): Sensor;
  simulate(clock: Clock, config: C): I2cDevice;
}

/**
 * Each driver is loaded when a sensor needs it, not all of them with the agent: a board with one
 * BMP280 does not parse the other four drivers and their simulators (~20 ms and 0.5 MB here,
 * several times that on a Pi's core; README "Performance").
 */
type Registry = { [D in DriverName]: () => Promise<DriverEntry<Extract<SensorConfig, { driver: D }>>> };

/** Every driver takes its bus, a clock, and the address and settings of its config entry. */
type DriverClass<C extends SensorConfig> = new (bus: I2cBus, clock: Clock, options: { address: number; settings: C['settings'] }) => Sensor;

function driver<C extends SensorConfig>(Driver: DriverClass<C>, simulate: DriverEntry<C>['simulate']): DriverEntry<C> {
  return { create: (bus, clock, config) => new Driver(bus, clock, { address: config.address, settings: config.settings }), simulate };
}

const DRIVERS: Registry = {
  bmp280: async () => {
    const { Bmp280, simulatorFromConfig } = await import('../drivers/bmp280/index.js');
    return driver(Bmp280, (clock, config) => simulatorFromConfig(config.simulation, config.settings.seaLevelPa, clock));
  },
  bmp388: async () => {
    const { Bmp388, simulateBmp388 } = await import('../drivers/bmp388/index.js');
    return driver(Bmp388, (clock, config) => simulateBmp388(config, clock));
  },
  ms5611: async () => {
    const { Ms5611, simulateMs5611 } = await import('../drivers/ms5611/index.js');
    return driver(Ms5611, (clock, config) => simulateMs5611(config, clock));
  },
  bmp180: async () => {
    const { Bmp180, simulateBmp180 } = await import('../drivers/bmp180/index.js');
    return driver(Bmp180, (clock, config) => simulateBmp180(config, clock));
  },
  mpl3115a2: async () => {
    const { Mpl3115a2, simulateMpl3115a2 } = await import('../drivers/mpl3115a2/index.js');
    return driver(Mpl3115a2, (clock, config) => simulateMpl3115a2(config, clock));
  },
};

/** The entry for this config's driver (TypeScript cannot correlate the union and the map by itself). */
function entry<C extends SensorConfig>(config: C): Promise<DriverEntry<C>> {
  return (DRIVERS[config.driver] as unknown as () => Promise<DriverEntry<C>>)();
}

export async function createSensor(bus: I2cBus, clock: Clock, config: SensorConfig): Promise<Sensor> {
  return (await entry(config)).create(bus, clock, config);
}

export async function simulateSensor(clock: Clock, config: SensorConfig): Promise<I2cDevice> {
  return (await entry(config)).simulate(clock, config);
}
