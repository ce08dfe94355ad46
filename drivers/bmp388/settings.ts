/**
 * BMP388 settings: the config's names to register codes, and the measurement time. Only forced
 * mode is used (one conversion per reading, then sleep), so ODR is never programmed.
 */

/** OSR codes 0…5 = ×1…×32 (osr_p and osr_t alike; register OSR 0x1C, Bosch BMP3 API `bmp3_defs.h`). */
export const OVERSAMPLING_CODE = { x1: 0, x2: 1, x4: 2, x8: 3, x16: 4, x32: 5 } as const satisfies Record<string, number>;
/** iir_filter codes 0…7 = coefficient 0 (off), 1, 3, 7, 15, 31, 63, 127, named as the BMP3 API names them. */
export const FILTER_CODE = { off: 0, c1: 1, c3: 2, c7: 3, c15: 4, c31: 5, c63: 6, c127: 7 } as const satisfies Record<string, number>;

export type Bmp388Oversampling = keyof typeof OVERSAMPLING_CODE;
export type Bmp388Filter = keyof typeof FILTER_CODE;

/** What a bmp388 sensor entry's `settings` hold. */
export interface Bmp388Settings {
  oversampling: { temperature: Bmp388Oversampling; pressure: Bmp388Oversampling };
  filter: Bmp388Filter;
  /** Sea-level reference pressure (QNH) for altitude, Pa. */
  seaLevelPa: number;
}

export interface Bmp388Registers {
  osrP: number;
  osrT: number;
  filter: number;
}

export function toRegisters(settings: Pick<Bmp388Settings, 'oversampling' | 'filter'>): Bmp388Registers {
  const pick = <K extends string>(table: Readonly<Record<K, number>>, name: K, what: string): number => {
    const code = table[name];
    if (code === undefined) throw new RangeError(`BMP388 ${what} '${String(name)}' is not one of ${Object.keys(table).join(', ')}`);
    return code;
  };
  return {
    osrP: pick(OVERSAMPLING_CODE, settings.oversampling.pressure, 'pressure oversampling'),
    osrT: pick(OVERSAMPLING_CODE, settings.oversampling.temperature, 'temperature oversampling'),
    filter: pick(FILTER_CODE, settings.filter, 'filter'),
  };
}

/**
 * Conversion time with both channels on, ms (datasheet §3.9.2 as in Linux `bmp380_meas_time`):
 * 234 µs + 392 µs + 2^osr_p·2020 µs + 163 µs + 2^osr_t·2020 µs. ×1/×1 4.829 ms, ×32/×2 69.469 ms.
 */
export function conversionTimeMs(osrP: number, osrT: number): number {
  return (234 + 392 + 2 ** osrP * 2020 + 163 + 2 ** osrT * 2020) / 1000;
}
