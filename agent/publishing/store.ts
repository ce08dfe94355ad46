/**
 * Where the outbox keeps messages until they are settled: a FIFO of numbered records, consumed
 * from its tail as the broker acknowledges them, with a small cursor (the numbering's state) saved
 * beside it. Two kinds:
 * - DiskStore (disk-store.ts): the segment log on disk, durable across crashes and power cuts
 *   (queue.enabled true);
 * - MemoryStore (memory-store.ts): the same in memory, lost at exit; with no room at all it keeps
 *   nothing, which is queue.enabled false: what cannot go out at once is dropped.
 */
import type { QueueConfig } from '../config/types.js';
import { DiskStore } from './disk-store.js';
import { MemoryStore } from './memory-store.js';
import type { OutgoingMessage } from './message.js';

/** The cursor's content: what numbering needs to resume (publishing/numbering.ts). */
export interface QueueMeta {
  /** Last sequence number submitted per sensor, so numbering continues across restarts. */
  seqs: Record<string, number>;
  /** The store's head when this was written: records after it may carry later sequence numbers. */
  head: number;
  /** True only when written by a clean stop: false means the agent did not stop cleanly. */
  clean?: boolean;
  /**
   * The kernel's boot id when this was written. An unclean stop within the same boot was a crash
   * of the process (SIGKILL, OOM): everything it appended is in the page cache, so in the log. A
   * different boot means a power cut or a reset: appends not yet flushed may be gone.
   */
  boot?: string;
}

export interface StoreOpened {
  /** Records kept and not yet consumed. */
  pending: number;
  /** Records lost in torn tails (a power cut mid-write), and their bytes. */
  tornRecords: number;
  tornBytes: number;
  /** The cursor as last saved; undefined for a store never used before. */
  meta: QueueMeta | undefined;
}

export interface StoredMessage {
  index: number;
  message: OutgoingMessage;
}

/** A store that keeps nothing (MemoryStore with no room): the message cannot wait here. */
export class NotKeptError extends Error {
  constructor() {
    super('the queue is off: nothing is kept');
    this.name = 'NotKeptError';
  }
}

export interface Store {
  /** Survives a restart: its cursor is worth saving at every sync. */
  readonly persistent: boolean;
  /** Index of the first record not consumed. */
  readonly tail: number;
  /** Index the next record will get. */
  readonly head: number;
  /** Records not consumed (head − tail). */
  readonly pending: number;
  readonly bytes: number;
  open(): StoreOpened;
  /**
   * Keep a message; its index. The cap may drop the oldest records to make room (`tail` moves).
   * Throws NotKeptError (a store that keeps nothing), RecordTooLargeError (larger than the cap
   * allows), or the I/O error of a failing disk.
   */
  append(message: OutgoingMessage): number;
  /**
   * Keep messages in order, in as few writes as the store can; `count` were kept (the last `count`
   * indices before `head`), and `error` is why the next one was not (what `append` would throw).
   */
  appendMany(messages: readonly OutgoingMessage[]): { count: number; error?: unknown };
  /** Up to `max` records from `from` on (from ≥ tail), in order. */
  read(from: number, max: number): StoredMessage[];
  /** Everything before `index` is done with. */
  consume(index: number): void;
  /** Records below this index are durable (synced to the device); at most `head`. */
  readonly durable: number;
  /** Save `meta` at start-up, synchronously (nothing samples yet); throws what the disk says. */
  commitAtStart(meta: QueueMeta): void;
  /**
   * Make what is kept durable and save `meta`, off the event loop; `reclaim` deletes consumed space
   * now; `cursor` false leaves the saved cursor as it is unless consumed space can be freed (the
   * kept records after it say the rest). Commits asked for while one runs are joined into the next
   * one. Rejects with the failure.
   */
  commit(meta: QueueMeta, options?: { reclaim?: boolean; cursor?: boolean }): Promise<void>;
  /** Commit and let go of the files. */
  close(meta: QueueMeta): Promise<void>;
}

/** The store queue.* asks for. */
export function storeFor(config: QueueConfig): Store {
  return config.enabled ? new DiskStore(config) : new MemoryStore({ maxBytes: 0 });
}
