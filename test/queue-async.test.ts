/**
 * The disk queue's commits off the event loop: fdatasync and the cursor run on libuv's thread pool
 * while the loop goes on; a tick's readings go in one write; sync "always" sends nothing before its
 * flush; a crash between the write and the flush loses nothing in the same boot; a full disk found
 * by a commit is ridden out; a stop waits for the commit in flight and writes the clean cursor last;
 * and the periodic commit rides on the sampling ticks (no timer of its own while ticks come).
 * A slow device is played by holding fdatasync's callback.
 */
import assert from 'node:assert/strict';
import fs, { readdirSync, readFileSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { memoryLogger } from '../agent/log/logger.js';
import { Outbox, queueReleased } from '../agent/publishing/outbox.js';
import { SegmentLog } from '../agent/publishing/segment-log.js';
import { ManualClock } from '../drivers/clock.js';
import { FakeLink, message, queueConfig } from './helpers/fake-link.js';
import { tempDir } from './helpers/temp-dir.js';

const tempQueueDir = (): string => tempDir('queue-async');
const record = (n: number): Buffer => Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(40) }));
const numbers = (records: Array<{ data: Buffer }>): number[] => records.map((r) => (JSON.parse(r.data.toString()) as { n: number }).n);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Give the thread pool real time until `done()` (bounded; nothing is asserted about the time). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
}
/** An opened log in a directory of its own, its segments large enough that a test's records share one. */
function openLog(): { dir: string; log: SegmentLog } {
  const dir = tempQueueDir();
  const log = new SegmentLog(dir, { segmentBytes: 1 << 20, maxBytes: 4 << 20 });
  log.open();
  return { dir, log };
}
const cursorOf = (dir: string): { next: number; meta: { head: number; clean?: boolean } } => JSON.parse(readFileSync(join(dir, 'cursor'), 'utf8')) as { next: number; meta: { head: number; clean?: boolean } };

/** fdatasync that waits until the test releases it: a slow SD card's flush. */
function slowDevice(): { readonly held: number; release(): void; restore(): void } {
  const real = fs.fdatasync;
  const waiting: Array<() => void> = [];
  fs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    waiting.push(() => real(fd, callback));
  }) as typeof fs.fdatasync;
  syncBuiltinESMExports();
  return {
    get held() {
      return waiting.length;
    },
    release: () => {
      for (const flush of waiting.splice(0)) flush();
    },
    restore: () => {
      fs.fdatasync = real;
      syncBuiltinESMExports();
      for (const flush of waiting.splice(0)) flush();
    },
  };
}

