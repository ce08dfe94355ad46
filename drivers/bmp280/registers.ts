/**
 * BMP280 / BME280 register map (BMP280 datasheet section 4.2 "memory map", BME280 section 5.3).
 * Every address, bit and magic value the driver and the simulator use is named here, once.
 */

/** The chip answers at 0x76 (SDO to GND) or 0x77 (SDO to VDDIO), section 5.2. */
export const ADDRESSES: readonly number[] = [0x76, 0x77];

// Calibration NVM, copied to these registers at power-on (section 3.11.2).
/** dig_T1 … dig_P9: 12 little-endian words at 0x88–0x9F. */
export const REG_CALIB_TP = 0x88;
export const CALIB_TP_LENGTH = 24;
/** BME280 only: dig_H1 (u8) alone at 0xA1 (BME280 table 16). */
export const REG_CALIB_H1 = 0xa1;
/** BME280 only: dig_H2 … dig_H6 packed into 0xE1–0xE7 (BME280 table 16). */
export const REG_CALIB_H2 = 0xe1;
export const CALIB_H_LENGTH = 7;

/**
 * The calibration words by the datasheets' names, with the width and signedness each has in the
 * NVM (BMP280 §3.11.2 table 17: dig_T1 … dig_P9; BME280 §4.2.2 table 16 adds dig_H1 … dig_H6).
 */
export const CALIBRATION_WORD_TYPES = {
  dig_T1: { bits: 16, signed: false }, dig_T2: { bits: 16, signed: true }, dig_T3: { bits: 16, signed: true },
  dig_P1: { bits: 16, signed: false }, dig_P2: { bits: 16, signed: true }, dig_P3: { bits: 16, signed: true },
  dig_P4: { bits: 16, signed: true }, dig_P5: { bits: 16, signed: true }, dig_P6: { bits: 16, signed: true },
  dig_P7: { bits: 16, signed: true }, dig_P8: { bits: 16, signed: true }, dig_P9: { bits: 16, signed: true },
  dig_H1: { bits: 8, signed: false }, dig_H2: { bits: 16, signed: true }, dig_H3: { bits: 8, signed: false },
  dig_H4: { bits: 12, signed: true }, dig_H5: { bits: 12, signed: true }, dig_H6: { bits: 8, signed: true },
} as const satisfies Record<string, { bits: number; signed: boolean }>;

export type CalibrationWordName = keyof typeof CALIBRATION_WORD_TYPES;
/** Calibration words by name (dig_T1 … dig_H6), as a configuration or a test gives them. */
export type CalibrationWords = Record<string, number>;

export const REG_CHIP_ID = 0xd0;
/** Writing RESET_COMMAND here performs a complete power-on reset (section 4.3.2). */
export const REG_RESET = 0xe0;
export const RESET_COMMAND = 0xb6;

/** BME280 only: osrs_h[2:0]; takes effect after the next ctrl_meas write (BME280 5.4.3). */
export const REG_CTRL_HUM = 0xf2;
export const REG_STATUS = 0xf3;
export const REG_CTRL_MEAS = 0xf4;
export const REG_CONFIG = 0xf5;

// Data registers (section 4.3.6 / 4.3.7). They must be read in one burst so that all values come
// from the same conversion (data shadowing, section 3.9).
export const REG_PRESS_MSB = 0xf7;
export const REG_TEMP_MSB = 0xfa;
/** BME280 only: 16-bit humidity, msb at 0xFD, lsb at 0xFE. */
export const REG_HUM_MSB = 0xfd;
export const REG_DATA_START = REG_PRESS_MSB;
/**
 * The read path's one burst starts before the data, at the control registers, so every sample also
 * shows whether the chip still holds the configuration init() wrote: BMP280 0xF3 (status, ctrl_meas,
 * config, reserved 0xF6, data), BME280 0xF2 (ctrl_hum first). Still one burst over all data
 * registers, which is what data shadowing needs (3.9); the address auto-increments (5.2.2).
 */
