/**
 * NXP MPL3115A2 register map (datasheet Rev. 3.0 §7; Linux `drivers/iio/pressure/mpl3115.c`;
 * Adafruit's MPL3115A2 libraries). Register reads need a repeated start: with a STOP between the
 * register write and the read, the chip answers from register 0x00 (NXP community thread 483501).
 */

/** Fixed address 0x60 (shared with the older MPL115A2, which has no WHO_AM_I). */
export const ADDRESSES: readonly number[] = [0x60];

/** Alias of DR_STATUS while the FIFO is off; 0x00–0x05 then read as one auto-increment block. */
export const REG_STATUS = 0x00;
export const STATUS_TDR = 0x02;
export const STATUS_PDR = 0x04;
export const STATUS_PTDR = 0x08;
/** OUT_P_MSB/CSB/LSB (0x01–0x03), OUT_T_MSB/LSB (0x04–0x05). */
export const REG_OUT_P = 0x01;
export const DATA_LENGTH = 5;
export const REG_DR_STATUS = 0x06;
export const REG_WHO_AM_I = 0x0c;
export const WHO_AM_I = 0xc4;
export const REG_SYSMOD = 0x11;
/** DREM | PDEFE | TDEFE: data-ready events for pressure and temperature, as every driver sets. */
export const REG_PT_DATA_CFG = 0x13;
export const PT_DATA_CFG_ALL = 0x07;
/** Sea-level pressure for the altimeter, u16 in units of 2 Pa (MSB at 0x14). */
export const REG_BAR_IN = 0x14;

/** b7 ALT, b6 RAW, b5:3 OS, b2 RST, b1 OST, b0 SBYB. */
export const REG_CTRL_REG1 = 0x26;
export const CTRL1_ALT = 0x80;
export const CTRL1_OS_SHIFT = 3;
export const CTRL1_RST = 0x04;
export const CTRL1_OST = 0x02;
export const CTRL1_SBYB = 0x01;

/** Linux sleeps this long after the (unacknowledged) reset. */
export const RESET_MS = 50;

/** CTRL_REG1 OS (bits 5:3) by oversampling ratio: 2^OS samples. */
export const OVERSAMPLING_CODE = { x1: 0, x2: 1, x4: 2, x8: 3, x16: 4, x32: 5, x64: 6, x128: 7 } as const satisfies Record<string, number>;
export type Mpl3115a2Oversampling = keyof typeof OVERSAMPLING_CODE;
/** Minimum time between samples per OS code, ms (RIOT/mbed headers quoting the datasheet). */
export const SAMPLE_TIME_MS: readonly number[] = [6, 10, 18, 34, 66, 130, 258, 512];
