/**
 * The durable store: messages as binary records (record.ts) in the segment log (segment-log.ts),
 * the numbering's state in its cursor file.
 */
import type { QueueConfig } from '../config/types.js';
import type { OutgoingMessage } from './message.js';
import { decodeRecord, encodeRecord } from './record.js';
import { SegmentLog } from './segment-log.js';
import type { QueueMeta, Store, StoredMessage, StoreOpened } from './store.js';

export class DiskStore implements Store {
  readonly persistent = true;
  private readonly log: SegmentLog<QueueMeta>;

  constructor(config: Pick<QueueConfig, 'dir' | 'segmentBytes' | 'maxBytes'>) {
    this.log = new SegmentLog<QueueMeta>(config.dir, { segmentBytes: config.segmentBytes, maxBytes: config.maxBytes });
  }

  get tail(): number {
    return this.log.tail;
  }

  get head(): number {
    return this.log.head;
  }

  get pending(): number {
    return this.log.pending;
  }

  get bytes(): number {
    return this.log.bytes;
  }

  open(): StoreOpened {
    const report = this.log.open();
    return { ...report, meta: this.log.meta };
  }

  append(message: OutgoingMessage): number {
    return this.log.append(encodeRecord(message));
  }

  appendMany(messages: readonly OutgoingMessage[]): { count: number; error?: unknown } {
    return this.log.appendMany(messages.map(encodeRecord));
  }

  read(from: number, max: number): StoredMessage[] {
    return this.log.read(from, max).map(({ index, data }) => ({ index, message: decodeRecord(data) }));
  }

  consume(index: number): void {
    this.log.consume(index);
  }

  get durable(): number {
    return this.log.durable;
  }

  commitAtStart(meta: QueueMeta): void {
    this.log.commitAtStart(meta);
  }

  commit(meta: QueueMeta, options: { reclaim?: boolean; cursor?: boolean } = {}): Promise<void> {
    return this.log.commit(meta, options);
  }

  close(meta: QueueMeta): Promise<void> {
    return this.log.close(meta);
  }
}
