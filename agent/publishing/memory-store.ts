/**
 * The store in memory: the same FIFO as the disk's, capped by `maxBytes` (the oldest records go
 * first, as the disk's oldest segments do), lost at exit. With `maxBytes` 0 it keeps nothing
 * (queue.enabled false). Tests run the outbox on it where the disk is not the point.
 */
import { RecordTooLargeError } from './segment-log.js';
import type { OutgoingMessage } from './message.js';
import { NotKeptError, type QueueMeta, type Store, type StoredMessage, type StoreOpened } from './store.js';

/** A record's size as the cap counts it: about what the disk's would be. */
const size = (m: OutgoingMessage): number => 30 + m.topic.length + m.sensor.length + m.payload.length;

export class MemoryStore implements Store {
  readonly persistent = false;
  private readonly maxBytes: number;
  /** Records from `tail` on start at `records[offset]` (the slots before it are free). */
  private records: Array<OutgoingMessage | undefined> = [];
  private offset = 0;
  private first = 0;
  private size = 0;
  private meta: QueueMeta | undefined;

  constructor({ maxBytes }: { maxBytes: number }) {
    this.maxBytes = maxBytes;
  }

  get tail(): number {
    return this.first;
  }

  get head(): number {
    return this.first + this.pending;
  }

  get pending(): number {
    return this.records.length - this.offset;
  }

  get bytes(): number {
    return this.size;
  }

  open(): StoreOpened {
    return { pending: this.pending, tornRecords: 0, tornBytes: 0, meta: this.meta };
  }

  append(message: OutgoingMessage): number {
    if (this.maxBytes === 0) throw new NotKeptError();
    const bytes = size(message);
    // As the disk's: a record is at most a quarter of the cap (a segment's largest).
    if (bytes > this.maxBytes / 4) throw new RecordTooLargeError(`a record of ${bytes} bytes is over the ${Math.floor(this.maxBytes / 4)} a queue of ${this.maxBytes} bytes takes`);
    while (this.pending > 0 && this.size + bytes > this.maxBytes) this.dropOldest();
    this.records.push(message);
    this.size += bytes;
    return this.head - 1;
  }

  appendMany(messages: readonly OutgoingMessage[]): { count: number; error?: unknown } {
    for (let count = 0; count < messages.length; count++) {
      try {
        this.append(messages[count]!);
      } catch (error) {
        return { count, error };
      }
    }
    return { count: messages.length };
  }

  read(from: number, max: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (let index = Math.max(from, this.first); out.length < max && index < this.head; index++) out.push({ index, message: this.records[this.offset + index - this.first]! });
    return out;
  }

  consume(index: number): void {
    while (this.first < Math.min(index, this.head)) this.dropOldest();
  }

  /** Nothing to wait for: what is kept is as durable as it gets. */
  get durable(): number {
    return this.head;
  }

  commitAtStart(meta: QueueMeta): void {
    this.meta = meta;
  }

  commit(meta: QueueMeta): Promise<void> {
    this.meta = meta;
    return Promise.resolve();
  }

  close(meta: QueueMeta): Promise<void> {
    this.meta = meta;
    return Promise.resolve();
  }

  private dropOldest(): void {
    this.size -= size(this.records[this.offset]!);
    this.records[this.offset++] = undefined;
    this.first++;
    // Free the slots before the tail now and then, not on every record.
    if (this.offset >= 1024 && this.offset * 2 >= this.records.length) {
      this.records = this.records.slice(this.offset);
      this.offset = 0;
    }
  }
}
