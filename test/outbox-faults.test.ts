/**
 * The outbox and its disk log under faults, without a broker: connections lost with the window in
 * flight, power cuts (a torn record, a new boot), a cap smaller than a segment, and a disk that
 * fails writes at random (seeded; FUZZ_SEED replays), with the ledger checked after every step:
 * submitted = acknowledged + dropped + pending, always.
 */
import assert from 'node:assert/strict';
import fs, { appendFileSync, readdirSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { memoryLogger } from '../agent/log/logger.js';
import { Outbox } from '../agent/publishing/outbox.js';
import { SegmentLog } from '../agent/publishing/segment-log.js';
import { ManualClock } from '../drivers/clock.js';
import { FakeLink, message, queueConfig } from './helpers/fake-link.js';
import { fuzzRandom } from './helpers/fuzz-seed.js';
import { tempDir } from './helpers/temp-dir.js';

const tempQueueDir = (): string => tempDir('outbox');

function assertLedger(outbox: Outbox, where: string): void {
  const l = outbox.ledger();
  assert.equal(l.submitted, l.acknowledged + l.dropped + l.pending, `${where}: the ledger adds up ${JSON.stringify(l)}`);
}

describe('Outbox: a lost connection', () => {
  it('takes back every publish in flight and sends them again, in order, on the next connection; each counted once', async () => {
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([1, 2, 3, 4, 5, 6].map((n) => message(n)));
    assert.equal(outbox.inFlightCount, 4, 'a full window in flight');
    link.sent.splice(0, 1)[0]!.ack(); // 1 acknowledged just before the drop
    await link.drop();
    assertLedger(outbox, 'after the drop');
    assert.equal(outbox.inFlightCount, 0, 'nothing left in flight: the window is free again');
    outbox.submit([message(7)]);
    link.connected = true;
    outbox.pump();
    assert.deepEqual(await link.deliverAll(), ['2', '3', '4', '5', '6', '7'], 'from the first unacknowledged one, in order, 1 not again');
    const l = outbox.ledger();
    assert.deepEqual([l.acknowledged, l.pending, l.inFlight, l.queueTail], [7, 0, 0, l.queueHead]);
    await outbox.close();
  });
});

describe('Outbox: power cuts', () => {
  const numbering = { altimeter: { intervalMs: 50, qos0: false } };

  it('after a crash in the same boot numbering resumes exactly; after a power cut it skips what may not have reached the disk', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    link.connected = false;
    const config = queueConfig(dir, { syncIntervalMs: 1000 });
    const first = new Outbox(link, config, new ManualClock(), memoryLogger(), 'boot-A');
    first.open(numbering);
    for (let n = 1; n <= 5; n++) first.submit([message(n)]);
    // No close: killed. Started again in the same boot: the page cache had every append.
    const second = new Outbox(link, config, new ManualClock(), memoryLogger(), 'boot-A');
    assert.deepEqual(second.open(numbering), { lastSeqs: { altimeter: 5 }, unclean: true });
    // No close again, and the board loses power: a new boot. Appends not yet flushed (up to two
    // sync intervals of samples, 40 at 20 Hz) may be gone, their numbers seen by nobody.
    const logger = memoryLogger();
    const third = new Outbox(link, config, new ManualClock(), logger, 'boot-B');
    assert.deepEqual(third.open(numbering), { lastSeqs: { altimeter: 5 + 41 }, unclean: true });
    assert.match(logger.lines.join('\n'), /power cut or reset/);
    await third.close();
  });

  it('a torn record is cut, counted as lost on health, and its number is never given to a new reading', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    link.connected = false;
    const config = queueConfig(dir, { sync: 'always' });
    const first = new Outbox(link, config, new ManualClock(), memoryLogger(), 'boot-A');
    first.open(numbering);
    for (let n = 1; n <= 5; n++) first.submit([message(n)]);
    // The power fails while reading 6 is written: half its frame reaches the disk.
    const segment = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
    appendFileSync(segment, Buffer.from([60, 0, 0, 0, 1, 2, 3, 4, 123, 34]));
    const second = new Outbox(link, config, new ManualClock(), memoryLogger(), 'boot-B');
    const opened = second.open(numbering);
    assert.equal(second.stats.lost, 1, 'the torn record counted');
    assert.ok(opened.lastSeqs.altimeter! >= 6, `reading 6's number is not used again (resumes after ${opened.lastSeqs.altimeter})`);
    assert.equal(second.backlog, 5, 'the whole records are kept');
    await second.close();
  });
});

