/**
 * Pure maths for the MS5611: the PROM CRC-4 (TE AN520), and the first- and second-order
 * compensation of the datasheet. The intermediates pass 2^53 (D1·SENS is about 1.2·10^16), so they
 * are BigInt; every "/2^n" is an arithmetic shift (floor), as in Linux `ms5611_core.c`, which the
 * low-temperature vectors (betaflight) confirm; truncation would be 1 LSB off below 20 °C.
 */
import { invertMonotonic } from '../barometric.js';

/** PROM words C0…C7: C1…C6 are the coefficients, C7's low nibble the CRC. */
export type Prom = readonly number[];

/**
 * CRC-4 of AN520 over the 16 PROM bytes with the low byte of word 7 taken as 0: polynomial 0x3000
 * on a 16-bit remainder, the CRC is its top nibble.
 */
export function promCrc4(prom: Prom): number {
  let rem = 0;
  for (let i = 0; i < 16; i++) {
    const word = prom[i >> 1]!;
    const byte = i === 15 ? 0 : i % 2 === 0 ? word >> 8 : word & 0xff;
    rem ^= byte;
    for (let bit = 0; bit < 8; bit++) rem = rem & 0x8000 ? ((rem << 1) ^ 0x3000) & 0xffff : (rem << 1) & 0xffff;
  }
  return (rem >> 12) & 0xf;
}

/**
 * Whether the PROM is believable: its CRC matches, and it is not all 0x0000 or all 0xFFFF (an
 * absent chip or a dead bus; an all-zero PROM has CRC 0 and would otherwise pass, as Linux notes).
 */
export function promValid(prom: Prom): boolean {
  if (prom.length !== 8 || prom.every((w) => w === 0) || prom.every((w) => w === 0xffff)) return false;
  return promCrc4(prom) === (prom[7]! & 0xf);
}

/** Set C7's CRC nibble from the other words (for a simulator's PROM). */
export function withCrc(prom: Prom): number[] {
  const words = [...prom];
  words[7] = (words[7]! & ~0xf) | promCrc4(words);
  return words;
}

/**
 * The datasheet's worked example C1…C6 (MS5611 "pressure and temperature calculation"), with a
 * made-up factory word C0 = 0x0010 and a valid CRC in C7 (0xB; C0 = 0 would give CRC 0, which Linux
 * rejects as suspect) so a driver accepts it: the simulator's default PROM.
 */
export const EXAMPLE_PROM: Prom = withCrc([0x0010, 40127, 36924, 23317, 23282, 33464, 28312, 0x0000]);

export interface Ms5611Result {
  dT: bigint;
  /** 0.01 °C. */
  TEMP: bigint;
  OFF: bigint;
  SENS: bigint;
  /** Pa (0.01 mbar). */
  P: bigint;
}

/** First- and second-order compensation of D1 (pressure) and D2 (temperature). */
export function compensate(d1: number, d2: number, prom: Prom): Ms5611Result {
  const [c1, c2, c3, c4, c5, c6] = [1, 2, 3, 4, 5, 6].map((k) => BigInt(prom[k]!)) as [bigint, bigint, bigint, bigint, bigint, bigint];
  const D1 = BigInt(d1);
  const dT = BigInt(d2) - (c5 << 8n);
  let TEMP = 2000n + ((dT * c6) >> 23n);
  let OFF = (c2 << 16n) + ((c4 * dT) >> 7n);
  let SENS = (c1 << 15n) + ((c3 * dT) >> 8n);
  if (TEMP < 2000n) {
    // Second order below 20 °C; OFF2/SENS2 use TEMP before T2 is subtracted.
    const T2 = (dT * dT) >> 31n;
    const low = (TEMP - 2000n) ** 2n;
    let OFF2 = (5n * low) >> 1n;
    let SENS2 = (5n * low) >> 2n;
    if (TEMP < -1500n) {
      const veryLow = (TEMP + 1500n) ** 2n;
      OFF2 += 7n * veryLow;
      SENS2 += (11n * veryLow) >> 1n;
    }
    TEMP -= T2;
    OFF -= OFF2;
    SENS -= SENS2;
  }
  const P = (((D1 * SENS) >> 21n) - OFF) >> 15n;
  return { dT, TEMP, OFF, SENS, P };
}

const ADC_MAX = 0xffffff;

/** D2 whose compensated temperature is nearest `temperatureC` (simulator). */
export function d2ForTemperature(temperatureC: number, prom: Prom): number {
  return invertMonotonic((d2) => Number(compensate(0, d2, prom).TEMP) / 100, temperatureC, 0, ADC_MAX);
}

/** D1 whose compensated pressure at this D2 is nearest `pressurePa` (simulator). */
export function d1ForPressure(pressurePa: number, d2: number, prom: Prom): number {
  return invertMonotonic((d1) => Number(compensate(d1, d2, prom).P), pressurePa, 0, ADC_MAX);
}
