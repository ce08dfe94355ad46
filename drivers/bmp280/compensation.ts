/**
 * Pure maths: calibration parsing and the floating-point compensation formulas (BMP280 datasheet
 * section 8.1, BME280 section 4.2.3) and the inverses a simulator needs to
 * turn physical conditions back into raw ADC counts. No I/O here.
 */
import { invertMonotonic } from '../barometric.js';
import { CALIB_H_LENGTH, CALIB_TP_LENGTH, CALIBRATION_WORD_TYPES, type CalibrationWordName, type CalibrationWords } from './registers.js';


/** Temperature and pressure trimming words (section 3.11.2, table 17), names as the datasheet's. */
export interface TpCalibration {
  dig_T1: number; dig_T2: number; dig_T3: number;
  dig_P1: number; dig_P2: number; dig_P3: number; dig_P4: number; dig_P5: number;
  dig_P6: number; dig_P7: number; dig_P8: number; dig_P9: number;
}

/** BME280 humidity trimming words (BME280 section 4.2.2, table 16). */
export interface HumidityCalibration {
  dig_H1: number; dig_H2: number; dig_H3: number; dig_H4: number; dig_H5: number; dig_H6: number;
}

export interface Calibration extends TpCalibration {
  /** Present on a BME280 only. */
  humidity?: HumidityCalibration;
}


const TP_WORDS = ['dig_T1', 'dig_T2', 'dig_T3', 'dig_P1', 'dig_P2', 'dig_P3', 'dig_P4', 'dig_P5', 'dig_P6', 'dig_P7', 'dig_P8', 'dig_P9'] as const;

/**
 * T/P words of the datasheet's worked example (section 3.12); H words as read from a real BME280.
 * The simulator's default NVM.
 */
export const EXAMPLE_CALIBRATION: Readonly<Required<Calibration>> = {
  dig_T1: 27504, dig_T2: 26435, dig_T3: -1000,
  dig_P1: 36477, dig_P2: -10685, dig_P3: 3024, dig_P4: 2855, dig_P5: 140, dig_P6: -7,
  dig_P7: 15500, dig_P8: -14600, dig_P9: 6000,
  humidity: { dig_H1: 75, dig_H2: 362, dig_H3: 0, dig_H4: 313, dig_H5: 50, dig_H6: 30 },
};

function s8(v: number): number {
  return v > 0x7f ? v - 0x100 : v;
}

/**
 * Calibration from the bursts read at 0x88 (24 bytes) and, on a BME280, 0xA1 (1 byte) and 0xE1
 * (7 bytes). dig_H4 and dig_H5 are 12-bit signed values sharing register 0xE5 (BME280 table 16):
 * H4 = E4[7:0]·16 + E5[3:0], H5 = E6[7:0]·16 + E5[7:4], with E4 and E6 carrying the sign.
 */
export function parseCalibration(tp: Uint8Array, h1?: Uint8Array, h?: Uint8Array): Calibration {
  if (tp.length !== CALIB_TP_LENGTH) throw new RangeError(`T/P calibration block must be ${CALIB_TP_LENGTH} bytes, got ${tp.length}`);
  const view = new DataView(tp.buffer, tp.byteOffset, tp.byteLength);
  const words = {} as TpCalibration;
  TP_WORDS.forEach((name, i) => {
    words[name] = CALIBRATION_WORD_TYPES[name].signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true);
  });
  if (h1 === undefined && h === undefined) return words;
  if (h1?.length !== 1 || h?.length !== CALIB_H_LENGTH) {
    throw new RangeError(`humidity calibration needs 1 byte at 0xA1 and ${CALIB_H_LENGTH} bytes at 0xE1, got ${h1?.length ?? 0} and ${h?.length ?? 0}`);
  }
  const e4 = s8(h[3]!);
  const e5 = h[4]!;
  const e6 = s8(h[5]!);
  return {
    ...words,
    humidity: {
      dig_H1: h1[0]!,
      dig_H2: (h[1]! << 8 | h[0]!) << 16 >> 16,
      dig_H3: h[2]!,
      dig_H4: e4 * 16 + (e5 & 0x0f),
      dig_H5: e6 * 16 + (e5 >> 4),
      dig_H6: s8(h[6]!),
    },
  };
}

/** The NVM image for a calibration: the exact inverse of parseCalibration (used by the simulator). */
export function encodeCalibration(cal: Calibration): { tp: Buffer; h1: Buffer; h: Buffer } {
  const tp = Buffer.alloc(CALIB_TP_LENGTH);
  TP_WORDS.forEach((name, i) => {
    if (CALIBRATION_WORD_TYPES[name].signed) tp.writeInt16LE(cal[name], 2 * i);
    else tp.writeUInt16LE(cal[name], 2 * i);
  });
  const hc = cal.humidity ?? { dig_H1: 0, dig_H2: 0, dig_H3: 0, dig_H4: 0, dig_H5: 0, dig_H6: 0 };
  const h = Buffer.alloc(CALIB_H_LENGTH);
  h.writeInt16LE(hc.dig_H2, 0);
  h[2] = hc.dig_H3;
  h[3] = (hc.dig_H4 >> 4) & 0xff;
  h[4] = ((hc.dig_H5 & 0x0f) << 4) | (hc.dig_H4 & 0x0f);
  h[5] = (hc.dig_H5 >> 4) & 0xff;
  h.writeInt8(hc.dig_H6, 6);
  return { tp, h1: Buffer.of(hc.dig_H1), h };
}

