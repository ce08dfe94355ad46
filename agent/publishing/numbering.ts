/**
 * Sequence numbers across restarts: each sensor numbers its samples, and a number is never used
 * for two readings, whatever stopped the agent last time. The store's cursor keeps the state
 * (store.ts QueueMeta): the last number per sensor, the store's head when it was written, whether
 * the stop was clean, and the boot it was written in.
 *
 * QoS 0 readings sent straight out move a sensor's numbering without touching the store, and are
 * recorded only once per NUMBERING_RECORD_MS (every second would write the SD card every second
 * for as long as the agent runs): for a sensor with QoS 0 measurements the cursor records a
 * reservation, the number reached plus every number it can use before the next record. QoS 1/2
 * readings are in the store; but after a power cut (an unclean stop in an earlier boot) those
 * appended since the last fdatasync may not have reached the disk, or were torn, so then every
 * sensor resumes past any number it may have used: a reading lost is a gap the consumer sees,
 * never a number given to another reading.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../drivers/clock.js';
import type { QueueConfig } from '../config/types.js';
import type { OutgoingMessage } from './message.js';
import type { QueueMeta } from './store.js';

/** How a sensor numbers its readings (sampling/sampling.ts says it for each). */
export interface SensorNumbering {
  intervalMs: number;
  /** It has QoS 0 measurements: their numbers move without touching the store. */
  qos0: boolean;
}

/**
 * How long the numbering of QoS 0 readings sent straight out may go unrecorded. After an unclean
 * stop, numbering skips this much (plus one sync interval) worth of samples instead.
 */
export const NUMBERING_RECORD_MS = 60_000;

/** The kernel's id for this boot (random, new at every boot; Linux's proc(5)); '' where there is none. */
export function currentBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export class Numbering {
  /** Last number submitted per sensor. */
  private readonly seqs: Record<string, number> = {};
  /** Numbers reserved ahead per sensor with QoS 0 measurements. */
  private readonly reserve: Record<string, number> = {};
  /** The numbering last put in the cursor, the store's head then, and when (clock ms). */
  private recorded: { seqs: Record<string, number>; head: number; at: number } = { seqs: {}, head: -1, at: -Infinity };

  constructor(
    private readonly clock: Clock,
    private readonly config: Pick<QueueConfig, 'sync' | 'syncIntervalMs'>,
    /** This boot's id (QueueMeta.boot); a test gives another to play a power cut. */
    readonly bootId: string,
  ) {}

  /** Readings numbered after this long before an unclean stop may have gone out unrecorded. */
  get lagMs(): number {
    return NUMBERING_RECORD_MS + this.config.syncIntervalMs;
  }

  /** How long appended QoS 1/2 records may stay unflushed: lost by a power cut, not by a crash. */
  private get unsyncedMs(): number {
    return this.config.sync === 'always' ? 0 : 2 * this.config.syncIntervalMs;
  }

  /**
   * Resume from what the store kept: its cursor and the records appended after it (they carry
   * later numbers). Says whether the last stop was unclean, and whether it was a power cut.
   */
  resume(meta: QueueMeta | undefined, appendedSince: Iterable<OutgoingMessage>, sensors: Record<string, SensorNumbering>): { unclean: boolean; powerCut: boolean } {
    for (const [sensor, { intervalMs, qos0 }] of Object.entries(sensors)) if (qos0) this.reserve[sensor] = Math.ceil(this.lagMs / intervalMs) + 1;
    const unclean = meta?.clean === false;
    const powerCut = unclean && (meta?.boot !== this.bootId || this.bootId === '');
    Object.assign(this.seqs, meta?.seqs ?? {});
    for (const message of appendedSince) this.note(message);
    if (powerCut) {
      for (const [sensor, { intervalMs, qos0 }] of Object.entries(sensors)) {
        if (!qos0 && this.seqs[sensor] !== undefined) this.seqs[sensor] += Math.ceil(this.unsyncedMs / intervalMs) + 1;
      }
    }
    return { unclean, powerCut };
  }

  /** A message submitted: its sensor's numbering has reached its number. */
  note(message: OutgoingMessage): void {
    if ((this.seqs[message.sensor] ?? 0) < message.seq) this.seqs[message.sensor] = message.seq;
  }

  /** The last number per sensor that may have been used: numbering resumes after it. */
  get last(): Record<string, number> {
    return { ...this.seqs };
  }

  /**
   * The cursor while running. Numbering that moved only by QoS 0 readings sent straight out is
   * recorded once per NUMBERING_RECORD_MS, as a reservation; anything appended to the store is
   * recorded at the next sync (`head` moved), so the numbers of QoS 1/2-only sensors stay exact.
   * `fresh`: the reservation counted from now (the cursor is about to be written).
   */
  running(head: number, fresh = false): QueueMeta {
    const now = this.clock.now();
    if (fresh || head !== this.recorded.head || now - this.recorded.at >= NUMBERING_RECORD_MS) {
      const seqs: Record<string, number> = { ...this.seqs };
      for (const [sensor, ahead] of Object.entries(this.reserve)) seqs[sensor] = (seqs[sensor] ?? 0) + ahead;
      this.recorded = { seqs, head, at: now };
    }
    return { seqs: this.recorded.seqs, head: this.recorded.head, clean: false, boot: this.bootId };
  }

  /** The cursor at a clean stop: the exact numbers. */
  stopped(head: number): QueueMeta {
    return { seqs: { ...this.seqs }, head, clean: true, boot: this.bootId };
  }
}
