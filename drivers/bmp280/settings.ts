/**
 * Settings as enums, never raw bits (section 3.3–3.6, BME280 3.4–3.5), and the datasheet's
 * measurement-time formulas (section 3.8.1, BME280 section 9.1).
 */
import {
  CONFIG_FILTER_SHIFT,
  CONFIG_T_SB_SHIFT,
  CTRL_HUM_OSRS_H_MASK,
  CTRL_MEAS_MODE_MASK,
  CTRL_MEAS_OSRS_P_SHIFT,
  CTRL_MEAS_OSRS_T_SHIFT,
  FIELD3_MASK,
  type Bmp280Chip,
} from './registers.js';

/** osrs_t / osrs_p / osrs_h codes (tables 20–22). 101, 110 and 111 all mean ×16. */
export enum Oversampling {
  Skip = 0,
  X1 = 1,
  X2 = 2,
  X4 = 3,
  X8 = 4,
  X16 = 5,
}

/** IIR filter codes (table 6): coefficient 1 (off), 2, 4, 8, 16; 100 and above mean 16. */
export enum Filter {
  Off = 0,
  X2 = 1,
  X4 = 2,
  X8 = 3,
  X16 = 4,
}

/** mode[1:0] (table 10): 01 and 10 are both forced mode. */
export enum Mode {
  Sleep = 0,
  Forced = 1,
  Normal = 3,
}

export const OVERSAMPLING_BY_NAME = {
  skip: Oversampling.Skip,
  x1: Oversampling.X1,
  x2: Oversampling.X2,
  x4: Oversampling.X4,
  x8: Oversampling.X8,
  x16: Oversampling.X16,
} as const satisfies Record<string, Oversampling>;

export const FILTER_BY_NAME = {
  off: Filter.Off,
  x2: Filter.X2,
  x4: Filter.X4,
  x8: Filter.X8,
  x16: Filter.X16,
} as const satisfies Record<string, Filter>;

export type OversamplingName = keyof typeof OVERSAMPLING_BY_NAME;
export type FilterName = keyof typeof FILTER_BY_NAME;
export type Bmp280Mode = 'forced' | 'normal';

/** t_sb in ms by code (BMP280 table 11; BME280 table 27 differs for 110 and 111). */
export const STANDBY_MS = {
  BMP280: [0.5, 62.5, 125, 250, 500, 1000, 2000, 4000],
  BME280: [0.5, 62.5, 125, 250, 500, 1000, 10, 20],
} as const satisfies Record<Bmp280Chip, readonly number[]>;

/** Normal-mode standby between conversions, in ms as the datasheets name them: either chip's. */
export type StandbyMs = (typeof STANDBY_MS)[Bmp280Chip][number];
/** Every standby time some chip of the family has, shortest first. */
export const STANDBY_CHOICES: readonly StandbyMs[] = [...new Set([...STANDBY_MS.BMP280, ...STANDBY_MS.BME280])].sort((a, b) => a - b);

/** What a bmp280 sensor entry's `settings` hold. */
export interface Bmp280Settings {
  mode: Bmp280Mode;
  oversampling: { temperature: OversamplingName; pressure: OversamplingName; humidity: OversamplingName };
  filter: FilterName;
  standbyMs: StandbyMs;
  /** Sea-level reference pressure (QNH) for altitude, Pa. */
  seaLevelPa: number;
}

/** Number of samples averaged for an osrs code: 0 (skipped), 1, 2, 4, 8 or 16. */
export function oversamplingFactor(code: number): number {
  const c = code & FIELD3_MASK;
  return c === 0 ? 0 : Math.min(16, 1 << (c - 1));
}

/** IIR coefficient for a filter code: 1 means off (section 3.3.3). */
export function filterCoefficient(code: number): number {
  const c = code & FIELD3_MASK;
  return c >= 4 ? 16 : 1 << c;
}

export function standbyCode(chip: Bmp280Chip, ms: StandbyMs | number): number {
  const code = (STANDBY_MS[chip] as readonly number[]).indexOf(ms);
  if (code < 0) {
    throw new RangeError(`standby ${ms} ms is not available on the ${chip}: choose one of ${STANDBY_MS[chip].join(', ')} ms`);
  }
  return code;
}

