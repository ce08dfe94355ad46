/** The bmp388 driver as the registry knows it (drivers/description.ts). */
import type { DriverDescription } from '../description.js';
import { choiceOf } from '../options.js';
import { environmentSimulation, SEA_LEVEL_PA, type EnvironmentSimulation } from '../shared-options.js';
import * as R from './registers.js';
import { conversionTimeMs, FILTER_CODE, OVERSAMPLING_CODE, toRegisters, type Bmp388Settings } from './settings.js';

export type Bmp388Simulation = EnvironmentSimulation<'bmp388' | 'bmp390'>;

const oversampling = choiceOf('BMP388 oversampling', OVERSAMPLING_CODE);

export const BMP388: DriverDescription<'bmp388', Bmp388Settings, Bmp388Simulation> = {
  name: 'bmp388',
  aliases: ['bmp390', 'bmp3'],
  chips: ['BMP388', 'BMP390'],
  addresses: R.ADDRESSES,
  // Adafruit's BMP388 and BMP390 boards pull SDO up (their libraries default to 0x77).
  defaultAddress: 0x77,
  addressHint: 'use 0x76 (SDO to GND) or 0x77 (SDO to VDDIO; Adafruit boards)',
  // 0x60 is also a BME280's ID, but in register 0xD0: here the register is 0x00, so 0x60 is a BMP390.
  identify: { register: R.REG_CHIP_ID, ids: { [R.CHIP_ID_BMP388]: 'BMP388', [R.CHIP_ID_BMP390]: 'BMP390' } },
  measures: ['temperature', 'pressure', 'altitude'],
  settings: {
    oversampling: {
      temperature: { doc: 'Temperature oversampling (osr_t; x1 or x2 is plenty).', type: oversampling, default: 'x2' },
      pressure: { doc: 'Pressure oversampling (osr_p; x8 with temperature x1 is Bosch\'s drone preset).', type: oversampling, default: 'x16' },
    },
    filter: { doc: 'IIR filter coefficient (0 … 127; smooths pressure, adds lag).', type: choiceOf('BMP388 IIR filter coefficient', FILTER_CODE), default: 'off' },
    seaLevelPa: SEA_LEVEL_PA,
  },
  simulation: environmentSimulation(['bmp388', 'bmp390']),
  readingTimeMs(settings) {
    const { osrP, osrT } = toRegisters(settings);
    return conversionTimeMs(osrP, osrT);
  },
  async create(bus, clock, options) {
    const { Bmp388 } = await import('./bmp388.js');
    return new Bmp388(bus, clock, options);
  },
  async simulate(clock, { settings, simulation }) {
    const [{ Bmp388Simulator }, { environmentFromConfig }] = await Promise.all([import('./simulator.js'), import('../environment.js')]);
    return new Bmp388Simulator(clock, {
      chip: simulation.chip === 'bmp390' ? 'BMP390' : 'BMP388',
      environment: environmentFromConfig(simulation, settings.seaLevelPa),
    });
  },
};
