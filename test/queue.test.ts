/**
 * The disk queue and the outbox on top of it, without a broker: a fake link whose acknowledgements
 * the test releases by hand, so ordering, the window, replay and loss accounting are checked exactly.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { memoryLogger } from '../agent/log/logger.js';
import { backoffMs, RECONNECT_FLOOR_MS } from '../agent/mqtt/session.js';
import { Outbox } from '../agent/publishing/outbox.js';
import { SegmentLog } from '../agent/publishing/segment-log.js';
import { ManualClock } from '../drivers/clock.js';
import { FakeLink, message, queueConfig } from './helpers/fake-link.js';
import { tempDir } from './helpers/temp-dir.js';

const tempQueueDir = (): string => tempDir('queue-test');

const record = (n: number): Buffer => Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(40) }));
const numbers = (records: Array<{ data: Buffer }>): number[] => records.map((r) => (JSON.parse(r.data.toString()) as { n: number }).n);

describe('SegmentLog', () => {
  it('reads back what was appended, in order, across segment files and a reopen', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog(dir, { segmentBytes: 512, maxBytes: 1 << 20 });
    log.open();
    for (let i = 0; i < 50; i++) assert.equal(log.append(record(i)), i);
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length > 1, 'rolled over to several segments');
    assert.deepEqual(numbers(log.read(0, 100)), [...Array(50).keys()]);
    log.consume(20);
    await log.close();

    const again = new SegmentLog(dir, { segmentBytes: 512, maxBytes: 1 << 20 });
    assert.deepEqual(again.open(), { pending: 30, tornBytes: 0, tornRecords: 0 });
    assert.deepEqual(numbers(again.read(0, 5)), [20, 21, 22, 23, 24], 'starts at the persisted cursor');
    assert.equal(again.append(record(50)), 50, 'indices continue');
    assert.deepEqual(numbers(again.read(48, 10)), [48, 49, 50]);
  });

  it('reads a little at a time while appends go on, as a replay does, and never serves stale bytes', async () => {
    const dir = tempQueueDir();
    // Segments much larger than a record, so reads are served from the read-ahead of a growing file.
    const log = new SegmentLog(dir, { segmentBytes: 8192, maxBytes: 1 << 20 });
    log.open();
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 5; i++) log.append(record(next++));
      const batch = log.read(seen.length, 3); // fewer than appended: the reader falls behind
      seen.push(...numbers(batch));
      log.consume(seen.length);
      if (round % 7 === 0) await log.commit(); // deletes the segments read to the end, the one being read among them
    }
    seen.push(...numbers(log.read(seen.length, 1000)));
    assert.deepEqual(seen, [...Array(next).keys()]);
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length >= 1);
    await log.close();
  });

  it('deletes a segment only once all of it is consumed and the cursor is on disk', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog(dir, { segmentBytes: 256, maxBytes: 1 << 20 });
    log.open();
    for (let i = 0; i < 30; i++) log.append(record(i));
    const before = readdirSync(dir).filter((f) => f.endsWith('.seg')).length;
    log.consume(29);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.seg')).length, before, 'nothing deleted before sync');
    await log.commit();
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 1, 'only the segment holding record 29 is left');
    assert.deepEqual(numbers(log.read(0, 10)), [29]);
  });

  it('cuts a torn last record (power cut mid-append) and starts anyway', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog(dir, { segmentBytes: 1 << 20, maxBytes: 1 << 20 });
    log.open();
    for (let i = 0; i < 5; i++) log.append(record(i));
    await log.close();
    const [segment] = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    const size = statSync(join(dir, segment!)).size;
    // Half a frame: a length that promises more bytes than follow.
    appendFileSync(join(dir, segment!), Buffer.from([60, 0, 0, 0, 1, 2, 3, 4, 5]));

    const again = new SegmentLog(dir, { segmentBytes: 1 << 20, maxBytes: 1 << 20 });
    assert.deepEqual(again.open(), { pending: 5, tornBytes: 9, tornRecords: 1 });
    assert.equal(statSync(join(dir, segment!)).size, size, 'the file is cut back to the last whole record');
    assert.equal(again.append(record(5)), 5);
    assert.deepEqual(numbers(again.read(0, 10)), [0, 1, 2, 3, 4, 5]);
  });

  it('detects a flipped bit by its CRC and keeps the records before it', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog(dir, { segmentBytes: 1 << 20, maxBytes: 1 << 20 });
    log.open();
    for (let i = 0; i < 3; i++) log.append(record(i));
    await log.close();
    const [segment] = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    const path = join(dir, segment!);
    const frame = 8 + record(0).length;
    // Corrupt one payload byte of the third record.
    const buffer = readFileSync(path);
    buffer[2 * frame + 12]! ^= 0x01;
    writeFileSync(path, buffer);
    const again = new SegmentLog(dir, { segmentBytes: 1 << 20, maxBytes: 1 << 20 });
    assert.deepEqual(again.open(), { pending: 2, tornBytes: frame, tornRecords: 1 });
    assert.deepEqual(numbers(again.read(0, 10)), [0, 1]);
  });

  it('rewrites the cursor file only when it changed (an idle agent writes nothing)', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog(dir, { segmentBytes: 4096, maxBytes: 1 << 20 });
    log.open();
    await log.commit({ a: 1 });
    const inode = (): number => statSync(join(dir, 'cursor')).ino;
    const first = inode();
    await log.commit({ a: 1 });
    await log.commit({ a: 1 });
    assert.equal(inode(), first, 'nothing changed: no new file');
    log.append(record(0));
    log.consume(1);
    await log.commit({ a: 1 });
    assert.notEqual(inode(), first, 'the cursor moved: written again');
    const second = inode();
    await log.commit({ a: 2 });
    assert.notEqual(inode(), second, 'the meta changed: written again');
  });

  it('drops the oldest segments when over maxBytes, and counts what was not yet consumed', async () => {
    const dir = tempQueueDir();
    const log = new SegmentLog(dir, { segmentBytes: 512, maxBytes: 2048 });
    log.open();
    for (let i = 0; i < 200; i++) log.append(record(i));
    assert.ok(log.bytes <= 2048 + 512, `stays near the cap: ${log.bytes} bytes`);
    assert.equal(log.dropped, log.tail, 'every record before the tail was dropped, none consumed');
    assert.equal(log.pending + log.dropped, 200, 'each record is either still queued or counted as dropped');
    const rest = numbers(log.read(0, 1000));
    assert.equal(rest.at(-1), 199, 'the newest are kept');
    assert.deepEqual(rest, rest.map((_, i) => rest[0]! + i), 'what is kept is contiguous');
  });
});

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Outbox', () => {
  it('keeps at most `window` messages in flight and sends the rest in order as acknowledgements come', async () => {
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => message(n)));
    assert.deepEqual(link.sent.map((s) => s.payload), ['1', '2', '3', '4'], 'the window');
    const delivered = await link.deliverAll();
    assert.deepEqual(delivered, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    assert.equal(outbox.backlog, 0);
    assert.equal(outbox.stats.acknowledged, 10);
    await outbox.close();
  });

  it('holds everything on disk while offline and replays it oldest first on reconnect', async () => {
    const link = new FakeLink();
    link.connected = false;
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), memoryLogger());
    outbox.open();
    for (let n = 1; n <= 12; n++) outbox.submit([message(n), message(n, 0)]);
    assert.equal(link.sent.length, 0, 'nothing goes to mqtt.js while disconnected');
    assert.equal(outbox.backlog, 24, 'QoS 1 and (policy "buffer") QoS 0 are queued');
    link.connected = true;
    outbox.pump();
    const delivered = await link.deliverAll((s) => `${s.qos}:${s.payload}`);
    assert.deepEqual(delivered, Array.from({ length: 12 }, (_, i) => [`1:${i + 1}`, `0:${i + 1}`]).flat());
    assert.equal(outbox.backlog, 0);
    await outbox.close();
  });

  it('resends from the first unacknowledged message when the connection drops mid-window', async () => {
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([1, 2, 3, 4, 5, 6].map((n) => message(n)));
    const [first, second, ...others] = link.sent.splice(0);
    first!.ack();
    link.connected = false;
    second!.fail();
    for (const o of others) o.fail();
    await settle();
    assert.equal(link.sent.length, 0, 'no resend while offline');
    link.connected = true;
    outbox.pump();
    const delivered = await link.deliverAll();
    assert.deepEqual(delivered, ['2', '3', '4', '5', '6'], 'in order, from the first unacknowledged one');
    await outbox.close();
  });

  it('survives a restart: unacknowledged messages are sent again, and sequence numbers resume', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    link.connected = false;
    const first = new Outbox(link, queueConfig(dir), new ManualClock(), memoryLogger());
    first.open();
    for (let n = 1; n <= 7; n++) first.submit([message(n)]);
    // No close(): a crash. The records were written to the OS; the cursor was never synced.

    const second = new Outbox(link, queueConfig(dir), new ManualClock(), memoryLogger());
    assert.deepEqual(second.open(), { lastSeqs: { altimeter: 7 }, unclean: true }, 'the sampler continues after 7; the crash is noticed');
    assert.equal(second.backlog, 7);
    link.connected = true;
    second.pump();
    const delivered = await link.deliverAll();
    assert.deepEqual(delivered, ['1', '2', '3', '4', '5', '6', '7']);
    await second.close();
  });

  it('a publish the broker refuses (MQTT 5 reason code ≥ 0x80) is counted and dropped, not resent forever', async () => {
    const link = new FakeLink();
    const logger = memoryLogger();
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), logger);
    outbox.open();
    outbox.submit([message(1), message(2), message(3)]);
    const [denied, ...rest] = link.sent.splice(0);
    denied!.reject(Object.assign(new Error('Publish error: Not authorized'), { code: 0x87 }));
    for (const r of rest) r.ack();
    await settle();
    assert.equal(link.sent.length, 0, 'nothing resent');
    assert.equal(outbox.stats.dropped.refused, 1);
    assert.equal(outbox.backlog, 0, 'the queue moved on');
    outbox.submit([message(4)]);
    link.sent.splice(0)[0]!.reject(Object.assign(new Error('Publish error: Not authorized'), { code: 0x87 }));
    await settle();
    assert.equal(logger.lines.filter((l) => l.startsWith('WARN') && l.includes('publish failed')).length, 1, 'warned once per topic');
    await outbox.close();
  });

  it('records the numbering of QoS 0 sent straight out once a minute, not at every sync (an SD card\'s wear)', async () => {
    const dir = tempQueueDir();
    const clock = new ManualClock();
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig(dir, { syncIntervalMs: 1000 }), clock, memoryLogger());
    outbox.open();
    const cursor = (): { seqs: Record<string, number> } => (JSON.parse(readFileSync(join(dir, 'cursor'), 'utf8')) as { meta: { seqs: Record<string, number> } }).meta;
    for (let n = 1; n <= 58; n++) {
      outbox.submit([message(n, 0)]);
      await clock.advance(1000);
      await outbox.sync();
    }
    assert.deepEqual(cursor().seqs, {}, 'what open() wrote, unchanged through 58 s of QoS 0 readings');
    outbox.submit([message(59, 0)]);
    await clock.advance(1000);
    await outbox.sync();
    assert.deepEqual(cursor().seqs, { altimeter: 59 }, 'a minute on (less a sync interval, to be on disk in time), recorded');
    outbox.submit([message(60, 1)]); // a QoS 1 reading goes into the log: the log itself records its number
    await outbox.sync();
    assert.deepEqual(cursor().seqs, { altimeter: 59 }, 'the cursor is not rewritten for it');
    assert.equal(outbox.numberingLagMs, 61_000, 'what the agent skips after an unclean stop');
    // Killed now: the next start finds 60 in the log after the cursor's head.
    const after = new Outbox(new FakeLink(), queueConfig(dir, { syncIntervalMs: 1000 }), new ManualClock(), memoryLogger());
    assert.deepEqual(after.open(), { lastSeqs: { altimeter: 60 }, unclean: true });
    await after.close();
    await link.ackAll();
    await outbox.close();
  });

  it('reserves numbers ahead for QoS 0 sensors, so crash after crash never reuses one', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    const config = queueConfig(dir, { syncIntervalMs: 1000 });
    const first = new Outbox(link, config, new ManualClock(), memoryLogger());
    first.open({ altimeter: { intervalMs: 50, qos0: true } }); // 61 s at 20 Hz: 1221 numbers reserved, on disk at once
    for (let n = 1; n <= 5; n++) first.submit([message(n, 0)]);
    // SIGKILL: no close.
    const second = new Outbox(link, config, new ManualClock(), memoryLogger());
    assert.deepEqual(second.open({ altimeter: { intervalMs: 50, qos0: true } }), { lastSeqs: { altimeter: 1221 }, unclean: true });
    for (let n = 1222; n <= 1230; n++) second.submit([message(n, 0)]);
    // SIGKILL again, before any sync.
    const third = new Outbox(link, config, new ManualClock(), memoryLogger());
    const reopened = third.open({});
    assert.ok(reopened.lastSeqs.altimeter! >= 1230, `resumes above what the second run used: ${reopened.lastSeqs.altimeter}`);
    await third.close();
    const fourth = new Outbox(link, config, new ManualClock(), memoryLogger());
    assert.deepEqual(fourth.open(), { lastSeqs: { altimeter: reopened.lastSeqs.altimeter }, unclean: false }, 'a clean stop records the exact number');
    await fourth.close();
  });

  it('a clean close is remembered: the next open is not "unclean"', async () => {
    const dir = tempQueueDir();
    const link = new FakeLink();
    const first = new Outbox(link, queueConfig(dir), new ManualClock(), memoryLogger());
    first.open();
    first.submit([message(1, 0)]); // straight out: only the meta records seq 1
    await first.close();
    const second = new Outbox(link, queueConfig(dir), new ManualClock(), memoryLogger());
    assert.deepEqual(second.open(), { lastSeqs: { altimeter: 1 }, unclean: false });
    await second.close();
  });

  it('writes the QoS 0 messages of one submit in one go, in order, around a QoS 1 message', async () => {
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([message(1, 0), message(2, 0), message(3, 0)]);
    assert.deepEqual(link.batches, [3], 'one write for the sample');
    outbox.submit([message(4, 0), message(5, 1), message(6, 0)]);
    assert.deepEqual(link.sent.map((s) => `${s.qos}:${s.payload}`), ['0:1', '0:2', '0:3', '0:4', '1:5', '0:6']);
    // 4 went out before 5 (a write of its own); 6 was queued behind 5 and went out after it,
    // without waiting for 5's PUBACK.
    assert.deepEqual(link.batches, [3, 1, 1]);
    assert.equal(outbox.stats.acknowledged, 5, 'QoS 0 counts as done once written');
    assert.equal(outbox.backlog, 1, 'only 5 is still to be settled');
    const { queueHead, queueTail } = outbox.ledger();
    assert.equal(queueHead - queueTail, 2, '5 and 6 stay on disk until 5 is acknowledged: the log is consumed in order');
    await link.ackAll();
    assert.equal(outbox.backlog, 0);
    assert.equal(outbox.ledger().queueTail, outbox.ledger().queueHead, 'the read position caught up with the head');
    await outbox.close();
  });

  it('QoS 0 messages a backed-up connection cannot take now wait on disk, then go in order', async () => {
    const link = new FakeLink();
    link.takesWrites = false;
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([message(1, 0), message(2, 0)]);
    assert.equal(outbox.stats.dropped.offline, 0, 'nothing lost');
    link.takesWrites = true;
    outbox.submit([message(3, 0)]); // the queue is not empty: this one waits its turn
    const delivered = await link.deliverAll();
    assert.deepEqual(delivered, ['1', '2', '3']);
    assert.equal(outbox.backlog, 0);
    await outbox.close();
  });

  it('queued QoS 0 records never hold a window place, so a backed-up socket cannot stall the queue', async () => {
    const link = new FakeLink();
    link.connected = false;
    const outbox = new Outbox(link, queueConfig(tempQueueDir()), new ManualClock(), memoryLogger());
    outbox.open();
    for (let n = 1; n <= 10; n++) outbox.submit([message(n, 0)]); // an outage: all ten on disk
    link.connected = true;
    link.takesWrites = false; // back, but the socket is still full
    outbox.pump();
    assert.equal(link.sent.length, 0, 'nothing handed to mqtt.js, whose QoS 0 callback would wait for a drain');
    assert.equal(outbox.inFlightCount, 0, 'no window place taken');
    link.connected = false; // the slow link drops…
    link.connected = true; // …and comes back
    link.takesWrites = true;
    outbox.submit([message(11, 0)]);
    assert.deepEqual(link.sent.map((s) => s.payload), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    assert.equal(outbox.backlog, 0);
    await outbox.close();
  });

  it('drops QoS 0 readings while offline when qos0 is "drop", and counts them', async () => {
    const link = new FakeLink();
    link.connected = false;
    const outbox = new Outbox(link, queueConfig(tempQueueDir(), { qos0: 'drop' }), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([message(1, 0), message(1, 1)]);
    assert.equal(outbox.stats.dropped.offline, 1);
    assert.equal(outbox.backlog, 1);
    await outbox.close();
  });

  it('drops readings older than maxAgeS instead of sending them, and counts them', async () => {
    const clock = new ManualClock();
    const link = new FakeLink();
    link.connected = false;
    const outbox = new Outbox(link, queueConfig(tempQueueDir(), { maxAgeS: 60 }), clock, memoryLogger());
    outbox.open();
    outbox.submit([message(1, 1, clock.wallNow())]);
    await clock.advance(61_000);
    outbox.submit([message(2, 1, clock.wallNow())]);
    link.connected = true;
    outbox.pump();
    assert.deepEqual(link.sent.map((s) => s.payload), ['2']);
    assert.equal(outbox.stats.dropped.expired, 1);
    await link.ackAll();
    assert.equal(outbox.backlog, 0);
    await outbox.close();
  });

  it('with the queue disabled, what cannot be sent now is dropped and counted, never held in memory', async () => {
    const link = new FakeLink();
    link.connected = false;
    const outbox = new Outbox(link, queueConfig(tempQueueDir(), { enabled: false }), new ManualClock(), memoryLogger());
    outbox.open();
    outbox.submit([message(1), message(2)]);
    assert.equal(outbox.stats.dropped.offline, 2);
    link.connected = true;
    outbox.submit([message(3)]);
    assert.deepEqual(link.sent.map((s) => s.payload), ['3']);
  });

  it('logs the queue-full episode once, with the count on the stats', async () => {
    const link = new FakeLink();
    link.connected = false;
    const logger = memoryLogger();
    const outbox = new Outbox(link, queueConfig(tempQueueDir(), { maxBytes: 65536, segmentBytes: 4096 }), new ManualClock(), logger);
    outbox.open();
    for (let n = 1; n <= 3000; n++) outbox.submit([message(n)]);
    assert.ok(outbox.stats.dropped.queueFull > 0, 'oldest dropped');
    assert.equal(outbox.stats.dropped.queueFull + outbox.backlog, 3000, 'each reading is queued or counted');
    assert.equal(logger.lines.filter((l) => l.includes('queue full')).length, 1, logger.lines.join('\n'));
    await outbox.close();
  });
});

describe('reconnect backoff', () => {
  const policy = { reconnectPeriodMs: 1000, reconnectMaxMs: 60_000, reconnectSpreadMs: 0 };
  const low = (): number => 0;
  const high = (): number => 1;

  it('draws each wait over its whole window (full jitter), the window doubling from the base up to the cap', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a, policy, high)), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    assert.deepEqual([0, 1, 2, 7].map((a) => backoffMs(a, policy, () => 0.5)), [500, 1000, 2000, 30000]);
    assert.equal(backoffMs(1000, policy, high), 60000, 'no overflow after many attempts');
  });

  it('never waits less than the floor, so a broker refusing at once is not hammered', () => {
    assert.equal(backoffMs(0, policy, low), RECONNECT_FLOOR_MS);
    assert.equal(backoffMs(0, { ...policy, reconnectMaxMs: 0 }, high), RECONNECT_FLOOR_MS);
  });

  it('starts from the spread window when it is wider than the base', () => {
    const spread = { ...policy, reconnectSpreadMs: 10_000 };
    assert.deepEqual([0, 1, 2, 3].map((a) => backoffMs(a, spread, high)), [10_000, 20_000, 40_000, 60_000]);
    assert.equal(backoffMs(0, { ...spread, reconnectPeriodMs: 15_000 }, high), 15_000, 'a larger base wins');
  });
});

