/**
 * The mapping from the agent's `simulation` config to a simulated BMP280/BME280. The flight and
 * static environments are chip-neutral (drivers/environment.ts); only `raw` is this chip's own.
 */
import type { SimulationConfig } from '../../agent/config/types.js';
import type { Clock } from '../clock.js';
import { environmentFromConfig } from '../environment.js';
import { Bmp280Simulator } from './simulator.js';

/** The simulated chip for a sensor's `simulation` config section. */
export function simulatorFromConfig(sim: SimulationConfig, seaLevelPa: number, clock: Clock): Bmp280Simulator {
  const chip = sim.chip === 'bme280' ? 'BME280' : 'BMP280';
  const common = { chip, calibration: sim.calibration } as const;
  if (sim.scenario === 'raw') {
    if (!sim.raw) throw new RangeError(`simulation.scenario is 'raw' but simulation.raw ({ adcT, adcP, adcH }) is not set`);
    return new Bmp280Simulator(clock, { ...common, raw: { ...sim.raw } });
  }
  return new Bmp280Simulator(clock, { ...common, environment: environmentFromConfig(sim, seaLevelPa) });
}