describe('SegmentLog: commits off the event loop', () => {
  it('a tick\'s records go to the OS in one write; a failing write leaves the log as it was', async () => {
    const { dir, log } = openLog();
    const real = fs.writeSync;
    let writes = 0;
    let fail = false;
    fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      writes++;
      if (fail) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return (real as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync;
    syncBuiltinESMExports();
    try {
      assert.deepEqual(log.appendMany([0, 1, 2, 3, 4, 5, 6].map(record)), { count: 7 });
      assert.equal(writes, 1, 'seven records, one write');
      fail = true;
      const failed = log.appendMany([7, 8].map(record));
      assert.equal(failed.count, 0);
      assert.equal((failed.error as { code?: string }).code, 'ENOSPC');
    } finally {
      fs.writeSync = real;
      syncBuiltinESMExports();
    }
    assert.equal(log.head, 7, 'the failed records took no index');
    const segment = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
    assert.equal(statSync(segment).size, log.bytes, 'nothing of them in the file');
    assert.deepEqual(numbers(log.read(0, 100)), [0, 1, 2, 3, 4, 5, 6]);
    await log.close();
  });

  it('the loop goes on (appends, reads, turns) while a flush hangs; what the flush covered is durable when it returns', async () => {
    const { log } = openLog();
    const device = slowDevice();
    try {
      for (let i = 0; i < 5; i++) log.append(record(i));
      let done = false;
      const commit = log.commit().then(() => {
        done = true;
      });
      await until(() => device.held > 0);
      assert.equal(device.held, 1, 'the flush is under way on the thread pool');
      for (let i = 5; i < 10; i++) log.append(record(i)); // the next ticks append meanwhile
      for (let i = 0; i < 5; i++) await turn();
      assert.equal(done, false, 'the commit waits for the device');
      assert.equal(log.durable, 0, 'nothing is called durable before its flush returns');
      assert.deepEqual(numbers(log.read(0, 100)), [...Array(10).keys()], 'reads go on');
      device.restore(); // lets the held flush go, and the next ones at once
      await commit;
      assert.equal(log.durable, 5, 'what was written before the flush began is durable');
      await log.commit();
      assert.equal(log.durable, 10);
    } finally {
      device.restore();
    }
    await log.close();
  });

  it('commits never overlap: those asked for while one waits on the device, and one started from its continuation, run one after another', async () => {
    const { log } = openLog();
    const device = slowDevice();
    try {
      for (let i = 0; i < 5; i++) log.append(record(i));
      const order: string[] = [];
      let fromContinuation: Promise<void> | undefined;
      const first = log.commit().then(() => {
        order.push('first');
        log.append(record(10));
        // An outbox's pump or sync run from here asks again while the queued commit is about to start.
        fromContinuation = log.commit().then(() => void order.push('from continuation'));
      });
      await until(() => device.held > 0);
      for (let i = 5; i < 10; i++) log.append(record(i));
      const queued = [log.commit().then(() => void order.push('second')), log.commit().then(() => void order.push('third'))];
      // One flush on the device at a time, whatever is asked meanwhile: a second one waiting beside
      // it would be two commits writing one cursor.
      let flushes = 0;
      while (order.length < 4) {
        await until(() => device.held > 0 || order.length === 4);
        if (order.length === 4) break;
        assert.equal(device.held, 1, `flush ${flushes + 1}: no other commit's flush beside it`);
        device.release();
        flushes++;
        for (let i = 0; i < 3; i++) await turn();
      }
      await Promise.all([first, ...queued, fromContinuation]);
      assert.deepEqual(order.slice(0, 1), ['first']);
      assert.ok(flushes <= 3, `asked four times, flushed ${flushes} times: commits asked for while one runs share the next`);
      assert.equal(log.durable, 11, 'the last commit covers every record');
    } finally {
      device.restore();
    }
    await log.close();
  });

  it('segments rolled while a commit waits: what the commit calls durable is all in what it flushed (the file being written at its start included)', async () => {
    const dir = tempQueueDir();
    // About seven records a segment: appends during the held flush roll the file being written.
    const log = new SegmentLog(dir, { segmentBytes: 512, maxBytes: 1 << 20 });
    log.open();
    const real = fs.fdatasync;
    const flushed: number[] = [];
    const waiting: Array<() => void> = [];
    let hold = true;
    fs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      const go = (): void => real(fd, (error) => {
        if (!error) flushed.push(fd);
        callback(error);
      });
      if (hold) waiting.push(go);
      else go();
    }) as typeof fs.fdatasync;
    syncBuiltinESMExports();
    try {
      for (let i = 0; i < 10; i++) log.append(record(i)); // one segment full and retired, the next being written
      // The descriptor being written when the commit starts (private: only this test looks).
      const writing = (log as unknown as { fd?: number }).fd;
      assert.ok(writing !== undefined);
      const commit = log.commit();
      await until(() => waiting.length > 0);
      for (let i = 10; i < 40; i++) log.append(record(i)); // that file fills and rolls meanwhile
      assert.notEqual((log as unknown as { fd?: number }).fd, writing, 'the file being written rolled during the flush');
      hold = false;
      for (const go of waiting.splice(0)) go();
      await commit;
      assert.equal(log.durable, 10);
      assert.ok(flushed.includes(writing), `the file records 7-9 are in was flushed before they were called durable (flushed ${flushed.join(', ')}, it was ${writing})`);
      await log.commit();
      assert.equal(log.durable, 40);
    } finally {
      fs.fdatasync = real;
      syncBuiltinESMExports();
      for (const go of waiting.splice(0)) go();
    }
    await log.close();
  });

  it('a crash between the write and its flush loses nothing in the same boot: the records are in the page cache, the cursor is the previous whole one', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog<{ n: number }>(dir, { segmentBytes: 1 << 20, maxBytes: 4 << 20 });
    log.open();
    for (let i = 0; i < 3; i++) log.append(record(i));
    log.consume(1);
    await log.commit({ n: 1 });
    const device = slowDevice();
    try {
      for (let i = 3; i < 8; i++) log.append(record(i));
      log.consume(2);
      void log.commit({ n: 2 }).catch(() => undefined);
      await until(() => device.held > 0);
      assert.equal(device.held, 1, 'killed while the flush is under way');
      // Another process opens the queue: the killed one's appends are all there.
      const after = new SegmentLog<{ n: number }>(dir, { segmentBytes: 1 << 20, maxBytes: 4 << 20 });
      assert.deepEqual(after.open(), { pending: 7, tornBytes: 0, tornRecords: 0 });
      assert.deepEqual(after.meta, { n: 1 }, 'the cursor is the last one whose commit finished');
      assert.deepEqual(numbers(after.read(0, 100)), [1, 2, 3, 4, 5, 6, 7]);
      await after.close();
    } finally {
      device.restore();
    }
    await log.close();
  });

  it('a full disk found by a commit: it rejects, the previous cursor stays, no temp file is left; the next commit writes it', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog<{ n: number }>(dir, { segmentBytes: 1 << 20, maxBytes: 4 << 20 });
    log.open();
    log.append(record(0));
    await log.commit({ n: 1 });
    const real = fs.promises.writeFile;
    fs.promises.writeFile = (() => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }))) as typeof fs.promises.writeFile;
    try {
      log.consume(1);
      await assert.rejects(log.commit({ n: 2 }), { code: 'ENOSPC' });
    } finally {
      fs.promises.writeFile = real;
    }
    assert.deepEqual(cursorOf(dir) as unknown, { next: 0, meta: { n: 1 } }, 'the previous cursor is untouched');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    await log.commit();
    assert.deepEqual(cursorOf(dir) as unknown, { next: 1, meta: { n: 2 } });
    await log.close();
  });
});

