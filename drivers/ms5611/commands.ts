/**
 * MS5611-01BA03 command set, as TE's datasheet lists it (section "Commands") and the Linux driver
 * uses it (`drivers/iio/pressure/ms5611.h`). The chip has no registers: every transaction starts
 * with a one-byte command, and responses are MSB first.
 */

/** 0b111011x with x = NOT CSB: CSB to GND gives 0x77 (GY-63/GY-86 boards), CSB to VDD 0x76. */
export const ADDRESSES: readonly number[] = [0x76, 0x77];

export const CMD_RESET = 0x1e;
/** Reset reloads the PROM: 2.8 ms (Linux waits 3–4 ms). */
export const RESET_MS = 3;
/** Convert D1 (pressure) at OSR 256 …; add 2·index for higher OSRs. */
export const CMD_CONVERT_D1 = 0x40;
/** Convert D2 (temperature) at OSR 256 …; add 2·index for higher OSRs. */
export const CMD_CONVERT_D2 = 0x50;
/** Then read 3 bytes: the 24-bit result; 0 if no conversion was started, repeated, or unfinished. */
export const CMD_ADC_READ = 0x00;
export const ADC_LENGTH = 3;
/** PROM word k (0…7) at command 0xA0 + 2·k; read 2 bytes. */
export const CMD_PROM_READ = 0xa0;
export const PROM_WORDS = 8;

/** OSR 256, 512, 1024, 2048, 4096 in command order. */
export const OSRS = [256, 512, 1024, 2048, 4096] as const;
export type Ms5611Osr = (typeof OSRS)[number];
/** Conversion time per OSR, ms: maximum (what the driver waits) and typical (what the chip takes). */
export const CONVERSION_MAX_MS: readonly number[] = [0.6, 1.17, 2.28, 4.54, 9.04];
export const CONVERSION_TYPICAL_MS: readonly number[] = [0.54, 1.06, 2.08, 4.13, 8.22];

export function osrIndex(osr: Ms5611Osr): number {
  const i = OSRS.indexOf(osr);
  if (i < 0) throw new RangeError(`MS5611 oversampling ratio ${String(osr)} is not one of ${OSRS.join(', ')}`);
  return i;
}

/** The convert command's OSR index and channel, or undefined if `command` is not a convert command. */
export function decodeConvert(command: number): { channel: 'D1' | 'D2'; index: number } | undefined {
  for (const [channel, base] of [['D1', CMD_CONVERT_D1], ['D2', CMD_CONVERT_D2]] as const) {
    const offset = command - base;
    if (offset >= 0 && offset <= 8 && offset % 2 === 0) return { channel, index: offset / 2 };
  }
  return undefined;
}
