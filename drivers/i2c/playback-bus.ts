/**
 * A strict playback bus (periph.io's i2ctest.Playback): every transfer must be exactly the next
 * scripted transaction (address, bytes written, read length), and assertDone() fails if any step
 * was not consumed. A driver test against a script asserts the driver's exact bus traffic.
 */
import { readFile } from 'node:fs/promises';
import { I2cError, hex, type I2cBus } from './i2c-bus.js';
import { describeStep, parseTranscript, type TranscriptStep } from './transcript.js';

/** The code under test did not do what the script says. Not an I2cError: nothing should retry it. */
export class PlaybackMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaybackMismatchError';
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class PlaybackBus implements I2cBus {
  private readonly steps: readonly TranscriptStep[];
  private position = 0;
  private closed = false;

  constructor(steps: readonly TranscriptStep[]) {
    this.steps = steps;
  }

  static fromJson(text: string): PlaybackBus {
    return new PlaybackBus(parseTranscript(text));
  }

  static async fromFile(path: string): Promise<PlaybackBus> {
    return PlaybackBus.fromJson(await readFile(path, 'utf8'));
  }

  /** Steps consumed so far. */
  get consumed(): number {
    return this.position;
  }

  get remaining(): number {
    return this.steps.length - this.position;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async transfer(address: number, write: Uint8Array, readLength: number): Promise<Buffer> {
    const actual = describeStep({ address, write, readLength });
    const step = this.steps[this.position];
    if (!step) {
      throw new PlaybackMismatchError(`playback: unexpected transaction ${this.position + 1}, the script has only ${this.steps.length} step(s); got ${actual}`);
    }
    if (step.address !== address || !same(step.write, write) || step.readLength !== readLength) {
      throw new PlaybackMismatchError(`playback step ${this.position + 1} of ${this.steps.length}: expected ${describeStep(step)}; got ${actual}`);
    }
    this.position++;
    if (step.error !== undefined) {
      throw new I2cError(`playback step ${this.position}: scripted ${step.error} at ${hex(address)}`, step.error, address);
    }
    return Buffer.from(step.read);
  }

  /** Throws if the code under test stopped before the end of the script. */
  assertDone(): void {
    if (this.position < this.steps.length) {
      const next = this.steps[this.position]!;
      throw new PlaybackMismatchError(
        `playback: ${this.steps.length - this.position} of ${this.steps.length} step(s) not consumed; next is step ${this.position + 1}: ${describeStep(next)}`,
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