export function standbyMsFromCode(chip: Bmp280Chip, code: number): number {
  return STANDBY_MS[chip][code & FIELD3_MASK]!;
}

/** The register-level form of Bmp280Settings for one chip. */
export interface RegisterSettings {
  osrsT: Oversampling;
  osrsP: Oversampling;
  /** Always Skip on a BMP280, which has no humidity sensor. */
  osrsH: Oversampling;
  filter: Filter;
  standby: number;
  mode: Mode.Forced | Mode.Normal;
}

export function toRegisterSettings(chip: Bmp280Chip, settings: Bmp280Settings): RegisterSettings {
  const pick = <K extends string, V>(table: Readonly<Record<K, V>>, name: K, what: string): V => {
    const value = table[name];
    if (value === undefined) {
      throw new RangeError(`${what} '${String(name)}' is not one of ${Object.keys(table).join(', ')}`);
    }
    return value;
  };
  const osrsT = pick(OVERSAMPLING_BY_NAME, settings.oversampling.temperature, 'temperature oversampling');
  const osrsP = pick(OVERSAMPLING_BY_NAME, settings.oversampling.pressure, 'pressure oversampling');
  const osrsH = chip === 'BME280' ? pick(OVERSAMPLING_BY_NAME, settings.oversampling.humidity, 'humidity oversampling') : Oversampling.Skip;
  // Pressure and humidity compensation need t_fine from a temperature conversion (3.11.3).
  if (osrsT === Oversampling.Skip && (osrsP !== Oversampling.Skip || osrsH !== Oversampling.Skip)) {
    throw new RangeError(
      `temperature oversampling 'skip' is not possible while pressure or humidity is measured: their compensation needs the temperature (t_fine, datasheet 3.11.3)`,
    );
  }
  if (settings.mode !== 'forced' && settings.mode !== 'normal') {
    throw new RangeError(`mode '${String(settings.mode)}' is not one of forced, normal`);
  }
  return {
    osrsT,
    osrsP,
    osrsH,
    filter: pick(FILTER_BY_NAME, settings.filter, 'filter'),
    standby: standbyCode(chip, settings.standbyMs),
    mode: settings.mode === 'normal' ? Mode.Normal : Mode.Forced,
  };
}

export function ctrlMeasValue(osrsT: number, osrsP: number, mode: Mode): number {
  return ((osrsT & FIELD3_MASK) << CTRL_MEAS_OSRS_T_SHIFT) | ((osrsP & FIELD3_MASK) << CTRL_MEAS_OSRS_P_SHIFT) | (mode & CTRL_MEAS_MODE_MASK);
}

/** spi3w_en stays 0: I2C only. */
export function configValue(standby: number, filter: Filter): number {
  return ((standby & FIELD3_MASK) << CONFIG_T_SB_SHIFT) | ((filter & FIELD3_MASK) << CONFIG_FILTER_SHIFT);
}

export function ctrlHumValue(osrsH: Oversampling): number {
  return osrsH & CTRL_HUM_OSRS_H_MASK;
}

/**
 * Maximum conversion time, ms (section 3.8.1; BME280 section 9.1): the time to wait after starting
 * a forced conversion. A skipped measurement contributes nothing; humidity only on a BME280.
 */
export function maxMeasurementTimeMs(osrsT: number, osrsP: number, osrsH = 0): number {
  const t = oversamplingFactor(osrsT);
  const p = oversamplingFactor(osrsP);
  const h = oversamplingFactor(osrsH);
  return 1.25 + 2.3 * t + (p > 0 ? 2.3 * p + 0.575 : 0) + (h > 0 ? 2.3 * h + 0.575 : 0);
}

/** Typical conversion time, ms (same sections): 1 + 2·T + (2·P + 0.5) + (2·H + 0.5). */
export function typicalMeasurementTimeMs(osrsT: number, osrsP: number, osrsH = 0): number {
  const t = oversamplingFactor(osrsT);
  const p = oversamplingFactor(osrsP);
  const h = oversamplingFactor(osrsH);
  return 1 + 2 * t + (p > 0 ? 2 * p + 0.5 : 0) + (h > 0 ? 2 * h + 0.5 : 0);
}
