/** The mpl3115a2 driver as the registry knows it (drivers/description.ts). */
import type { DriverDescription } from '../description.js';
import { choiceOf } from '../options.js';
import { environmentSimulation, SEA_LEVEL_PA, type EnvironmentSimulation } from '../shared-options.js';
import * as R from './registers.js';

/** barometer: the chip reports pressure; altimeter: it reports its own altitude from BAR_IN (CTRL_REG1 ALT). */
export type Mpl3115a2Mode = 'barometer' | 'altimeter';

/** What an mpl3115a2 sensor entry's `settings` hold. */
export interface Mpl3115a2Settings {
  mode: Mpl3115a2Mode;
  oversampling: R.Mpl3115a2Oversampling;
  /** Sea-level pressure, Pa: for our altitude in barometer mode, written to BAR_IN in altimeter mode. */
  seaLevelPa: number;
}

export type Mpl3115a2Simulation = EnvironmentSimulation<'mpl3115a2'>;

export const MPL3115A2: DriverDescription<'mpl3115a2', Mpl3115a2Settings, Mpl3115a2Simulation> = {
  name: 'mpl3115a2',
  aliases: ['mpl3115'],
  chips: ['MPL3115A2'],
  addresses: R.ADDRESSES,
  defaultAddress: 0x60,
  addressHint: 'the MPL3115A2 answers only at 0x60',
  // 0x60 is also the older MPL115A2's address; it has no WHO_AM_I, so it is not taken for this chip.
  identify: { register: R.REG_WHO_AM_I, ids: { [R.WHO_AM_I]: 'MPL3115A2' } },
  measures: ['temperature', 'pressure', 'altitude'],
  settings: {
    mode: {
      doc: 'barometer: the chip reports pressure (altitude computed here); altimeter: the chip reports altitude itself (no pressure).',
      type: { kind: 'choice', what: 'MPL3115A2 mode', values: ['barometer', 'altimeter'] },
      default: 'barometer',
    },
    oversampling: { doc: 'Oversampling: x1 (6 ms) … x128 (512 ms between samples).', type: choiceOf('MPL3115A2 oversampling', R.OVERSAMPLING_CODE), default: 'x128' },
    seaLevelPa: SEA_LEVEL_PA,
  },
  simulation: environmentSimulation(['mpl3115a2']),
  /** One one-shot sample at this oversampling. */
  readingTimeMs: (settings) => R.SAMPLE_TIME_MS[R.OVERSAMPLING_CODE[settings.oversampling]]!,
  rules: [
    {
      doc: 'In altimeter mode the chip reports altitude, not pressure: pressure must not be enabled.',
      check: (entry) => entry.settings.mode === 'altimeter' && entry.enabled.has('pressure')
        ? [{ path: 'measurements.pressure.enabled', message: 'an MPL3115A2 in altimeter mode reports altitude, not pressure', hint: 'set measurements.pressure.enabled to false, or settings.mode to "barometer" (altitude is then computed from pressure)' }]
        : [],
    },
  ],
  async create(bus, clock, options) {
    const { Mpl3115a2 } = await import('./mpl3115a2.js');
    return new Mpl3115a2(bus, clock, options);
  },
  async simulate(clock, { settings, simulation }) {
    const [{ Mpl3115a2Simulator }, { environmentFromConfig }] = await Promise.all([import('./simulator.js'), import('../environment.js')]);
    return new Mpl3115a2Simulator(clock, { environment: environmentFromConfig(simulation, settings.seaLevelPa) });
  },
};
