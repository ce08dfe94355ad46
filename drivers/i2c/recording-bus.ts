/**
 * Wraps a bus and records every transaction, failed ones included (with their error code), so a
 * session on a real board (`edge-agent read --record FILE`) becomes a playback fixture for a test.
 */
import { writeFile } from 'node:fs/promises';
import type { I2cBus } from './i2c-bus.js';
import { serialiseTranscript, type TranscriptStep } from './transcript.js';

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : 'EIO';
}

export class RecordingBus implements I2cBus {
  private readonly inner: I2cBus;
  private steps: TranscriptStep[] = [];

  constructor(inner: I2cBus) {
    this.inner = inner;
  }

  async transfer(address: number, write: Uint8Array, readLength: number): Promise<Buffer> {
    const written = Uint8Array.from(write);
    try {
      const read = await this.inner.transfer(address, write, readLength);
      this.steps.push({ address, write: written, read: Uint8Array.from(read), readLength });
      return read;
    } catch (error) {
      this.steps.push({ address, write: written, read: new Uint8Array(0), readLength, error: errorCode(error) });
      throw error;
    }
  }

  /** A copy of what has been recorded so far. */
  get transcript(): TranscriptStep[] {
    return this.steps.slice();
  }

  toJson(): string {
    return serialiseTranscript(this.steps);
  }

  /** Write the transcript (the playback script format of transcript.ts) to `path`. */
  async save(path: string): Promise<void> {
    await writeFile(path, this.toJson(), 'utf8');
  }

  clear(): void {
    this.steps = [];
  }

  /** The recorder stands in for the bus it wraps, so closing it closes that bus. */
  async close(): Promise<void> {
    await this.inner.close();
  }
}
