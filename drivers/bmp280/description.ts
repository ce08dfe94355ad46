/** The bmp280 driver (BMP280 and BME280) as the registry knows it (drivers/description.ts). */
import type { DriverDescription, EntryProblem } from '../description.js';
import { choiceOf, type CheckedKind, type OptionIssue } from '../options.js';
import { ENVIRONMENT_OPTIONS, SEA_LEVEL_PA, type EnvironmentOptions } from '../shared-options.js';
import type { Quantity } from '../sensor.js';
import * as R from './registers.js';
import { FILTER_BY_NAME, maxMeasurementTimeMs, OVERSAMPLING_BY_NAME, STANDBY_CHOICES, STANDBY_MS, type Bmp280Settings } from './settings.js';

/** What a bmp280 sensor entry's `simulation` holds: the shared environments, raw ADC counts, NVM words. */
export interface Bmp280Simulation extends EnvironmentOptions {
  chip: 'bmp280' | 'bme280';
  /**
   * `flight`: the classic drone profile (ground, climb to hoverFt, hover, land), repeating.
   * `static`: constant conditions. `raw`: the ADC values in `raw`, replayed as they are.
   */
  scenario: 'flight' | 'static' | 'raw';
  humidityPct: number;
  /** Overrides of the simulated chip's calibration NVM (default: a real chip's words). */
  calibration: R.CalibrationWords;
  /** adcH absent: what the chip reads while humidity is off (0x8000). */
  raw: { adcT: number; adcP: number; adcH?: number } | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function wordRange(type: { bits: number; signed: boolean }): [number, number] {
  return type.signed ? [-(2 ** (type.bits - 1)), 2 ** (type.bits - 1) - 1] : [0, 2 ** type.bits - 1];
}

/** `simulation.calibration`: words by name, each within its NVM type (registers.ts). */
const calibrationWords: CheckedKind = {
  kind: 'checked',
  allowed: 'object of dig_T1…dig_P9 (BMP280) and dig_H1…dig_H6 (BME280) integers',
  check(value, text) {
    if (!isObject(value)) return [{ message: `${text.show(value)} is not an object of calibration words`, hint: 'e.g. { "dig_T1": 27504, "dig_T2": 26435 }' }];
    const names = Object.keys(R.CALIBRATION_WORD_TYPES);
    const issues: OptionIssue[] = [];
    for (const [name, word] of Object.entries(value)) {
      // Own keys only: "toString" or "constructor" must not find Object.prototype's.
      const type = Object.hasOwn(R.CALIBRATION_WORD_TYPES, name) ? R.CALIBRATION_WORD_TYPES[name as R.CalibrationWordName] : undefined;
      if (!type) {
        const guess = text.closest(name, names);
        issues.push({ key: text.keyPath(name), message: `unknown calibration word '${text.key(name)}'${guess ? ` — did you mean '${guess}'?` : ''}`, hint: 'words are dig_T1–dig_T3, dig_P1–dig_P9, dig_H1–dig_H6' });
        continue;
      }
      const [min, max] = wordRange(type);
      if (typeof word !== 'number' || !Number.isInteger(word) || word < min || word > max) {
        issues.push({ key: name, message: `${text.show(word)} does not fit ${name} (${type.signed ? 's' : 'u'}${type.bits})`, hint: `use an integer from ${min} to ${max}` });
      } else if (name === 'dig_P1' && word === 0) {
        issues.push({ key: name, message: 'dig_P1 is 0', hint: 'pressure compensation divides by dig_P1; a real chip never has 0' });
      }
    }
    return issues;
  },
};

/** Width of each raw ADC count: temperature and pressure 20-bit, humidity 16-bit (BMP280 §3.4, BME280 §4). */
const RAW_BITS = { adcT: 20, adcP: 20, adcH: 16 } as const;

/** `simulation.raw`: the counts scenario "raw" replays. */
const rawCounts: CheckedKind = {
  kind: 'checked',
  allowed: 'null, or { adcT, adcP: 20-bit; adcH: 16-bit (default 0x8000, what the chip reads while humidity is off) }',
  check(value, text) {
    if (value === null) return [];
    if (!isObject(value)) return [{ message: `${text.show(value)} is not raw ADC values`, hint: 'e.g. { "adcT": 519888, "adcP": 415148 }, or null' }];
    const issues: OptionIssue[] = [];
    for (const [key, count] of Object.entries(value)) {
      const bits = Object.hasOwn(RAW_BITS, key) ? RAW_BITS[key as keyof typeof RAW_BITS] : undefined;
      if (bits === undefined) {
        const guess = text.closest(key, Object.keys(RAW_BITS));
        issues.push({ key: text.keyPath(key), message: `unknown key '${text.key(key)}'${guess ? ` — did you mean '${guess}'?` : ''}`, hint: 'raw values are adcT, adcP and adcH' });
      } else if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 2 ** bits - 1) {
        issues.push({ key, message: `${text.show(count)} does not fit ${key}`, hint: `use an integer from 0 to ${2 ** bits - 1} (${bits}-bit)` });
      }
    }
    for (const key of ['adcT', 'adcP'] as const) {
      if (!Object.hasOwn(value, key)) issues.push({ key, message: `${key} is missing`, hint: 'a raw scenario needs both adcT and adcP' });
    }
    return issues;
  },
};

