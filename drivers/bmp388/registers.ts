/**
 * BMP388 / BMP390 register map, as Bosch's BMP3 Sensor API defines it (`bmp3_defs.h`, v2.0.6) and
 * the Linux driver's BMP380 part agrees (`drivers/iio/pressure/bmp280.h`). Burst reads
 * auto-increment; data are little-endian (xlsb at the lowest address).
 */

/** 0x76 (SDO to GND) or 0x77 (SDO to VDDIO; Adafruit boards' default). */
export const ADDRESSES: readonly number[] = [0x76, 0x77];

export const REG_CHIP_ID = 0x00;
export const CHIP_ID_BMP388 = 0x50;
export const CHIP_ID_BMP390 = 0x60;
export type Bmp388Chip = 'BMP388' | 'BMP390';

/** bit0 fatal_err, bit1 cmd_err, bit2 conf_err. */
export const REG_ERR = 0x02;
export const ERR_FATAL = 0x01;
export const ERR_CMD = 0x02;
export const ERR_CONF = 0x04;

export const REG_STATUS = 0x03;
export const STATUS_CMD_RDY = 0x10;
export const STATUS_DRDY_PRESS = 0x20;
export const STATUS_DRDY_TEMP = 0x40;

/** DATA_0..5: pressure xlsb, lsb, msb, then temperature xlsb, lsb, msb; read in one burst. */
export const REG_DATA = 0x04;
export const DATA_LENGTH = 6;
/** A disabled channel reads this (Linux BMP380_*_SKIPPED); an enabled one may convert to it too. */
export const SKIPPED_ADC = 0x800000;
export const ADC_MAX = 0xffffff;

/** b0 press_en, b1 temp_en, b5:4 mode (00 sleep, 01/10 forced, 11 normal). */
export const REG_PWR_CTRL = 0x1b;
export const PWR_PRESS_EN = 0x01;
export const PWR_TEMP_EN = 0x02;
export const PWR_MODE_SHIFT = 4;
export const PWR_MODE_MASK = 0x30;
export const MODE_SLEEP = 0;
export const MODE_FORCED = 1;
export const MODE_NORMAL = 3;

/** b2:0 osr_p, b5:3 osr_t. */
export const REG_OSR = 0x1c;
export const OSR_T_SHIFT = 3;
/** b3:1 iir_filter. */
export const REG_CONFIG = 0x1f;
export const CONFIG_IIR_SHIFT = 1;

/** PAR_T1 … PAR_P11: 21 bytes of NVM calibration (datasheet §3.11.1). */
export const REG_CALIB = 0x31;
export const CALIB_LENGTH = 21;

export const REG_CMD = 0x7e;
export const CMD_SOFT_RESET = 0xb6;
/** After a soft reset, the API waits 2 ms before touching the chip again. */
export const SOFT_RESET_MS = 2;

export function chipFromId(id: number): Bmp388Chip | undefined {
  if (id === CHIP_ID_BMP388) return 'BMP388';
  if (id === CHIP_ID_BMP390) return 'BMP390';
  return undefined;
}
