/**
 * A register-level BMP388 / BMP390, following the datasheet rather than the driver: writes are
 * (register, value) pairs, reads auto-increment, CHIP_ID at 0x00, a soft reset (0xB6 to CMD)
 * restores the defaults, a forced conversion (PWR_CTRL mode 01/10) takes the §3.9.2 time and then
 * sets drdy_press/drdy_temp and returns to sleep; the data registers keep the previous result until
 * then, and reading them clears drdy. A disabled channel reads 0x800000. Not simulated: normal mode,
 * FIFO, interrupts, and the IIR filter (the output is the unfiltered conversion).
 * Time comes from the injected Clock; nothing here sleeps.
 */
import type { Clock } from '../clock.js';
import { DEFAULT_ENVIRONMENT, type Environment } from '../environment.js';
import { registerTransaction } from '../i2c/register-file.js';
import type { I2cDevice } from '../i2c/simulated-bus.js';
import { encodeNvm, EXAMPLE_NVM, scaleCalibration, temperatureC, upForPressure, utForTemperature, type Bmp388Calibration, type Bmp388Nvm } from './compensation.js';
import * as R from './registers.js';
import { conversionTimeMs } from './settings.js';

export interface Bmp388SimulatorOptions {
  chip?: R.Bmp388Chip;
  nvm?: Bmp388Nvm;
  environment?: Environment;
  /** Fault: answer this chip ID instead of the chip's own. */
  chipId?: number;
  /** Fault: conversions never complete (drdy stays 0). */
  stuck?: boolean;
}

export class Bmp388Simulator implements I2cDevice {
  readonly chip: R.Bmp388Chip;
  readonly calibration: Bmp388Calibration;
  chipId: number;
  stuck: boolean;
  environment: Environment;

  private readonly clock: Clock;
  private readonly nvm: Buffer;
  private pointer = 0;
  private pwrCtrl = 0;
  private osr = 0x02;
  private config = 0;
  private status = R.STATUS_CMD_RDY;
  private conversionEnd: number | undefined;
  private up = R.SKIPPED_ADC;
  private ut = R.SKIPPED_ADC;
  private completed = 0;

  constructor(clock: Clock, options: Bmp388SimulatorOptions = {}) {
    this.clock = clock;
    this.chip = options.chip ?? 'BMP388';
    const nvm = options.nvm ?? EXAMPLE_NVM;
    this.nvm = encodeNvm(nvm);
    this.calibration = scaleCalibration(nvm);
    this.chipId = options.chipId ?? (this.chip === 'BMP390' ? R.CHIP_ID_BMP390 : R.CHIP_ID_BMP388);
    this.stuck = options.stuck ?? false;
    this.environment = options.environment ?? DEFAULT_ENVIRONMENT;
  }

  /** Conversions completed since construction. */
  get conversions(): number {
    this.update(this.clock.now());
    return this.completed;
  }

  transfer(write: Uint8Array, readLength: number): Buffer {
    const now = this.clock.now();
    this.update(now);
    const t = registerTransaction(this.pointer, write, readLength, (r, v) => this.writeRegister(r, v, now), (r) => this.readRegister(r));
    this.pointer = t.pointer;
    const start = t.start;
    // Reading any data register clears the ready flags (drdy is reset on data read-out).
    if (readLength > 0 && start <= R.REG_DATA + R.DATA_LENGTH - 1 && start + readLength > R.REG_DATA) {
      this.status &= ~(R.STATUS_DRDY_PRESS | R.STATUS_DRDY_TEMP);
    }
    return t.data;
  }

  /** Fault: power lost and restored behind the driver's back. */
  powerCycle(): void {
    this.reset();
  }

  private reset(): void {
    this.pwrCtrl = 0;
    this.osr = 0x02;
    this.config = 0;
    this.status = R.STATUS_CMD_RDY;
    this.conversionEnd = undefined;
    this.up = R.SKIPPED_ADC;
    this.ut = R.SKIPPED_ADC;
  }

  private writeRegister(register: number, value: number, now: number): void {
    switch (register) {
      case R.REG_CMD:
        if (value === R.CMD_SOFT_RESET) this.reset();
        return;
      case R.REG_OSR:
        this.osr = value & 0x3f;
        return;
      case R.REG_CONFIG:
        this.config = value & 0x0e;
        return;
      case R.REG_PWR_CTRL: {
        this.pwrCtrl = value & (R.PWR_PRESS_EN | R.PWR_TEMP_EN | R.PWR_MODE_MASK);
        const mode = (this.pwrCtrl & R.PWR_MODE_MASK) >> R.PWR_MODE_SHIFT;
        this.conversionEnd = mode === 1 || mode === 2 ? now + conversionTimeMs(this.osr & 7, this.osr >> R.OSR_T_SHIFT) : undefined;
        return;
      }
      default:
        return;
    }
  }

  private readRegister(register: number): number {
    if (register >= R.REG_CALIB && register < R.REG_CALIB + R.CALIB_LENGTH) return this.nvm[register - R.REG_CALIB]!;
    const byte = (v: number, k: number): number => (v >> (8 * k)) & 0xff;
    switch (register) {
      case R.REG_CHIP_ID: return this.chipId;
      case R.REG_ERR: return 0;
      case R.REG_STATUS: return this.status;
      case R.REG_DATA: case R.REG_DATA + 1: case R.REG_DATA + 2: return byte(this.up, register - R.REG_DATA);
      case R.REG_DATA + 3: case R.REG_DATA + 4: case R.REG_DATA + 5: return byte(this.ut, register - R.REG_DATA - 3);
      case R.REG_PWR_CTRL: return this.pwrCtrl;
      case R.REG_OSR: return this.osr;
      case R.REG_CONFIG: return this.config;
      default: return 0;
    }
  }

  private update(now: number): void {
    if (this.stuck || this.conversionEnd === undefined || now < this.conversionEnd) return;
    const env = this.environment(this.conversionEnd);
    this.conversionEnd = undefined;
    this.completed++;
    const ut = utForTemperature(env.temperatureC, this.calibration);
    this.ut = this.pwrCtrl & R.PWR_TEMP_EN ? ut : R.SKIPPED_ADC;
    this.up = this.pwrCtrl & R.PWR_PRESS_EN ? upForPressure(env.pressurePa, temperatureC(ut, this.calibration), this.calibration) : R.SKIPPED_ADC;
    this.status |= R.STATUS_DRDY_PRESS | R.STATUS_DRDY_TEMP;
    this.pwrCtrl &= ~R.PWR_MODE_MASK; // forced mode returns to sleep
  }
}
