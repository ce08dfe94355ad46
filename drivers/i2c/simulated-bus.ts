/**
 * An in-memory I2C bus: simulated chips attached at addresses, with fault injection so retry and
 * error paths can be tested without hardware. Devices are synchronous (a register file answers
 * at once), which also lets a synchronous adapter (`transferSync`) sit on top for libraries that
 * only use i2c-bus's *Sync calls.
 */
import { I2cError, checkAddress, hex, type I2cBus } from './i2c-bus.js';

/** A simulated chip: one I2C transaction (write, then read) against its register file. */
export interface I2cDevice {
  transfer(write: Uint8Array, readLength: number): Buffer;
}

/** Decides whether transaction `index` (0-based, counted over the bus's life) fails, and with which code. */
export type FaultPredicate = (address: number, write: Uint8Array, readLength: number, index: number) => string | undefined;

export interface SimulatedI2cBusOptions {
  /** Probability in [0, 1] that any transaction fails with `failureCode`; 0 by default. */
  failureRate?: number;
  /** Seed of the deterministic generator behind failureRate. */
  seed?: number;
  failureCode?: string;
}

/** mulberry32: a tiny deterministic PRNG so "random" failures replay identically. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimulatedI2cBus implements I2cBus {
  private readonly devices = new Map<number, I2cDevice>();
  private failuresLeft = 0;
  private failuresCode = 'EIO';
  private predicate: FaultPredicate | undefined;
  private failureRate: number;
  private failureCode: string;
  private random: () => number;
  private count = 0;
  private closed = false;

  constructor(options: SimulatedI2cBusOptions = {}) {
    this.failureRate = options.failureRate ?? 0;
    this.failureCode = options.failureCode ?? 'EIO';
    this.random = seededRandom(options.seed ?? 1);
  }

  attach(address: number, device: I2cDevice): this {
    checkAddress(address);
    if (this.devices.has(address)) throw new Error(`a simulated device is already attached at ${hex(address)}`);
    this.devices.set(address, device);
    return this;
  }

  detach(address: number): void {
    this.devices.delete(address);
  }

  device(address: number): I2cDevice | undefined {
    return this.devices.get(address);
  }

  /** The next `count` transactions fail with `code` (before reaching the device). */
  failNext(count = 1, code = 'EIO'): void {
    this.failuresLeft = count;
    this.failuresCode = code;
  }

  /** Fail the transactions the predicate picks (return a code), or stop doing so (undefined). */
  failWhen(predicate: FaultPredicate | undefined): void {
    this.predicate = predicate;
  }

  /** Fail each transaction with probability `rate`, from a seeded generator (reproducible). */
  setFailureRate(rate: number, seed = 1, code = 'EIO'): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`failure rate ${rate} is not in 0…1`);
    this.failureRate = rate;
    this.failureCode = code;
    this.random = seededRandom(seed);
  }

  /** Transactions attempted so far, failed ones included. */
  get transactions(): number {
    return this.count;
  }

  transferSync(address: number, write: Uint8Array, readLength: number): Buffer {
    checkAddress(address);
    if (!Number.isInteger(readLength) || readLength < 0) throw new RangeError(`Invalid read length ${readLength}`);
    const index = this.count++;
    if (this.closed) throw new I2cError(`I2C bus is closed (transfer at ${hex(address)})`, 'EBADF', address);
    const code = this.injectedFault(address, write, readLength, index);
    if (code !== undefined) {
      throw new I2cError(`simulated ${code} at ${hex(address)} (transaction ${index})`, code, address);
    }
    const device = this.devices.get(address);
    // Linux reports a missing acknowledge of the address byte as EREMOTEIO.
    if (!device) throw new I2cError(`no acknowledge from ${hex(address)}: nothing at this address (EREMOTEIO)`, 'EREMOTEIO', address);
    return device.transfer(write, readLength);
  }

  async transfer(address: number, write: Uint8Array, readLength: number): Promise<Buffer> {
    return this.transferSync(address, write, readLength);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private injectedFault(address: number, write: Uint8Array, readLength: number, index: number): string | undefined {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      return this.failuresCode;
    }
    const code = this.predicate?.(address, write, readLength, index);
    if (code !== undefined) return code;
    if (this.failureRate > 0 && this.random() < this.failureRate) return this.failureCode;
    return undefined;
  }
}

/**
 * A simulated chip whose transactions fail with probability `rate` (seeded, so reproducible),
 * before reaching it: faults aimed at one address, while other chips on the bus answer normally.
 */
export class FaultyDevice implements I2cDevice {
  private readonly random: () => number;
  private count = 0;

  constructor(
    private readonly inner: I2cDevice,
    private readonly address: number,
    private readonly rate: number,
    seed = 1,
    private readonly code = 'EIO',
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`failure rate ${rate} is not in 0…1`);
    this.random = seededRandom(seed);
  }

  transfer(write: Uint8Array, readLength: number): Buffer {
    const index = this.count++;
    if (this.rate > 0 && this.random() < this.rate) {
      throw new I2cError(`simulated ${this.code} at ${hex(this.address)} (transaction ${index} of this chip)`, this.code, this.address);
    }
    return this.inner.transfer(write, readLength);
  }
}
