/**
 * BMP388 / BMP390 driver over an I2cBus, in forced mode: configure in sleep mode, then per reading
 * start one conversion, wait the datasheet's conversion time, confirm both drdy bits and read the
 * six data bytes in one burst. This is the sequence of Bosch's BMP3 Sensor API (`bmp3.c`, forced
 * mode) and of the Linux driver's BMP380 part (`drivers/iio/pressure/bmp280-core.c`).
 */
import { altitudeM } from '../barometric.js';
import type { Clock } from '../clock.js';
import { checkChipAddress, ConversionTimeoutError, WrongChipError } from '../errors.js';
import { hex, readRegister, readRegisters, writeRegister, type I2cBus } from '../i2c/i2c-bus.js';
import type { Measurement, OperatingRange, Quantity, Sensor } from '../sensor.js';
import { parseNvm, pressurePa, scaleCalibration, temperatureC, type Bmp388Calibration } from './compensation.js';
import * as R from './registers.js';
import { conversionTimeMs, toRegisters, type Bmp388Registers, type Bmp388Settings } from './settings.js';

const FAMILY = 'BMP388/BMP390';
/** Status polls after the conversion time, 1 ms apart. */
const DRDY_POLLS = 10;
const POLL_INTERVAL_MS = 1;
const DRDY_BOTH = R.STATUS_DRDY_PRESS | R.STATUS_DRDY_TEMP;

export interface Bmp388Options {
  address: number;
  settings: Bmp388Settings;
}

/** BMP388/BMP390 operating range: 300–1250 hPa, −40…+85 °C (datasheet; the Bosch API clamps to these). */
export const BMP388_OPERATING_RANGE: OperatingRange = { pressure: { min: 30000, max: 125000 }, temperature: { min: -40, max: 85 } };

export class Bmp388 implements Sensor {
  readonly operatingRange = BMP388_OPERATING_RANGE;
  readonly quantities: readonly Quantity[] = ['temperature', 'pressure', 'altitude'];
  private readonly bus: I2cBus;
  private readonly clock: Clock;
  private readonly address: number;
  private readonly settings: Bmp388Settings;
  private detected: R.Bmp388Chip | undefined;
  private cal: Bmp388Calibration | undefined;
  private registers: Bmp388Registers | undefined;

  constructor(bus: I2cBus, clock: Clock, options: Bmp388Options) {
    this.bus = bus;
    this.clock = clock;
    this.address = options.address;
    this.settings = options.settings;
  }

  get model(): string {
    return this.detected ?? FAMILY;
  }

  async init(): Promise<void> {
    checkChipAddress(FAMILY, this.address, R.ADDRESSES, 'the chip answers only at 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)');
    this.detected = undefined;
    const regs = toRegisters(this.settings);
    const id = await readRegister(this.bus, this.address, R.REG_CHIP_ID);
    const chip = R.chipFromId(id);
    // 0x60 is also a BME280's ID, but at 0xD0: here it is register 0x00, so 0x60 means BMP390.
    if (!chip) throw new WrongChipError(FAMILY, this.address, 'CHIP_ID (0x00)', id, '0x50 (BMP388) or 0x60 (BMP390)');
    // Soft reset puts every register at its default and the chip in sleep mode.
    await writeRegister(this.bus, this.address, R.REG_CMD, R.CMD_SOFT_RESET);
    await this.clock.sleep(R.SOFT_RESET_MS);
    const err = await readRegister(this.bus, this.address, R.REG_ERR);
    if (err & (R.ERR_FATAL | R.ERR_CMD)) {
      throw new Error(`${chip} at ${hex(this.address)}: soft reset failed (ERR_REG ${hex(err)}); power-cycle the chip`);
    }
    const cal = scaleCalibration(parseNvm(await readRegisters(this.bus, this.address, R.REG_CALIB, R.CALIB_LENGTH)));
    // OSR and IIR are written in sleep mode (config writes outside sleep can raise conf_err).
    await writeRegister(this.bus, this.address, R.REG_OSR, (regs.osrT << R.OSR_T_SHIFT) | regs.osrP);
    await writeRegister(this.bus, this.address, R.REG_CONFIG, regs.filter << R.CONFIG_IIR_SHIFT);
    this.detected = chip;
    this.cal = cal;
    this.registers = regs;
  }

  async read(): Promise<Measurement[]> {
    const cal = this.cal;
    const regs = this.registers;
    if (!cal || !regs) throw new Error(`${FAMILY} at ${hex(this.address)}: call init() first`);
    await writeRegister(this.bus, this.address, R.REG_PWR_CTRL, R.PWR_PRESS_EN | R.PWR_TEMP_EN | (R.MODE_FORCED << R.PWR_MODE_SHIFT));
    const waitMs = Math.ceil(conversionTimeMs(regs.osrP, regs.osrT));
    await this.clock.sleep(waitMs);
    // Right after a forced start the data registers still hold the previous result: wait for drdy.
    for (let i = 0; ; i++) {
      const status = await readRegister(this.bus, this.address, R.REG_STATUS);
      if ((status & DRDY_BOTH) === DRDY_BOTH) break;
      if (i + 1 >= DRDY_POLLS) {
        throw new ConversionTimeoutError(this.model, this.address, 'STATUS drdy_press and drdy_temp (0x03 bits 5, 6) not set', waitMs + i * POLL_INTERVAL_MS);
      }
      await this.clock.sleep(POLL_INTERVAL_MS);
    }
    // Both channels are enabled and both drdy bits said their conversions are done, so 0x800000
    // (what a disabled channel reads) is a result like any other here: 23.84 °C for the temperature
    // and about 80 kPa for the pressure with a real BMP388's calibration (test/bmp388.test.ts).
    const d = await readRegisters(this.bus, this.address, R.REG_DATA, R.DATA_LENGTH);
    const up = d[0]! | (d[1]! << 8) | (d[2]! << 16);
    const ut = d[3]! | (d[4]! << 8) | (d[5]! << 16);
    const t = temperatureC(ut, cal);
    const p = pressurePa(up, t, cal);
    return [
      { quantity: 'temperature', value: t },
      { quantity: 'pressure', value: p },
      { quantity: 'altitude', value: altitudeM(p, this.settings.seaLevelPa) },
    ];
  }

  /** Forced mode already returns to sleep after each conversion; make sure of it. */
  async halt(): Promise<void> {
    if (!this.detected) return;
    await writeRegister(this.bus, this.address, R.REG_PWR_CTRL, 0);
  }
}
