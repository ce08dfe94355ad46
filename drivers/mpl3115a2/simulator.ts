/**
 * A register-level MPL3115A2: WHO_AM_I 0xC4; (register, value) writes, auto-increment reads; the
 * register pointer does not survive a STOP (a read in its own transaction answers from 0x00, as the
 * real chip does without a repeated start); RST resets at once and does not acknowledge; a one-shot
 * (OST) takes the OS's sample time, then sets PDR/TDR/PTDR and clears OST; reading the data clears
 * the flags. Barometer mode outputs Q18.2 Pa, altimeter mode Q16.4 m computed from BAR_IN with the
 * chip's formula. Not simulated: FIFO, interrupts, offsets, active (SBYB) mode.
 * Time comes from the injected Clock; nothing here sleeps.
 */
import type { Clock } from '../clock.js';
import { DEFAULT_ENVIRONMENT, type Environment } from '../environment.js';
import { I2cError } from '../i2c/i2c-bus.js';
import type { I2cDevice } from '../i2c/simulated-bus.js';
import { chipAltitudeM, encodeAltitude, encodePressure, encodeTemperature } from './conversion.js';
import * as R from './registers.js';

export interface Mpl3115a2SimulatorOptions {
  environment?: Environment;
  /** Fault: answer this WHO_AM_I. */
  chipId?: number;
  /** Fault: one-shots never complete. */
  stuck?: boolean;
}

/** BAR_IN after reset: 0xC5E7 = 101326 Pa (unverified). */
const BAR_IN_DEFAULT = 0xc5e7;

export class Mpl3115a2Simulator implements I2cDevice {
  environment: Environment;
  chipId: number;
  stuck: boolean;

  private readonly clock: Clock;
  private readonly regs = new Uint8Array(0x30);
  private oneShotEnd: number | undefined;
  private completed = 0;

  constructor(clock: Clock, options: Mpl3115a2SimulatorOptions = {}) {
    this.clock = clock;
    this.environment = options.environment ?? DEFAULT_ENVIRONMENT;
    this.chipId = options.chipId ?? R.WHO_AM_I;
    this.stuck = options.stuck ?? false;
    this.reset();
  }

  get conversions(): number {
    this.update(this.clock.now());
    return this.completed;
  }

  transfer(write: Uint8Array, readLength: number): Buffer {
    const now = this.clock.now();
    this.update(now);
    // A new transaction starts at register 0x00 unless it writes a register address first.
    let pointer = write.length > 0 ? write[0]! : R.REG_STATUS;
    for (let i = 1; i < write.length; i++) {
      if (this.writeRegister(pointer, write[i]!, now) === 'reset') {
        throw new I2cError('simulated MPL3115A2 reset: the RST write is not acknowledged (EREMOTEIO)', 'EREMOTEIO', 0x60);
      }
      pointer++;
    }
    const out = Buffer.alloc(readLength);
    for (let k = 0; k < readLength; k++) out[k] = this.readRegister(pointer + k);
    if (readLength > 0 && pointer <= R.REG_OUT_P + R.DATA_LENGTH - 1 && pointer + readLength > R.REG_OUT_P) {
      this.regs[R.REG_STATUS] = 0; // reading the data clears the ready flags
    }
    return out;
  }

  private reset(): void {
    this.regs.fill(0);
    this.regs[R.REG_BAR_IN] = BAR_IN_DEFAULT >> 8;
    this.regs[R.REG_BAR_IN + 1] = BAR_IN_DEFAULT & 0xff;
    this.oneShotEnd = undefined;
  }

  private writeRegister(register: number, value: number, now: number): 'reset' | undefined {
    if (register === R.REG_CTRL_REG1) {
      if (value & R.CTRL1_RST) {
        this.reset();
        return 'reset';
      }
      const wasRunning = (this.regs[register]! & R.CTRL1_OST) !== 0;
      this.regs[register] = value & ~R.CTRL1_RST;
      // A set OST cannot be re-triggered: only a 0 → 1 edge starts a one-shot.
      if (value & R.CTRL1_OST && !wasRunning) this.oneShotEnd = now + R.SAMPLE_TIME_MS[(value >> R.CTRL1_OS_SHIFT) & 7]!;
      return undefined;
    }
    if (register === R.REG_PT_DATA_CFG || register === R.REG_BAR_IN || register === R.REG_BAR_IN + 1) this.regs[register] = value;
    return undefined;
  }

  private readRegister(register: number): number {
    if (register === R.REG_WHO_AM_I) return this.chipId;
    if (register === R.REG_DR_STATUS) return this.regs[R.REG_STATUS]!;
    return register < this.regs.length ? this.regs[register]! : 0;
  }

  private update(now: number): void {
    if (this.stuck || this.oneShotEnd === undefined || now < this.oneShotEnd) return;
    const env = this.environment(this.oneShotEnd);
    this.oneShotEnd = undefined;
    this.completed++;
    const ctrl1 = this.regs[R.REG_CTRL_REG1]!;
    const seaLevelPa = 2 * ((this.regs[R.REG_BAR_IN]! << 8) | this.regs[R.REG_BAR_IN + 1]!);
    const p = ctrl1 & R.CTRL1_ALT ? encodeAltitude(chipAltitudeM(env.pressurePa, seaLevelPa)) : encodePressure(env.pressurePa);
    this.regs.set(p, R.REG_OUT_P);
    this.regs.set(encodeTemperature(env.temperatureC), R.REG_OUT_P + 3);
    this.regs[R.REG_STATUS] = R.STATUS_PTDR | R.STATUS_PDR | R.STATUS_TDR;
    this.regs[R.REG_CTRL_REG1] = ctrl1 & ~R.CTRL1_OST;
  }
}
