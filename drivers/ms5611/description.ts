/** The ms5611 driver as the registry knows it (drivers/description.ts). */
import type { DriverDescription } from '../description.js';
import { environmentSimulation, SEA_LEVEL_PA, type EnvironmentSimulation } from '../shared-options.js';
import * as C from './commands.js';

/** What an ms5611 sensor entry's `settings` hold. */
export interface Ms5611Settings {
  /** Oversampling ratio of both conversions (D1 and D2). */
  osr: C.Ms5611Osr;
  /** Sea-level reference pressure (QNH) for altitude, Pa. */
  seaLevelPa: number;
}

export type Ms5611Simulation = EnvironmentSimulation<'ms5611'>;

export const MS5611: DriverDescription<'ms5611', Ms5611Settings, Ms5611Simulation> = {
  name: 'ms5611',
  aliases: [],
  chips: ['MS5611'],
  addresses: C.ADDRESSES,
  // GY-63 and GY-86 boards tie CSB to GND.
  defaultAddress: 0x77,
  addressHint: 'use 0x77 (CSB to GND; GY-63/GY-86 boards) or 0x76 (CSB to VDD)',
  identify: {
    // No ID register: the eight PROM read commands (reads only) and a valid CRC-4 identify it.
    what: 'a valid CRC-4 over its PROM (no ID register)',
    async read(bus, address) {
      const [{ readProm }, { promCrc4, promValid }] = await Promise.all([import('./ms5611.js'), import('./compensation.js')]);
      const prom = await readProm(bus, address);
      return promValid(prom) ? { id: promCrc4(prom), chip: 'MS5611' } : { id: promCrc4(prom) };
    },
  },
  measures: ['temperature', 'pressure', 'altitude'],
  settings: {
    osr: {
      doc: 'Oversampling ratio of both conversions: 256 (0.6 ms, 0.065 mbar RMS) … 4096 (9.04 ms, 0.012 mbar).',
      type: { kind: 'choice', what: 'MS5611 oversampling ratio', values: C.OSRS },
      default: 4096,
    },
    seaLevelPa: SEA_LEVEL_PA,
  },
  simulation: environmentSimulation(['ms5611']),
  /** D2 then D1, each waited for its maximum conversion time. */
  readingTimeMs: (settings) => 2 * C.CONVERSION_MAX_MS[C.osrIndex(settings.osr)]!,
  async create(bus, clock, options) {
    const { Ms5611 } = await import('./ms5611.js');
    return new Ms5611(bus, clock, options);
  },
  async simulate(clock, { settings, simulation }) {
    const [{ Ms5611Simulator }, { environmentFromConfig }] = await Promise.all([import('./simulator.js'), import('../environment.js')]);
    return new Ms5611Simulator(clock, { environment: environmentFromConfig(simulation, settings.seaLevelPa) });
  },
};
