/**
 * Pure maths for the BMP180: calibration words and the integer compensation of datasheet §3.5
 * (Fig. 4), with the Bosch BMP180 API's semantics: every "/2^n" is an arithmetic right shift
 * (floor), `X2 = MC·2^11/(X1 + MD)` is C division (truncation), B4 and B7 are unsigned 32-bit.
 * No JavaScript bitwise operator touches a value that can leave int32 ((UT − AC6)·AC5, B7·2).
 */
import { invertMonotonic } from '../barometric.js';
import { CALIB_LENGTH } from './registers.js';

export interface Bmp180Calibration {
  AC1: number; AC2: number; AC3: number; AC4: number; AC5: number; AC6: number;
  B1: number; B2: number; MB: number; MC: number; MD: number;
}

const WORDS: ReadonlyArray<readonly [keyof Bmp180Calibration, boolean]> = [
  ['AC1', true], ['AC2', true], ['AC3', true], ['AC4', false], ['AC5', false], ['AC6', false],
  ['B1', true], ['B2', true], ['MB', true], ['MC', true], ['MD', true],
];

/** The datasheet's worked example (§3.5): the simulator's default calibration. */
export const EXAMPLE_CALIBRATION: Readonly<Bmp180Calibration> = {
  AC1: 408, AC2: -72, AC3: -14383, AC4: 32741, AC5: 32757, AC6: 23153, B1: 6190, B2: 4, MB: -32768, MC: -8711, MD: 2868,
};

export function parseCalibration(bytes: Uint8Array): Bmp180Calibration {
  if (bytes.length !== CALIB_LENGTH) throw new RangeError(`BMP180 calibration block must be ${CALIB_LENGTH} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cal = {} as Bmp180Calibration;
  WORDS.forEach(([name, signed], i) => {
    cal[name] = signed ? view.getInt16(2 * i) : view.getUint16(2 * i);
  });
  return cal;
}

export function encodeCalibration(cal: Bmp180Calibration): Buffer {
  const out = Buffer.alloc(CALIB_LENGTH);
  WORDS.forEach(([name, signed], i) => {
    if (signed) out.writeInt16BE(cal[name], 2 * i);
    else out.writeUInt16BE(cal[name], 2 * i);
  });
  return out;
}

/** Words read as 0x0000 or 0xFFFF mean a failed read: the datasheet says no word takes them. */
export function badWords(bytes: Uint8Array): number[] {
  const bad: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const w = (bytes[i]! << 8) | bytes[i + 1]!;
    if (w === 0 || w === 0xffff) bad.push(0xaa + i);
  }
  return bad;
}

const shr = (x: number, n: number): number => Math.floor(x / 2 ** n);
const U32 = 2 ** 32;
const u32 = (x: number): number => ((x % U32) + U32) % U32;

/** B5 from UT: shared by temperature and pressure. */
export function b5(ut: number, c: Bmp180Calibration): number {
  const x1 = shr((ut - c.AC6) * c.AC5, 15);
  const x2 = Math.trunc((c.MC * 2 ** 11) / (x1 + c.MD));
  return x1 + x2;
}

/** Temperature in 0.1 °C. */
export function temperatureDeciC(ut: number, c: Bmp180Calibration): number {
  return shr(b5(ut, c) + 8, 4);
}

/** B3: the offset UP is measured from (UP below it wraps B7, unsigned). */
export function b3(b5Value: number, oss: number, c: Bmp180Calibration): number {
  const b6 = b5Value - 4000;
  const x3 = shr(c.B2 * shr(b6 * b6, 12), 11) + shr(c.AC2 * b6, 11);
  return shr((c.AC1 * 4 + x3) * 2 ** oss + 2, 2);
}

/** Pressure in Pa from UP (already shifted by 8 − oss) and B5. */
export function pressurePa(up: number, b5Value: number, oss: number, c: Bmp180Calibration): number {
  const b6 = b5Value - 4000;
  const b3Value = b3(b5Value, oss, c);
  let x1 = shr(c.AC3 * b6, 13);
  let x2 = shr(c.B1 * shr(b6 * b6, 12), 16);
  const x3 = shr(x1 + x2 + 2, 2);
  const b4 = shr(c.AC4 * u32(x3 + 32768), 15);
  const b7 = u32((u32(up) - b3Value) * shr(50000, oss));
  let p = b7 < 0x80000000 ? Math.trunc((b7 * 2) / b4) : Math.trunc(b7 / b4) * 2;
  x1 = shr(p, 8) * shr(p, 8);
  x1 = shr(x1 * 3038, 16);
  x2 = shr(-7357 * p, 16);
  p += shr(x1 + x2 + 3791, 4);
  return p;
}

/** UT whose B5 gives the temperature nearest `temperatureC` (simulator). */
export function utForTemperature(temperatureC: number, c: Bmp180Calibration): number {
  return invertMonotonic((ut) => (b5(ut, c) + 8) / 160, temperatureC, 0, 0xffff);
}

/** UP (16 + oss bits) whose pressure is nearest `pressure` (simulator); monotonic from B3 up. */
export function upForPressure(pressure: number, b5Value: number, oss: number, c: Bmp180Calibration): number {
  const lo = Math.min(Math.max(0, b3(b5Value, oss, c)), 2 ** (16 + oss) - 2);
  return invertMonotonic((up) => pressurePa(up, b5Value, oss, c), pressure, lo, 2 ** (16 + oss) - 1);
}
