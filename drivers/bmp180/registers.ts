/**
 * BMP180 / BMP085 register map (Bosch datasheet BST-BMP180-DS000 §5; Bosch's BMP180 API
 * `bmp180.c`). Calibration words and results are big-endian (MSB first).
 */

/**
 * The oversampling setting oss, ctrl_meas bits 7:6, by the number of samples the chip averages:
 * ultra low power (1), standard (2), high (4) and ultra high resolution (8), datasheet §3.3.1.
 */
export const OSS = { x1: 0, x2: 1, x4: 2, x8: 3 } as const satisfies Record<string, number>;
export type Bmp180Oversampling = keyof typeof OSS;

/** Fixed address 0x77 (8-bit 0xEE/0xEF). */
export const ADDRESSES: readonly number[] = [0x77];

/** 11 calibration words at 0xAA–0xBF. */
export const REG_CALIB = 0xaa;
export const CALIB_LENGTH = 22;

/** 0x55 on the BMP085 and the BMP180 alike: software cannot tell them apart. */
export const REG_ID = 0xd0;
export const CHIP_ID = 0x55;

/** b7:6 oss, b5 sco (1 while converting), b4:0 measurement. */
export const REG_CTRL_MEAS = 0xf4;
export const CTRL_SCO = 0x20;
export const CMD_TEMPERATURE = 0x2e;
/** Pressure: 0x34 + (oss << 6). */
export const CMD_PRESSURE = 0x34;
export const OSS_SHIFT = 6;

/** out_msb, out_lsb, out_xlsb. */
export const REG_OUT = 0xf6;

/** Maximum conversion time, ms (Linux, periph): temperature, then pressure per oss 0–3. */
export const TEMPERATURE_MAX_MS = 4.5;
export const PRESSURE_MAX_MS: readonly number[] = [4.5, 7.5, 13.5, 25.5];