const oversampling = choiceOf('oversampling', OVERSAMPLING_BY_NAME);
const CHIP_OF = { bmp280: 'BMP280', bme280: 'BME280' } as const;

export const BMP280: DriverDescription<'bmp280', Bmp280Settings, Bmp280Simulation> = {
  name: 'bmp280',
  aliases: ['bme280'],
  chips: ['BMP280', 'BME280'],
  addresses: R.ADDRESSES,
  defaultAddress: 0x76,
  addressHint: 'use 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)',
  identify: {
    register: R.REG_CHIP_ID,
    ids: {
      [R.CHIP_ID_BMP280]: 'BMP280',
      ...Object.fromEntries(R.CHIP_ID_BMP280_SAMPLES.map((id) => [id, 'BMP280'])),
      [R.CHIP_ID_BME280]: 'BME280',
    },
  },
  measures: ['temperature', 'pressure', 'humidity', 'altitude'],
  measuredOnlyBy: { humidity: 'BME280' },
  settings: {
    mode: {
      doc: 'forced: one conversion per reading, then sleep; normal: continuous with standbyMs between conversions.',
      type: { kind: 'choice', what: 'mode', values: ['forced', 'normal'] },
      default: 'forced',
    },
    oversampling: {
      temperature: { doc: 'Temperature oversampling (skip makes pressure impossible).', type: oversampling, default: 'x2' },
      pressure: { doc: 'Pressure oversampling (x16 with temperature x2: the datasheet\'s drone preset).', type: oversampling, default: 'x16' },
      humidity: { doc: 'Humidity oversampling (BME280 only).', type: oversampling, default: 'x1' },
    },
    filter: { doc: 'IIR filter coefficient (smooths pressure; adds lag of several readings).', type: choiceOf('IIR filter', FILTER_BY_NAME), default: 'off' },
    standbyMs: {
      doc: 'Standby between conversions in normal mode, ms; 10 and 20 exist only on the BME280, 2000 and 4000 only on the BMP280.',
      type: { kind: 'choice', what: 'standby time (ms)', values: STANDBY_CHOICES },
      default: 0.5,
    },
    seaLevelPa: SEA_LEVEL_PA,
  },
  simulation: {
    chip: { doc: 'Chip the simulator answers as.', type: { kind: 'choice', what: 'simulated chip', values: ['bmp280', 'bme280'] }, default: 'bmp280' },
    scenario: {
      doc: 'flight: ground, climb to hoverFt, hover, land, repeat; static: constant; raw: replay `raw`.',
      type: { kind: 'choice', what: 'scenario', values: ['flight', 'static', 'raw'] },
      default: 'flight',
    },
    ...ENVIRONMENT_OPTIONS,
    humidityPct: { doc: 'Simulated relative humidity (BME280), %.', type: { kind: 'number', what: 'relative humidity', min: 0, max: 100, hint: 'in %RH' }, default: 45 },
    calibration: { doc: 'Overrides of the simulated calibration NVM words (dig_T1 …); {} = a real chip\'s words.', type: calibrationWords, default: {} },
    raw: { doc: 'ADC values for scenario raw: { adcT, adcP, adcH }.', type: rawCounts, default: null, nullable: true },
  },
  /**
   * Forced mode waits for one conversion, at most its worst case (§3.8.1; BME280 §9.1, humidity
   * counted: the chip is not known before init). Normal mode reads the last finished conversion.
   */
  readingTimeMs: (s) => s.mode === 'forced'
    ? maxMeasurementTimeMs(OVERSAMPLING_BY_NAME[s.oversampling.temperature], OVERSAMPLING_BY_NAME[s.oversampling.pressure], OVERSAMPLING_BY_NAME[s.oversampling.humidity])
    : undefined,
  rules: [
    {
      doc: 'An enabled quantity is measured: pressure and altitude need pressure oversampling, everything needs temperature (compensation uses t_fine), humidity needs humidity oversampling.',
      check({ settings, enabled }) {
        const o = settings.oversampling;
        const on = (q: Quantity): boolean => enabled.has(q);
        const out: EntryProblem[] = [];
        const skipped = (q: 'temperature' | 'pressure' | 'humidity', needs: readonly Quantity[], why: string): void => {
          const affected = needs.filter(on);
          if (o[q] === 'skip' && affected.length > 0) {
            out.push({ path: `settings.oversampling.${q}`, message: `'skip' while ${affected.join(' and ')} ${affected.length > 1 ? 'are' : 'is'} enabled`, hint: `${why}; use x1 or more, or disable ${affected.join(' and ')}` });
          }
        };
        skipped('temperature', BMP280.measures, 'compensating any reading needs t_fine from the temperature (datasheet 3.11.3)');
        skipped('pressure', ['pressure', 'altitude'], 'altitude is computed from pressure');
        skipped('humidity', ['humidity'], 'a chip with humidity oversampling off does not measure it');
        return out;
      },
    },
    {
      doc: 'A raw simulation scenario has raw values; a simulated BMP280 has no dig_H* words; when simulated, standbyMs exists on the simulated chip (10/20 BME280 only, 2000/4000 BMP280 only).',
      check({ settings, simulation }, { simulated }) {
        const out: EntryProblem[] = [];
        if (simulation.scenario === 'raw' && simulation.raw === null) {
          out.push({ path: 'simulation.raw', message: 'scenario "raw" needs raw ADC values, and raw is null', hint: 'e.g. "raw": { "adcT": 519888, "adcP": 415148 }' });
        }
        if (simulation.chip === 'bmp280') {
          for (const word of Object.keys(simulation.calibration).filter((w) => w.startsWith('dig_H'))) {
            out.push({ path: `simulation.calibration.${word}`, message: `a BMP280 has no ${word}`, hint: 'humidity calibration exists on the BME280 only: set simulation.chip to "bme280" or remove it' });
          }
        }
        // The t_sb codes 110 and 111 mean 2000/4000 ms on a BMP280 and 10/20 ms on a BME280.
        const chip = CHIP_OF[simulation.chip];
        const other = chip === 'BMP280' ? 'BME280' : 'BMP280';
        const has = (c: R.Bmp280Chip): boolean => (STANDBY_MS[c] as readonly number[]).includes(settings.standbyMs);
        if (simulated && settings.mode === 'normal' && !has(chip) && has(other)) {
          out.push({ path: 'settings.standbyMs', message: `${settings.standbyMs} ms standby does not exist on a ${chip}`, hint: `only the ${other} has it (the t_sb codes 110/111 differ); pick another standby` });
        }
        return out;
      },
    },
  ],
  async create(bus, clock, options) {
    const { Bmp280 } = await import('./bmp280.js');
    return new Bmp280(bus, clock, options);
  },
  async simulate(clock, { settings, simulation }) {
    const { simulatorFromConfig } = await import('./scenarios.js');
    return simulatorFromConfig(simulation, settings.seaLevelPa, clock);
  },
};
