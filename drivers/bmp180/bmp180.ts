/**
 * BMP180 / BMP085 driver over an I2cBus: read the ID (0x55) and the 11 calibration words, then per
 * reading convert the temperature, then the pressure, each time waiting the maximum conversion time
 * and checking that sco has cleared (as the Linux driver does, `drivers/iio/pressure/bmp280-core.c`)
 * before reading the result (datasheet §3.3–3.5).
 */
import { altitudeM } from '../barometric.js';
import type { Clock } from '../clock.js';
import { checkChipAddress, ConversionTimeoutError, WrongChipError } from '../errors.js';
import { hex, readRegister, readRegisters, writeRegister, type I2cBus } from '../i2c/i2c-bus.js';
import type { Measurement, OperatingRange, Quantity, Sensor } from '../sensor.js';
import { b5, badWords, parseCalibration, pressurePa, temperatureDeciC, type Bmp180Calibration } from './compensation.js';
import type { Bmp180Settings } from './description.js';
import * as R from './registers.js';

export { OSS } from './registers.js';

const FAMILY = 'BMP180';
const SCO_POLLS = 10;
const POLL_INTERVAL_MS = 1;


export interface Bmp180Options {
  address: number;
  settings: Bmp180Settings;
}

/** BMP180 operating range: 300–1100 hPa, −40…+85 °C (datasheet, table 1). */
export const BMP180_OPERATING_RANGE: OperatingRange = { pressure: { min: 30000, max: 110000 }, temperature: { min: -40, max: 85 } };

export class Bmp180 implements Sensor {
  readonly operatingRange = BMP180_OPERATING_RANGE;
  readonly quantities: readonly Quantity[] = ['temperature', 'pressure', 'altitude'];
  readonly model = 'BMP180';
  private readonly bus: I2cBus;
  private readonly clock: Clock;
  private readonly address: number;
  private readonly settings: Bmp180Settings;
  private cal: Bmp180Calibration | undefined;

  constructor(bus: I2cBus, clock: Clock, options: Bmp180Options) {
    this.bus = bus;
    this.clock = clock;
    this.address = options.address;
    this.settings = options.settings;
  }

  private get oss(): number {
    const oss = R.OSS[this.settings.oversampling];
    if (oss === undefined) throw new RangeError(`BMP180 oversampling '${String(this.settings.oversampling)}' is not one of ${Object.keys(R.OSS).join(', ')}`);
    return oss;
  }

  async init(): Promise<void> {
    checkChipAddress(FAMILY, this.address, R.ADDRESSES, 'the chip answers only at 0x77');
    this.cal = undefined;
    void this.oss;
    const id = await readRegister(this.bus, this.address, R.REG_ID);
    if (id !== R.CHIP_ID) throw new WrongChipError(FAMILY, this.address, 'id (0xD0)', id, '0x55 (BMP180/BMP085)');
    const bytes = await readRegisters(this.bus, this.address, R.REG_CALIB, R.CALIB_LENGTH);
    const bad = badWords(bytes);
    if (bad.length > 0) {
      throw new Error(`${FAMILY} at ${hex(this.address)}: calibration word(s) at ${bad.map((a) => hex(a)).join(', ')} read 0x0000 or 0xFFFF, which the datasheet rules out; the read failed (check wiring and pull-ups)`);
    }
    this.cal = parseCalibration(bytes);
  }

  async read(): Promise<Measurement[]> {
    const cal = this.cal;
    if (!cal) throw new Error(`${FAMILY} at ${hex(this.address)}: call init() first`);
    const oss = this.oss;
    const t = await this.convert(R.CMD_TEMPERATURE, R.TEMPERATURE_MAX_MS, 2, 'temperature');
    const ut = (t[0]! << 8) | t[1]!;
    const p = await this.convert(R.CMD_PRESSURE + (oss << R.OSS_SHIFT), R.PRESSURE_MAX_MS[oss]!, 3, 'pressure');
    // UP uses xlsb and >> (8 − oss); the oss here and in the compensation must match.
    const up = ((p[0]! << 16) | (p[1]! << 8) | p[2]!) >> (8 - oss);
    const b5Value = b5(ut, cal);
    const pressure = pressurePa(up, b5Value, oss, cal);
    return [
      { quantity: 'temperature', value: temperatureDeciC(ut, cal) / 10 },
      { quantity: 'pressure', value: pressure },
      { quantity: 'altitude', value: altitudeM(pressure, this.settings.seaLevelPa) },
    ];
  }

  /** The chip sleeps between conversions by itself. */
  async halt(): Promise<void> {}

  private async convert(command: number, maxMs: number, length: number, what: string): Promise<Buffer> {
    await writeRegister(this.bus, this.address, R.REG_CTRL_MEAS, command);
    const waitMs = Math.ceil(maxMs);
    await this.clock.sleep(waitMs);
    for (let i = 0; ; i++) {
      const ctrl = await readRegister(this.bus, this.address, R.REG_CTRL_MEAS);
      if ((ctrl & R.CTRL_SCO) === 0) break;
      if (i + 1 >= SCO_POLLS) throw new ConversionTimeoutError(FAMILY, this.address, `${what} conversion not done (sco, 0xF4 bit 5, still 1)`, waitMs + i * POLL_INTERVAL_MS);
      await this.clock.sleep(POLL_INTERVAL_MS);
    }
    return readRegisters(this.bus, this.address, R.REG_OUT, length);
  }
}