describe('Outbox: commits ride on the ticks, and hold their promises', () => {
  it('sync "always": a reading is not sent before its flush has returned', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig(dir, { sync: 'always' }), new ManualClock(), memoryLogger());
    outbox.open();
    const device = slowDevice();
    try {
      outbox.submit([message(1), message(2)]);
      await until(() => device.held > 0);
      assert.equal(device.held, 1, 'the flush is under way');
      assert.equal(link.sent.length, 0, 'nothing sent while it is');
      device.release();
      await until(() => link.sent.length >= 2);
      assert.deepEqual(link.sent.map((s) => s.payload), ['1', '2'], 'sent once flushed, in order');
      await link.ackAll();
    } finally {
      device.restore();
    }
    await outbox.close();
    assert.equal(outbox.ledger().pending, 0);
  });

  it('a read that fails (EIO) while sending is reported and retried, never thrown out of pump', async () => {
    const dir = tempQueueDir();
    const offline = new FakeLink();
    offline.connected = false;
    const first = new Outbox(offline, queueConfig(dir), new ManualClock(), memoryLogger());
    first.open();
    first.submit([message(1), message(2), message(3)]);
    await first.close();
    // A new run: nothing cached, every record comes from the disk.
    const link = new FakeLink();
    const logger = memoryLogger();
    const outbox = new Outbox(link, queueConfig(dir), new ManualClock(), logger);
    outbox.open();
    const real = fs.readSync;
    fs.readSync = (() => {
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }) as typeof fs.readSync;
    syncBuiltinESMExports();
    try {
      assert.doesNotThrow(() => outbox.pump());
      assert.equal(link.sent.length, 0);
      assert.match(logger.lines.join('\n'), /ERROR queue: cannot read the queued readings/);
    } finally {
      fs.readSync = real;
      syncBuiltinESMExports();
    }
    outbox.pump();
    assert.deepEqual(link.sent.map((m) => m.payload), ['1', '2', '3'], 'read again and sent, in order');
    await link.ackAll();
    await outbox.close();
    assert.equal(outbox.ledger().pending, 0);
  });

  it('a reload waits for the previous run\'s close still on the device before it opens the same queue', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    link.connected = false;
    const old = new Outbox(link, queueConfig(dir), new ManualClock(), memoryLogger());
    old.open();
    old.submit([message(1), message(2)]);
    const device = slowDevice();
    let released = false;
    try {
      const closed = old.close(); // the agent's stop gives up on it after its deadline; it goes on
      await until(() => device.held > 0);
      const waiting = queueReleased(dir).then(() => {
        released = true;
      });
      for (let i = 0; i < 5; i++) await turn();
      assert.equal(released, false, 'the new run waits while the old close is on the device');
      device.release();
      await closed;
      await waiting;
      assert.equal(released, true);
    } finally {
      device.restore();
    }
    await queueReleased(dir); // nothing pending: at once
    const next = new Outbox(link, queueConfig(dir), new ManualClock(), memoryLogger());
    next.open();
    link.connected = true;
    next.pump();
    assert.deepEqual(link.sent.map((m) => m.payload), ['1', '2'], 'what the old run queued');
    await link.ackAll();
    await next.close();
  });

  it('a stop with a commit in flight waits for it, then writes the clean cursor last', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    link.connected = false;
    const config = queueConfig(dir, { syncIntervalMs: 1000 });
    const outbox = new Outbox(link, config, new ManualClock(), memoryLogger(), 'boot-A');
    outbox.open({ altimeter: { intervalMs: 50, qos0: false } });
    const device = slowDevice();
    let closed = false;
    try {
      for (let n = 1; n <= 4; n++) outbox.submit([message(n)]);
      void outbox.sync();
      await until(() => device.held > 0);
      assert.equal(device.held, 1, 'a commit is under way');
      const closing = outbox.close().then(() => {
        closed = true;
      });
      for (let i = 0; i < 5; i++) await turn();
      assert.equal(closed, false, 'the stop waits for the flush');
      device.release();
      await closing;
    } finally {
      device.restore();
    }
    assert.equal(cursorOf(dir).meta.clean, true, 'the last cursor written says "stopped cleanly"');
    assert.equal(cursorOf(dir).meta.head, 4);
    const again = new Outbox(link, config, new ManualClock(), memoryLogger(), 'boot-A');
    assert.deepEqual(again.open({ altimeter: { intervalMs: 50, qos0: false } }), { lastSeqs: { altimeter: 4 }, unclean: false });
    assert.equal(again.backlog, 4);
    await again.close();
  });

  it('ticks a sync interval apart carry the commits: no timer of the outbox\'s own; appends with no tick after them are flushed within two intervals', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    link.connected = false; // everything is appended, nothing acknowledged
    const clock = new ManualClock();
    const outbox = new Outbox(link, queueConfig(dir, { syncIntervalMs: 1000 }), clock, memoryLogger());
    outbox.open();
    const real = fs.fdatasync;
    let flushes = 0;
    fs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      flushes++;
      real(fd, callback);
    }) as typeof fs.fdatasync;
    syncBuiltinESMExports();
    try {
      let n = 0;
      for (let tick = 1; tick <= 5; tick++) {
        await clock.advance(1000);
        outbox.submit([message(++n)]);
        assert.equal(clock.pending, 0, `tick ${tick}: committed by the tick, no timer armed`);
        await until(() => flushes === tick);
        assert.equal(flushes, tick, `tick ${tick}: its reading flushed`);
      }
      // A reading, then no tick for a long time (a sensor sampled once a minute, say).
      await clock.advance(100);
      outbox.submit([message(++n)]);
      assert.equal(clock.pending, 1, 'a backstop is armed for it');
      assert.equal(flushes, 5, 'not flushed by the submit');
      await clock.advance(1400);
      await until(() => flushes === 6);
      assert.equal(flushes, 6, 'flushed by the backstop, within two intervals of the last commit');
      assert.equal(clock.pending, 0, 'and nothing is armed after it');
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'cursor'), 'utf8')).meta.head, 0, 'the cursor is left as open() wrote it: the log says the rest');
    } finally {
      fs.fdatasync = real;
      syncBuiltinESMExports();
    }
    await outbox.close();
    assert.equal(cursorOf(dir).meta.head, 6, 'the clean stop writes it');
  });
});
