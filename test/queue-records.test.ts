/**
 * The disk queue's records (publishing/record.ts): binary, so a payload may be any bytes; and a
 * queue written by the version before, whose records were JSON, is still delivered after an upgrade.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../drivers/clock.js';
import { memoryLogger } from '../agent/log/logger.js';
import type { OutgoingMessage } from '../agent/publishing/message.js';
import { Outbox } from '../agent/publishing/outbox.js';
import { decodeRecord, encodeRecord } from '../agent/publishing/record.js';
import { SegmentLog } from '../agent/publishing/segment-log.js';
import { FakeLink, queueConfig } from './helpers/fake-link.js';
import { fuzzRandom } from './helpers/fuzz-seed.js';
import { tempDir } from './helpers/temp-dir.js';

const base: OutgoingMessage = { topic: 'sensors/drone01/altitude', payload: Buffer.from('100'), qos: 1, retain: false, ts: Date.UTC(2026, 10, 24, 10), sensor: 'altimeter', seq: 42 };

describe('queue records', () => {
  it('read back what was written: every field, payloads of any bytes, names in any script', async () => {
    const { seed, random } = fuzzRandom('queue records');
    const text = (n: number): string => Array.from({ length: n }, () => String.fromCodePoint([0x61, 0xe9, 0x4e2d, 0x1f600][Math.floor(random() * 4)]! + Math.floor(random() * 20))).join('');
    for (let i = 0; i < 500; i++) {
      const message: OutgoingMessage = {
        topic: text(1 + Math.floor(random() * 40)),
        payload: Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256))),
        qos: Math.floor(random() * 3) as 0 | 1 | 2,
        retain: random() < 0.5,
        ts: Math.floor(random() * 2 ** 42),
        sensor: text(Math.floor(random() * 20)),
        seq: Math.floor(random() * 2 ** 53),
      };
      assert.deepEqual(decodeRecord(encodeRecord(message)), message, `seed ${seed}, record ${i}`);
    }
  });

  it('a record is smaller than its JSON was (an SD card writes every byte)', async () => {
    const json = JSON.stringify({ t: base.topic, p: '100', q: 1, r: 0, ts: base.ts, s: base.sensor, n: base.seq });
    assert.ok(encodeRecord(base).length < Buffer.byteLength(json), `${encodeRecord(base).length} vs ${Buffer.byteLength(json)} bytes`);
  });

  it('what is not a record is refused, not misread', async () => {
    assert.throws(() => decodeRecord(Buffer.from([0x02, 0, 0])), /not a queue record/);
    const cut = encodeRecord(base).subarray(0, 30);
    assert.throws(() => decodeRecord(cut), /cut short|not a queue record/);
  });

  it('a binary payload queued during an outage is sent byte for byte', async () => {
    const link = new FakeLink();
    link.connected = false;
    const outbox = new Outbox(link, queueConfig(tempDir('records')), new ManualClock(), memoryLogger());
    outbox.open();
    const bytes = Buffer.from([0x08, 0x00, 0xff, 0x80, 0x0a, 0xc3, 0x28]); // not UTF-8 (Sparkplug B is protobuf)
    outbox.submit([{ ...base, payload: bytes }, { ...base, seq: 43, qos: 0, payload: Buffer.alloc(0) }]);
    link.connected = true;
    outbox.pump();
    assert.deepEqual(link.sent.map((s) => s.bytes), [bytes, Buffer.alloc(0)]);
    await link.ackAll();
    await outbox.close();
  });

  it('a queue left by the version before (JSON records) is delivered after the upgrade, in order, numbering resumed', async () => {
    const dir = tempDir('records');
    const old = new SegmentLog(dir, { segmentBytes: 4096, maxBytes: 1 << 20 });
    old.open();
    for (let n = 1; n <= 5; n++) old.append(Buffer.from(JSON.stringify({ t: 'sensors/d/altitude', p: `{"value":${n}}`, q: 1, r: n === 5 ? 1 : 0, ts: base.ts, s: 'altimeter', n })));
    await old.close({ seqs: { altimeter: 5 }, head: 5, clean: true });
    const link = new FakeLink();
    const outbox = new Outbox(link, queueConfig(dir), new ManualClock(), memoryLogger());
    assert.deepEqual(outbox.open(), { lastSeqs: { altimeter: 5 }, unclean: false });
    outbox.submit([{ ...base, topic: 'sensors/d/altitude', seq: 6, payload: Buffer.from('{"value":6}') }]);
    assert.deepEqual(await link.deliverAll(), ['{"value":1}', '{"value":2}', '{"value":3}', '{"value":4}', '{"value":5}', '{"value":6}']);
    assert.equal(outbox.backlog, 0);
    await outbox.close();
  });
});
