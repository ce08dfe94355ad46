/**
 * The playback script format: a JSON list of I2C transactions with hex strings, so a session on a
 * real board (recorded by RecordingBus) can be committed as a test fixture and replayed by
 * PlaybackBus. One transaction per line keeps fixture diffs readable.
 *
 *   {"version":1,"transactions":[
 *     {"addr":"0x76","write":"d0","read":"58"},
 *     {"addr":"0x76","write":"e0b6","read":""},
 *     {"addr":"0x40","write":"00","readLength":1,"error":"EREMOTEIO"}
 *   ]}
 *
 * A failed transaction has `error` (the OS code) and `readLength` instead of `read`.
 * An optional `note` string on a transaction is kept for humans and ignored by playback.
 */
import { hex } from './i2c-bus.js';

export const TRANSCRIPT_VERSION = 1;

export interface TranscriptStep {
  address: number;
  write: Uint8Array;
  /** Bytes read; empty for a write-only transaction and for a failed one. */
  read: Uint8Array;
  readLength: number;
  /** The error code the transaction failed with, if it did. */
  error?: string;
  note?: string;
}

export class TranscriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranscriptError';
  }
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function fromHex(text: unknown, where: string, field: string): Buffer {
  if (typeof text !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(text.replace(/\s+/g, ''))) {
    throw new TranscriptError(`${where}: "${field}" must be a hex string of whole bytes (e.g. "d0" or "f7 00"), got ${JSON.stringify(text)}`);
  }
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

export function describeStep(step: Pick<TranscriptStep, 'address' | 'write' | 'readLength'>): string {
  return `addr ${hex(step.address)} write [${toHex(step.write) || '-'}] read ${step.readLength} byte(s)`;
}

export function parseTranscript(text: string): TranscriptStep[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new TranscriptError(`transcript is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { transactions?: unknown }).transactions)) {
    throw new TranscriptError('transcript must be an object {"version":1,"transactions":[…]}');
  }
  const { version, transactions } = doc as { version?: unknown; transactions: unknown[] };
  if (version !== TRANSCRIPT_VERSION) {
    throw new TranscriptError(`transcript version ${JSON.stringify(version)} is not supported: expected ${TRANSCRIPT_VERSION}`);
  }
  return transactions.map((raw, i): TranscriptStep => {
    const where = `transcript step ${i + 1}`;
    if (typeof raw !== 'object' || raw === null) throw new TranscriptError(`${where}: must be an object, got ${JSON.stringify(raw)}`);
    const t = raw as Record<string, unknown>;
    const address = typeof t.addr === 'string' && /^0x[0-9a-fA-F]{1,2}$/.test(t.addr) ? Number.parseInt(t.addr, 16) : NaN;
    if (!(address >= 0x03 && address <= 0x77)) {
      throw new TranscriptError(`${where}: "addr" must be a 7-bit address as a hex string "0x03"…"0x77", got ${JSON.stringify(t.addr)}`);
    }
    const write = fromHex(t.write, where, 'write');
    const note = typeof t.note === 'string' ? t.note : undefined;
    if (t.error !== undefined) {
      if (typeof t.error !== 'string' || t.error === '') throw new TranscriptError(`${where}: "error" must be an error code string such as "EIO"`);
      const readLength = t.readLength;
      if (typeof readLength !== 'number' || !Number.isInteger(readLength) || readLength < 0) {
        throw new TranscriptError(`${where}: a failed step needs "readLength" (a non-negative integer), got ${JSON.stringify(readLength)}`);
      }
      return { address, write, read: Buffer.alloc(0), readLength, error: t.error, ...(note ? { note } : {}) };
    }
    const read = fromHex(t.read, where, 'read');
    return { address, write, read, readLength: read.length, ...(note ? { note } : {}) };
  });
}

export function serialiseTranscript(steps: readonly TranscriptStep[]): string {
  const lines = steps.map((s) => {
    const base: Record<string, unknown> = { addr: hex(s.address), write: toHex(s.write) };
    if (s.error !== undefined) Object.assign(base, { readLength: s.readLength, error: s.error });
    else base.read = toHex(s.read);
    if (s.note) base.note = s.note;
    return '    ' + JSON.stringify(base);
  });
  return `{\n  "version": ${TRANSCRIPT_VERSION},\n  "transactions": [\n${lines.join(',\n')}\n  ]\n}\n`;
}