/** A copy of `base` with some words replaced (config `simulation.calibration`), range-checked. */
export function withCalibrationWords(base: Calibration, words: CalibrationWords): Calibration {
  const tp: TpCalibration = { ...base };
  const hum: HumidityCalibration = { ...(base.humidity ?? EXAMPLE_CALIBRATION.humidity) };
  for (const [name, value] of Object.entries(words)) {
    const type = CALIBRATION_WORD_TYPES[name as CalibrationWordName];
    if (!type) throw new RangeError(`unknown calibration word '${name}': expected one of ${Object.keys(CALIBRATION_WORD_TYPES).join(', ')}`);
    const min = type.signed ? -(2 ** (type.bits - 1)) : 0;
    const max = type.signed ? 2 ** (type.bits - 1) - 1 : 2 ** type.bits - 1;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`calibration word ${name} = ${value} is out of range: ${type.signed ? 's' : 'u'}${type.bits} allows ${min}…${max}`);
    }
    if (name.startsWith('dig_H')) hum[name as keyof HumidityCalibration] = value;
    else tp[name as keyof TpCalibration] = value;
  }
  const cal = {} as Calibration;
  for (const name of TP_WORDS) cal[name] = tp[name];
  if (base.humidity) cal.humidity = hum;
  return cal;
}

function temperatureTerms(adcT: number, cal: TpCalibration): number {
  const var1 = (adcT / 16384.0 - cal.dig_T1 / 1024.0) * cal.dig_T2;
  const d = adcT / 131072.0 - cal.dig_T1 / 8192.0;
  const var2 = d * d * cal.dig_T3;
  return var1 + var2;
}

/** t_fine: the fine temperature that pressure and humidity compensation take (8.1), truncated like C's cast. */
export function tFine(adcT: number, cal: TpCalibration): number {
  return Math.trunc(temperatureTerms(adcT, cal));
}

/** Temperature in °C from the 20-bit adc_T (section 8.1). */
export function temperatureC(adcT: number, cal: TpCalibration): number {
  return temperatureTerms(adcT, cal) / 5120.0;
}

/** Pressure in Pa from the 20-bit adc_P and t_fine (section 8.1); 0 where the datasheet avoids a division by zero. */
export function pressurePa(adcP: number, fine: number, cal: TpCalibration): number {
  let var1 = fine / 2.0 - 64000.0;
  let var2 = (var1 * var1 * cal.dig_P6) / 32768.0;
  var2 = var2 + var1 * cal.dig_P5 * 2.0;
  var2 = var2 / 4.0 + cal.dig_P4 * 65536.0;
  var1 = ((cal.dig_P3 * var1 * var1) / 524288.0 + cal.dig_P2 * var1) / 524288.0;
  var1 = (1.0 + var1 / 32768.0) * cal.dig_P1;
  if (var1 === 0) return 0;
  let p = 1048576.0 - adcP;
  p = ((p - var2 / 4096.0) * 6250.0) / var1;
  var1 = (cal.dig_P9 * p * p) / 2147483648.0;
  var2 = (p * cal.dig_P8) / 32768.0;
  return p + (var1 + var2 + cal.dig_P7) / 16.0;
}

/** Relative humidity in % from the 16-bit adc_H and t_fine (BME280 4.2.3), clamped to 0…100. */
export function humidityPct(adcH: number, fine: number, h: HumidityCalibration): number {
  let x = fine - 76800.0;
  x = (adcH - (h.dig_H4 * 64.0 + (h.dig_H5 / 16384.0) * x)) *
    ((h.dig_H2 / 65536.0) * (1.0 + (h.dig_H6 / 67108864.0) * x * (1.0 + (h.dig_H3 / 67108864.0) * x)));
  x = x * (1.0 - (h.dig_H1 * x) / 524288.0);
  return Math.min(100, Math.max(0, x));
}

export const ADC20_MAX = 0xfffff;
export const ADC16_MAX = 0xffff;

export function adcTForTemperature(temperature: number, cal: TpCalibration): number {
  return invertMonotonic((x) => temperatureC(x, cal), temperature, 0, ADC20_MAX);
}

export function adcPForPressure(pressure: number, fine: number, cal: TpCalibration): number {
  return invertMonotonic((x) => pressurePa(x, fine, cal), pressure, 0, ADC20_MAX);
}

export function adcHForHumidity(humidity: number, fine: number, h: HumidityCalibration): number {
  return invertMonotonic((x) => humidityPct(x, fine, h), humidity, 0, ADC16_MAX);
}
