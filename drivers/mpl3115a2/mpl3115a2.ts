/**
 * MPL3115A2 driver over an I2cBus, one-shot in standby as the Linux, Adafruit and RIOT drivers do:
 * CTRL_REG1 = ALT | OS (standby), PT_DATA_CFG = 0x07, BAR_IN for the altimeter; per reading set OST,
 * wait the OS's sample time, poll STATUS for PTDR and read the five data bytes in one burst
 * (datasheet Rev. 3.0 §7.1.3.1; Linux `drivers/iio/pressure/mpl3115.c`). Every register read is one
 * combined transfer (write the register, repeated start, read): the chip needs that.
 */
import { altitudeM as altitudeFromPressure } from '../barometric.js';
import type { Clock } from '../clock.js';
import { checkChipAddress, ConversionTimeoutError, WrongChipError } from '../errors.js';
import { hex, I2cError, readRegister, readRegisters, writeRegister, type I2cBus } from '../i2c/i2c-bus.js';
import type { Measurement, OperatingRange, Quantity, Sensor } from '../sensor.js';
import { altitudeM, barIn, pressurePa, temperatureC } from './conversion.js';
import type { Mpl3115a2Settings } from './description.js';
import * as R from './registers.js';

const FAMILY = 'MPL3115A2';
const POLLS = 10;
const POLL_INTERVAL_MS = 1;

export interface Mpl3115a2Options {
  address: number;
  settings: Mpl3115a2Settings;
}

/** MPL3115A2 operating range: 20–110 kPa, −40…+85 °C (datasheet Rev. 8, features). Altitude follows from pressure and is not checked. */
export const MPL3115A2_OPERATING_RANGE: OperatingRange = { pressure: { min: 20000, max: 110000 }, temperature: { min: -40, max: 85 } };

export class Mpl3115a2 implements Sensor {
  readonly operatingRange = MPL3115A2_OPERATING_RANGE;
  readonly model = FAMILY;
  private readonly bus: I2cBus;
  private readonly clock: Clock;
  private readonly address: number;
  private readonly settings: Mpl3115a2Settings;
  private ctrl1: number | undefined;

  constructor(bus: I2cBus, clock: Clock, options: Mpl3115a2Options) {
    this.bus = bus;
    this.clock = clock;
    this.address = options.address;
    this.settings = options.settings;
  }

  /** Altimeter mode reports altitude itself and no pressure. */
  get quantities(): readonly Quantity[] {
    return this.settings.mode === 'altimeter' ? ['temperature', 'altitude'] : ['temperature', 'pressure', 'altitude'];
  }

  async init(): Promise<void> {
    checkChipAddress(FAMILY, this.address, R.ADDRESSES, 'the chip answers only at 0x60');
    this.ctrl1 = undefined;
    const os = R.OVERSAMPLING_CODE[this.settings.oversampling];
    if (os === undefined) throw new RangeError(`${FAMILY} oversampling '${String(this.settings.oversampling)}' is not one of ${Object.keys(R.OVERSAMPLING_CODE).join(', ')}`);
    const id = await readRegister(this.bus, this.address, R.REG_WHO_AM_I);
    // 0x00 or 0xEE here is the classic sign of a bus without repeated starts (NXP thread 483501).
    if (id !== R.WHO_AM_I) {
      throw new WrongChipError(FAMILY, this.address, `WHO_AM_I (0x0C)${id === 0x00 || id === 0xee ? ' (an adapter doing STOP instead of repeated start reads register 0x00)' : ''}`, id, '0xC4');
    }
    // The chip resets at once and does not acknowledge the RST write: that error is expected.
    try {
      await writeRegister(this.bus, this.address, R.REG_CTRL_REG1, R.CTRL1_RST);
    } catch (error) {
      if (!(error instanceof I2cError)) throw error;
    }
    await this.clock.sleep(R.RESET_MS);
    await this.waitForClear(R.REG_CTRL_REG1, R.CTRL1_RST, 'CTRL_REG1.RST (reset done)', R.RESET_MS);
    const ctrl1 = (this.settings.mode === 'altimeter' ? R.CTRL1_ALT : 0) | (os << R.CTRL1_OS_SHIFT);
    await writeRegister(this.bus, this.address, R.REG_CTRL_REG1, ctrl1);
    await writeRegister(this.bus, this.address, R.REG_PT_DATA_CFG, R.PT_DATA_CFG_ALL);
    if (this.settings.mode === 'altimeter') {
      const bar = barIn(this.settings.seaLevelPa);
      await this.bus.transfer(this.address, Uint8Array.of(R.REG_BAR_IN, bar >> 8, bar & 0xff), 0);
    }
    this.ctrl1 = ctrl1;
  }

  async read(): Promise<Measurement[]> {
    const ctrl1 = this.ctrl1;
    if (ctrl1 === undefined) throw new Error(`${FAMILY} at ${hex(this.address)}: call init() first`);
    // A set OST cannot be re-triggered: make sure the last one-shot has finished.
    await this.waitForClear(R.REG_CTRL_REG1, R.CTRL1_OST, 'CTRL_REG1.OST (previous one-shot)', 0);
    await writeRegister(this.bus, this.address, R.REG_CTRL_REG1, ctrl1 | R.CTRL1_OST);
    const waitMs = R.SAMPLE_TIME_MS[(ctrl1 >> R.CTRL1_OS_SHIFT) & 7]!;
    await this.clock.sleep(waitMs);
    for (let i = 0; ; i++) {
      if ((await readRegister(this.bus, this.address, R.REG_STATUS)) & R.STATUS_PTDR) break;
      if (i + 1 >= POLLS) throw new ConversionTimeoutError(FAMILY, this.address, 'STATUS.PTDR (0x00 bit 3) not set', waitMs + i * POLL_INTERVAL_MS);
      await this.clock.sleep(POLL_INTERVAL_MS);
    }
    const d = await readRegisters(this.bus, this.address, R.REG_OUT_P, R.DATA_LENGTH);
    const temperature: Measurement = { quantity: 'temperature', value: temperatureC(d[3]!, d[4]!) };
    if (this.settings.mode === 'altimeter') return [temperature, { quantity: 'altitude', value: altitudeM(d[0]!, d[1]!, d[2]!) }];
    const pressure = pressurePa(d[0]!, d[1]!, d[2]!);
    return [temperature, { quantity: 'pressure', value: pressure }, { quantity: 'altitude', value: altitudeFromPressure(pressure, this.settings.seaLevelPa) }];
  }

  /** One-shot mode already sits in standby between readings. */
  async halt(): Promise<void> {}

  private async waitForClear(register: number, bit: number, what: string, alreadyWaitedMs: number): Promise<void> {
    for (let i = 0; ; i++) {
      if (((await readRegister(this.bus, this.address, register)) & bit) === 0) return;
      if (i + 1 >= POLLS) throw new ConversionTimeoutError(FAMILY, this.address, `${what} still set`, alreadyWaitedMs + i * POLL_INTERVAL_MS);
      await this.clock.sleep(POLL_INTERVAL_MS);
    }
  }
}
