/**
 * Pure maths for the BMP388/BMP390: the NVM calibration, its floating-point scaling (datasheet
 * §3.11.1, Bosch BMP3 API `parse_calib_data`), the floating-point compensation (BMP3 API
 * `compensate_temperature` / `compensate_pressure`), and the inverses a simulator needs.
 */
import { invertMonotonic } from '../barometric.js';
import { ADC_MAX, CALIB_LENGTH } from './registers.js';

/** The NVM words as stored, names as the datasheet's. */
export interface Bmp388Nvm {
  T1: number; T2: number; T3: number;
  P1: number; P2: number; P3: number; P4: number; P5: number; P6: number;
  P7: number; P8: number; P9: number; P10: number; P11: number;
}

/** The same words scaled to floating point (PAR_* in the datasheet). */
export type Bmp388Calibration = Readonly<Record<keyof Bmp388Nvm, number>>;

/** Layout of the 21 bytes at 0x31: [name, offset, size, signed]. Little-endian. */
const LAYOUT: ReadonlyArray<readonly [keyof Bmp388Nvm, number, 1 | 2, boolean]> = [
  ['T1', 0, 2, false], ['T2', 2, 2, false], ['T3', 4, 1, true],
  ['P1', 5, 2, true], ['P2', 7, 2, true], ['P3', 9, 1, true], ['P4', 10, 1, true],
  ['P5', 11, 2, false], ['P6', 13, 2, false], ['P7', 15, 1, true], ['P8', 16, 1, true],
  ['P9', 17, 2, true], ['P10', 19, 1, true], ['P11', 20, 1, true],
];

/** A real BMP388's NVM (elixir-sensors/bmp3xx calibration_test.exs): the simulator's default. */
export const EXAMPLE_NVM: Readonly<Bmp388Nvm> = {
  T1: 27427, T2: 18776, T3: -10, P1: -164, P2: -2866, P3: 35, P4: 0,
  P5: 25578, P6: 31086, P7: -13, P8: -10, P9: 17322, P10: 18, P11: -60,
};

export function parseNvm(bytes: Uint8Array): Bmp388Nvm {
  if (bytes.length !== CALIB_LENGTH) throw new RangeError(`BMP388 calibration block must be ${CALIB_LENGTH} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nvm = {} as Bmp388Nvm;
  for (const [name, offset, size, signed] of LAYOUT) {
    nvm[name] = size === 1
      ? (signed ? view.getInt8(offset) : view.getUint8(offset))
      : (signed ? view.getInt16(offset, true) : view.getUint16(offset, true));
  }
  return nvm;
}

/** The exact inverse of parseNvm (the simulator's NVM image). */
export function encodeNvm(nvm: Bmp388Nvm): Buffer {
  const out = Buffer.alloc(CALIB_LENGTH);
  for (const [name, offset, size, signed] of LAYOUT) {
    const v = nvm[name];
    if (size === 1) {
      if (signed) out.writeInt8(v, offset);
      else out.writeUInt8(v, offset);
    } else if (signed) out.writeInt16LE(v, offset);
    else out.writeUInt16LE(v, offset);
  }
  return out;
}

/** Floating-point scaling of datasheet §3.11.1 (the BMP3 API's `parse_calib_data`). */
export function scaleCalibration(n: Bmp388Nvm): Bmp388Calibration {
  return {
    T1: n.T1 / 2 ** -8,
    T2: n.T2 / 2 ** 30,
    T3: n.T3 / 2 ** 48,
    P1: (n.P1 - 2 ** 14) / 2 ** 20,
    P2: (n.P2 - 2 ** 14) / 2 ** 29,
    P3: n.P3 / 2 ** 32,
    P4: n.P4 / 2 ** 37,
    P5: n.P5 / 2 ** -3,
    P6: n.P6 / 2 ** 6,
    P7: n.P7 / 2 ** 8,
    P8: n.P8 / 2 ** 15,
    P9: n.P9 / 2 ** 48,
    P10: n.P10 / 2 ** 48,
    P11: n.P11 / 2 ** 65,
  };
}

/** Temperature, °C, from the 24-bit `ut` (t_lin; pressure compensation needs it). */
export function temperatureC(ut: number, c: Bmp388Calibration): number {
  const d1 = ut - c.T1;
  return d1 * c.T2 + d1 * d1 * c.T3;
}

/** Pressure, Pa, from the 24-bit `up` and the compensated temperature. */
export function pressurePa(up: number, t: number, c: Bmp388Calibration): number {
  const o1 = c.P5 + c.P6 * t + c.P7 * t ** 2 + c.P8 * t ** 3;
  const o2 = up * (c.P1 + c.P2 * t + c.P3 * t ** 2 + c.P4 * t ** 3);
  const o3 = up ** 2 * (c.P9 + c.P10 * t) + up ** 3 * c.P11;
  return o1 + o2 + o3;
}

export function utForTemperature(temperature: number, c: Bmp388Calibration): number {
  return invertMonotonic((x) => temperatureC(x, c), temperature, 0, ADC_MAX);
}

export function upForPressure(pressure: number, t: number, c: Bmp388Calibration): number {
  return invertMonotonic((x) => pressurePa(x, t, c), pressure, 0, ADC_MAX);
}