describe('SegmentLog: the cap', () => {
  it('holds when maxBytes is smaller than segmentBytes (16 KiB cap, 1 MiB segments)', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog(dir, { segmentBytes: 1 << 20, maxBytes: 16384 });
    log.open();
    const onDisk = (): number => readdirSync(dir).filter((f) => f.endsWith('.seg')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    for (let i = 0; i < 2000; i++) {
      log.append(Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(80) })));
      assert.ok(log.bytes <= 16384, `after record ${i}: ${log.bytes} bytes held`);
    }
    assert.ok(onDisk() <= 16384, `${onDisk()} bytes on disk`);
    assert.equal(log.pending + log.dropped, 2000, 'each record still queued or counted as dropped');
    assert.ok(log.dropped > 1800);
    await log.close();
  });
});

describe('Outbox: a disk that fails at random', () => {
  it('keeps the ledger exact through ENOSPC on appends and cursor writes, lost connections and reconnects; then delivers everything it kept', async () => {
    const { random, seed } = fuzzRandom('outbox disk faults');
    const realWrite = fs.writeSync;
    // The cursor is written off the event loop (fs.promises); appends with writeSync.
    const realWriteFile = fs.promises.writeFile;
    let failing = false;
    const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      if (failing && random() < 0.7) throw enospc();
      return (realWrite as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync;
    fs.promises.writeFile = ((...args: Parameters<typeof fs.promises.writeFile>) => {
      if (failing && random() < 0.7) return Promise.reject(enospc());
      return realWriteFile(...args);
    }) as typeof fs.promises.writeFile;
    syncBuiltinESMExports();
    const link = new FakeLink();
    const logger = memoryLogger();
    const clock = new ManualClock();
    const outbox = new Outbox(link, queueConfig(tempQueueDir(), { window: 8 }), clock, logger);
    try {
      outbox.open();
      let seq = 0;
      for (let step = 0; step < 3000; step++) {
        const r = random();
        if (r < 0.05) failing = !failing;
        else if (r < 0.5) outbox.submit(Array.from({ length: 1 + Math.floor(random() * 3) }, () => message(++seq, random() < 0.2 ? 0 : 1)));
        else if (r < 0.7) {
          for (const s of link.sent.splice(0, Math.floor(random() * 4))) s.ack();
          await new Promise((resolve) => setImmediate(resolve));
        } else if (r < 0.75) await link.drop();
        else if (r < 0.85 && !link.connected) {
          link.connected = true;
          outbox.pump();
        } else await outbox.sync();
        assertLedger(outbox, `step ${step} (seed ${seed})`);
      }
      failing = false;
      link.connected = true;
      outbox.pump();
      await link.deliverAll();
      const l = outbox.ledger();
      assert.equal(l.pending, 0, `everything kept was delivered (seed ${seed})`);
      assert.equal(l.inFlight, 0);
      assert.equal(l.queueTail, l.queueHead, 'the read position caught up');
      assert.ok(outbox.stats.dropped.diskFull > 0, 'the faults did cost readings, counted');
      const errors = logger.lines.filter((line) => line.startsWith('ERROR'));
      assert.ok(errors.length <= 2, `disk trouble said at most once a minute of the clock (${errors.length} lines)`);
    } finally {
      fs.writeSync = realWrite;
      fs.promises.writeFile = realWriteFile;
      syncBuiltinESMExports();
      await outbox.close();
    }
  });
});