export const REG_STATE_START_BMP280 = REG_STATUS;
export const REG_STATE_START_BME280 = REG_CTRL_HUM;
/** config bits that hold settings: t_sb, filter, spi3w_en (bit 1 is reserved, 4.3.5). */
export const CONFIG_SETTINGS_MASK = 0xfd;
/** press (3) + temp (3) bytes. */
export const DATA_LENGTH_BMP280 = 6;
/** press (3) + temp (3) + hum (2) bytes. */
export const DATA_LENGTH_BME280 = 8;

// status (0xF3), section 4.3.3.
/** Set while a conversion is running; cleared when the results are in the data registers. */
export const STATUS_MEASURING = 0x08;
/** Set while the NVM calibration is being copied to the image registers. */
export const STATUS_IM_UPDATE = 0x01;

// ctrl_meas (0xF4), section 4.3.4: osrs_t[7:5] osrs_p[4:2] mode[1:0].
export const CTRL_MEAS_OSRS_T_SHIFT = 5;
export const CTRL_MEAS_OSRS_P_SHIFT = 2;
export const CTRL_MEAS_MODE_MASK = 0x03;
// config (0xF5), section 4.3.5: t_sb[7:5] filter[4:2] spi3w_en[0].
export const CONFIG_T_SB_SHIFT = 5;
export const CONFIG_FILTER_SHIFT = 2;
export const CONFIG_SPI3W_EN = 0x01;
// ctrl_hum (0xF2), BME280 5.4.3: osrs_h[2:0].
export const CTRL_HUM_OSRS_H_MASK = 0x07;
/** A 3-bit field (osrs_x, filter, t_sb). */
export const FIELD3_MASK = 0x07;

// Chip IDs at 0xD0 (section 4.3.1; BME280 5.4.1).
export const CHIP_ID_BMP280 = 0x58;
/** Engineering samples of the BMP280 report 0x56 or 0x57. */
export const CHIP_ID_BMP280_SAMPLES: readonly number[] = [0x56, 0x57];
export const CHIP_ID_BME280 = 0x60;
/** A BMP180/BMP085 answers 0x55 at the same register, but speaks a different protocol. */
export const CHIP_ID_BMP180 = 0x55;

/**
 * Value of a 20-bit data register when the measurement is skipped (osrs = 000) or not converted
 * yet, 4.3.6. Also an ordinary conversion result (room temperature on most chips): the reset value
 * of the simulator's data registers, never a test of a reading.
 */
export const SKIPPED_ADC_20 = 0x80000;
/** Value of the 16-bit humidity register when skipped (BME280 5.4.9); also an ordinary result. */
export const SKIPPED_ADC_16 = 0x8000;

/** Time from power-on or soft reset until the chip can be talked to, ms (table 2, t_startup). */
export const START_UP_MS = 2;

export type Bmp280Chip = 'BMP280' | 'BME280';

/** The chip an ID denotes, or undefined if it is not one this driver handles. */
export function chipFromId(id: number): Bmp280Chip | undefined {
  if (id === CHIP_ID_BMP280 || CHIP_ID_BMP280_SAMPLES.includes(id)) return 'BMP280';
  if (id === CHIP_ID_BME280) return 'BME280';
  return undefined;
}

export function dataLength(chip: Bmp280Chip): number {
  return chip === 'BME280' ? DATA_LENGTH_BME280 : DATA_LENGTH_BMP280;
}

/** First register of the read path's burst (control registers, then data). */
export function stateStart(chip: Bmp280Chip): number {
  return chip === 'BME280' ? REG_STATE_START_BME280 : REG_STATE_START_BMP280;
}

/** Length of the read path's burst: from stateStart(chip) to the last data register. */
export function stateLength(chip: Bmp280Chip): number {
  return REG_DATA_START - stateStart(chip) + dataLength(chip);
}
