/** Public API of the BMP388 / BMP390 driver family. */
import type { Bmp388SensorConfig } from '../../agent/config/types.js';
import type { Clock } from '../clock.js';
import { environmentFromConfig } from '../environment.js';
import { Bmp388Simulator } from './simulator.js';

export { Bmp388, type Bmp388Options } from './bmp388.js';
export {
  encodeNvm, EXAMPLE_NVM, parseNvm, pressurePa, scaleCalibration, temperatureC, upForPressure, utForTemperature,
  type Bmp388Calibration, type Bmp388Nvm,
} from './compensation.js';
export { chipFromId, type Bmp388Chip } from './registers.js';
export { conversionTimeMs, toRegisters } from './settings.js';
export { Bmp388Simulator, type Bmp388SimulatorOptions } from './simulator.js';

/** The simulated chip for a bmp388 sensor entry. */
export function simulateBmp388(config: Bmp388SensorConfig, clock: Clock): Bmp388Simulator {
  return new Bmp388Simulator(clock, {
    chip: config.simulation.chip === 'bmp390' ? 'BMP390' : 'BMP388',
    environment: environmentFromConfig(config.simulation, config.settings.seaLevelPa),
  });
}
