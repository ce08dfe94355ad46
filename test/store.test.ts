/**
 * The outbox's store (publishing/store.ts): one contract, two kinds. The same cases run on the disk
 * store and on the memory store, and the outbox runs its window and its resends on either.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../drivers/clock.js';
import { memoryLogger } from '../agent/log/logger.js';
import { DiskStore } from '../agent/publishing/disk-store.js';
import { MemoryStore } from '../agent/publishing/memory-store.js';
import { Outbox } from '../agent/publishing/outbox.js';
import { RecordTooLargeError } from '../agent/publishing/segment-log.js';
import { NotKeptError, storeFor, type Store } from '../agent/publishing/store.js';
import { FakeLink, message, queueConfig } from './helpers/fake-link.js';
import { tempDir } from './helpers/temp-dir.js';

const kinds: Array<[string, (maxBytes: number) => { store: Store; reopen: () => Store }]> = [
  ['disk', (maxBytes) => {
    const dir = tempDir('store');
    const config = { dir, segmentBytes: 1024, maxBytes };
    return { store: new DiskStore(config), reopen: () => new DiskStore(config) };
  }],
  ['memory', (maxBytes) => {
    const store = new MemoryStore({ maxBytes });
    return { store, reopen: () => store };
  }],
];

const seqs = (records: Array<{ message: { seq: number } }>): number[] => records.map((r) => r.message.seq);

for (const [kind, make] of kinds) {
  describe(`${kind} store`, () => {
    it('is a FIFO: what is appended is read back in order, from the tail on, until consumed; the cursor is kept', async () => {
      const { store, reopen } = make(1 << 20);
      assert.equal(store.open().meta, undefined, 'never used');
      for (let n = 1; n <= 30; n++) assert.equal(store.append(message(n)), n - 1);
      assert.deepEqual([store.tail, store.head, store.pending], [0, 30, 30]);
      assert.deepEqual(seqs(store.read(0, 5)), [1, 2, 3, 4, 5]);
      assert.deepEqual(store.read(10, 1)[0]!.message.payload, Buffer.from('11'));
      store.consume(20);
      assert.deepEqual([store.tail, store.pending], [20, 10]);
      assert.deepEqual(seqs(store.read(3, 2)), [21, 22], 'nothing before the tail');
      await store.close({ seqs: { altimeter: 30 }, head: 30, clean: true });
      const again = reopen();
      const opened = again.open();
      assert.deepEqual([opened.pending, opened.meta?.seqs], [10, { altimeter: 30 }]);
      assert.deepEqual(seqs(again.read(again.tail, 100)), [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    });

    it('holds its cap: the oldest records go first (the tail moves), and one too large for it is refused', async () => {
      const { store } = make(4096);
      store.open();
      for (let n = 1; n <= 400; n++) store.append(message(n));
      assert.ok(store.bytes <= 4096, `${store.bytes} bytes`);
      assert.ok(store.tail > 0, 'the oldest were dropped');
      assert.equal(store.head, 400);
      assert.equal(seqs(store.read(store.tail, 1000)).at(-1), 400, 'the newest kept');
      assert.throws(() => store.append({ ...message(401), payload: Buffer.alloc(2000) }), RecordTooLargeError);
    });
  });
}

describe('the outbox on either store', () => {
  for (const [kind, make] of kinds) {
    it(`${kind}: keeps an outage's readings, replays them in order, resends from the first unacknowledged after a lost connection; the ledger adds up`, async () => {
      const link = new FakeLink();
      link.connected = false;
      const outbox = new Outbox(link, queueConfig('unused'), new ManualClock(), memoryLogger(), 'boot', make(1 << 20).store);
      outbox.open();
      for (let n = 1; n <= 10; n++) outbox.submit([message(n), message(n, 0)]);
      assert.equal(outbox.backlog, 20);
      link.connected = true;
      outbox.pump();
      const window = link.sent.filter((s) => s.qos === 1);
      assert.deepEqual(window.map((s) => s.payload), ['1', '2', '3', '4'], 'the window, oldest first');
      window[0]!.ack();
      await link.drop(); // 2, 3 and 4 were in flight
      link.connected = true;
      outbox.pump();
      const delivered = await link.deliverAll((s) => `${s.qos}:${s.payload}`);
      assert.equal(delivered.find((d) => d.startsWith('1:')), '1:2', 'sent again from the first unacknowledged on');
      assert.deepEqual(delivered.slice(-2), ['1:10', '0:10']);
      const ledger = outbox.ledger();
      assert.deepEqual([ledger.submitted, ledger.acknowledged, ledger.dropped, ledger.pending], [20, 20, 0, 0]);
      await outbox.close();
    });
  }

  it('the queue off is a memory store with no room: what cannot go out at once is dropped as offline, QoS 1 goes straight out', async () => {
    const store = storeFor(queueConfig('unused', { enabled: false }));
    assert.ok(store instanceof MemoryStore && !store.persistent);
    assert.throws(() => store.append(message(1)), NotKeptError);
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig('unused', { enabled: false }), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([message(1), message(2, 0)]);
    assert.deepEqual(link.sent.map((s) => `${s.qos}:${s.payload}`), ['1:1', '0:2']);
    await link.drop(); // the QoS 1 in flight is lost with the connection: nothing kept it
    outbox.submit([message(3)]);
    assert.deepEqual(outbox.stats.dropped, { queueFull: 0, expired: 0, offline: 2, refused: 0, diskFull: 0 });
    const ledger = outbox.ledger();
    assert.equal(ledger.submitted, ledger.acknowledged + ledger.dropped + ledger.pending);
    await outbox.close();
  });
});
