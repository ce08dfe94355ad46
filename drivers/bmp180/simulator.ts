/**
 * A register-level BMP180: ID 0x55, big-endian calibration at 0xAA, a write to ctrl_meas starts a
 * temperature (0x2E) or pressure (0x34 + oss << 6) conversion that keeps sco set for the maximum
 * conversion time, after which out_msb/lsb/xlsb hold the result (until then: the previous one).
 * A soft reset (0xB6 to 0xE0) clears ctrl_meas. Time comes from the injected Clock.
 */
import type { Clock } from '../clock.js';
import { DEFAULT_ENVIRONMENT, type Environment } from '../environment.js';
import { registerTransaction } from '../i2c/register-file.js';
import type { I2cDevice } from '../i2c/simulated-bus.js';
import { b5, encodeCalibration, EXAMPLE_CALIBRATION, upForPressure, utForTemperature, type Bmp180Calibration } from './compensation.js';
import * as R from './registers.js';

export interface Bmp180SimulatorOptions {
  calibration?: Bmp180Calibration;
  environment?: Environment;
  /** Fault: answer this ID instead of 0x55. */
  chipId?: number;
  /** Fault: sco never clears. */
  stuck?: boolean;
}

export class Bmp180Simulator implements I2cDevice {
  readonly calibration: Bmp180Calibration;
  chipId: number;
  stuck: boolean;
  environment: Environment;
  /** Fault: overwrite calibration bytes (e.g. to read 0xFFFF). */
  readonly nvm: Buffer;

  private readonly clock: Clock;
  private pointer = 0;
  private ctrl = 0;
  private conversion: { end: number; command: number } | undefined;
  private out = 0;

  constructor(clock: Clock, options: Bmp180SimulatorOptions = {}) {
    this.clock = clock;
    this.calibration = options.calibration ?? EXAMPLE_CALIBRATION;
    this.nvm = encodeCalibration(this.calibration);
    this.chipId = options.chipId ?? R.CHIP_ID;
    this.stuck = options.stuck ?? false;
    this.environment = options.environment ?? DEFAULT_ENVIRONMENT;
  }

  transfer(write: Uint8Array, readLength: number): Buffer {
    const now = this.clock.now();
    this.update(now);
    const t = registerTransaction(this.pointer, write, readLength, (r, v) => this.writeRegister(r, v, now), (r) => this.readRegister(r));
    this.pointer = t.pointer;
    return t.data;
  }

  private writeRegister(register: number, value: number, now: number): void {
    if (register === 0xe0 && value === 0xb6) {
      this.ctrl = 0;
      this.conversion = undefined;
    } else if (register === R.REG_CTRL_MEAS) {
      const oss = value >> R.OSS_SHIFT;
      const measurement = value & 0x1f;
      const ms = measurement === (R.CMD_TEMPERATURE & 0x1f) ? R.TEMPERATURE_MAX_MS : measurement === (R.CMD_PRESSURE & 0x1f) ? R.PRESSURE_MAX_MS[oss]! : undefined;
      this.ctrl = (value & ~R.CTRL_SCO) | (ms !== undefined ? R.CTRL_SCO : 0);
      this.conversion = ms !== undefined ? { end: now + ms, command: value } : undefined;
    }
  }

  private readRegister(register: number): number {
    if (register >= R.REG_CALIB && register < R.REG_CALIB + R.CALIB_LENGTH) return this.nvm[register - R.REG_CALIB]!;
    switch (register) {
      case R.REG_ID: return this.chipId;
      case R.REG_CTRL_MEAS: return this.ctrl;
      case R.REG_OUT: return (this.out >> 16) & 0xff;
      case R.REG_OUT + 1: return (this.out >> 8) & 0xff;
      case R.REG_OUT + 2: return this.out & 0xff;
      default: return 0;
    }
  }

  private update(now: number): void {
    const c = this.conversion;
    if (this.stuck || !c || now < c.end) return;
    this.conversion = undefined;
    this.ctrl &= ~R.CTRL_SCO;
    const env = this.environment(c.end);
    const ut = utForTemperature(env.temperatureC, this.calibration);
    if (c.command === R.CMD_TEMPERATURE) {
      this.out = ut << 8; // 16-bit UT in out_msb/out_lsb
      return;
    }
    const oss = c.command >> R.OSS_SHIFT;
    const up = upForPressure(env.pressurePa, b5(ut, this.calibration), oss, this.calibration);
    this.out = up * 2 ** (8 - oss); // 16 + oss bits, left-aligned in msb/lsb/xlsb
  }
}
