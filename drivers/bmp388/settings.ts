/**
 * BMP388 settings: the config's names to register codes, and the measurement time. Only forced
 * mode is used (one conversion per reading, then sleep), so ODR is never programmed.
 */
import type { Bmp388Filter, Bmp388Oversampling, Bmp388Settings } from '../../agent/config/types.js';

/** OSR codes 0…5 = ×1…×32 (osr_p and osr_t alike). */
export const OVERSAMPLING_CODE: Readonly<Record<Bmp388Oversampling, number>> = { x1: 0, x2: 1, x4: 2, x8: 3, x16: 4, x32: 5 };
/** iir_filter codes 0…7 = coefficient 0 (off), 1, 3, 7, 15, 31, 63, 127. */
export const FILTER_CODE: Readonly<Record<Bmp388Filter, number>> = { off: 0, c1: 1, c3: 2, c7: 3, c15: 4, c31: 5, c63: 6, c127: 7 };

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
