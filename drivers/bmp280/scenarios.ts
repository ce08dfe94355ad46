/**
 * A sensor entry's `simulation` as a simulated BMP280/BME280. The flight and static environments
 * are chip-neutral (drivers/environment.ts); only `raw` and the calibration words are this chip's.
 */
import type { Clock } from '../clock.js';
import { environmentFromConfig } from '../environment.js';
import type { Bmp280Simulation } from './description.js';
import { SKIPPED_ADC_16 } from './registers.js';
import { Bmp280Simulator } from './simulator.js';

/** The simulated chip for a sensor's `simulation` section. */
export function simulatorFromConfig(sim: Bmp280Simulation, seaLevelPa: number, clock: Clock): Bmp280Simulator {
  const chip = sim.chip === 'bme280' ? 'BME280' : 'BMP280';
  const common = { chip, calibration: sim.calibration } as const;
  if (sim.scenario === 'raw') {
    if (!sim.raw) throw new RangeError(`simulation.scenario is 'raw' but simulation.raw ({ adcT, adcP, adcH }) is not set`);
    // No adcH: what the humidity register reads while humidity is off (BME280 §5.4.9).
    return new Bmp280Simulator(clock, { ...common, raw: { adcT: sim.raw.adcT, adcP: sim.raw.adcP, adcH: sim.raw.adcH ?? SKIPPED_ADC_16 } });
  }
  return new Bmp280Simulator(clock, { ...common, environment: environmentFromConfig(sim, seaLevelPa) });
}
