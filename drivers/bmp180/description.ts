/** The bmp180 driver as the registry knows it (drivers/description.ts). */
import type { DriverDescription } from '../description.js';
import { choiceOf } from '../options.js';
import { environmentSimulation, SEA_LEVEL_PA, type EnvironmentSimulation } from '../shared-options.js';
import * as R from './registers.js';

/** What a bmp180 sensor entry's `settings` hold. */
export interface Bmp180Settings {
  oversampling: R.Bmp180Oversampling;
  /** Sea-level reference pressure (QNH) for altitude, Pa. */
  seaLevelPa: number;
}

export type Bmp180Simulation = EnvironmentSimulation<'bmp180'>;

export const BMP180: DriverDescription<'bmp180', Bmp180Settings, Bmp180Simulation> = {
  name: 'bmp180',
  aliases: ['bmp085'],
  chips: ['BMP180', 'BMP085'],
  addresses: R.ADDRESSES,
  defaultAddress: 0x77,
  addressHint: 'the BMP180 answers only at 0x77',
  // The BMP085 answers 0x55 too: software cannot tell them apart, and this driver handles both.
  identify: { register: R.REG_ID, ids: { [R.CHIP_ID]: 'BMP180' } },
  measures: ['temperature', 'pressure', 'altitude'],
  settings: {
    oversampling: { doc: 'Pressure oversampling (oss 0–3): x1 4.5 ms … x8 25.5 ms.', type: choiceOf('BMP180 oversampling', R.OSS), default: 'x8' },
    seaLevelPa: SEA_LEVEL_PA,
  },
  simulation: environmentSimulation(['bmp180']),
  /** A temperature conversion, then a pressure conversion at oss. */
  readingTimeMs: (settings) => R.TEMPERATURE_MAX_MS + R.PRESSURE_MAX_MS[R.OSS[settings.oversampling]]!,
  async create(bus, clock, options) {
    const { Bmp180 } = await import('./bmp180.js');
    return new Bmp180(bus, clock, options);
  },
  async simulate(clock, { settings, simulation }) {
    const [{ Bmp180Simulator }, { environmentFromConfig }] = await Promise.all([import('./simulator.js'), import('../environment.js')]);
    return new Bmp180Simulator(clock, { environment: environmentFromConfig(simulation, settings.seaLevelPa) });
  },
};
