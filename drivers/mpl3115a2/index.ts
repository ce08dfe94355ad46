/** Public API of the MPL3115A2 driver. */
import type { Mpl3115a2SensorConfig } from '../../agent/config/types.js';
import type { Clock } from '../clock.js';
import { environmentFromConfig } from '../environment.js';
import { Mpl3115a2Simulator } from './simulator.js';

export { Mpl3115a2, type Mpl3115a2Options } from './mpl3115a2.js';
export { altitudeM, barIn, encodeAltitude, encodePressure, encodeTemperature, pressurePa, temperatureC } from './conversion.js';
export { Mpl3115a2Simulator, type Mpl3115a2SimulatorOptions } from './simulator.js';

/** The simulated chip for an mpl3115a2 sensor entry. */
export function simulateMpl3115a2(config: Mpl3115a2SensorConfig, clock: Clock): Mpl3115a2Simulator {
  return new Mpl3115a2Simulator(clock, { environment: environmentFromConfig(config.simulation, config.settings.seaLevelPa) });
}
