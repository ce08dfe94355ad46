/** Public API of the MS5611 driver. */
import type { Ms5611SensorConfig } from '../../agent/config/types.js';
import type { Clock } from '../clock.js';
import { environmentFromConfig } from '../environment.js';
import { Ms5611Simulator } from './simulator.js';

export { Ms5611, PromCrcError, readProm, type Ms5611Options } from './ms5611.js';
export { compensate, d1ForPressure, d2ForTemperature, EXAMPLE_PROM, promCrc4, promValid, withCrc, type Ms5611Result, type Prom } from './compensation.js';
export { Ms5611Simulator, type Ms5611SimulatorOptions } from './simulator.js';

/** The simulated chip for an ms5611 sensor entry. */
export function simulateMs5611(config: Ms5611SensorConfig, clock: Clock): Ms5611Simulator {
  return new Ms5611Simulator(clock, { environment: environmentFromConfig(config.simulation, config.settings.seaLevelPa) });
}
