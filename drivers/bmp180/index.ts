/** Public API of the BMP180 / BMP085 driver. */
import type { Bmp180SensorConfig } from '../../agent/config/types.js';
import type { Clock } from '../clock.js';
import { environmentFromConfig } from '../environment.js';
import { Bmp180Simulator } from './simulator.js';

export { Bmp180, OSS, type Bmp180Options } from './bmp180.js';
export { b5, encodeCalibration, EXAMPLE_CALIBRATION, parseCalibration, pressurePa, temperatureDeciC, type Bmp180Calibration } from './compensation.js';
export { Bmp180Simulator, type Bmp180SimulatorOptions } from './simulator.js';

/** The simulated chip for a bmp180 sensor entry. */
export function simulateBmp180(config: Bmp180SensorConfig, clock: Clock): Bmp180Simulator {
  return new Bmp180Simulator(clock, { environment: environmentFromConfig(config.simulation, config.settings.seaLevelPa) });
}
