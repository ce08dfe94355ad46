/**
 * The inbound framer (agent/mqtt/inbound-limit.ts) against mqtt-packet, the codec mqtt.js uses: streams
 * of server packets cut into random chunks come out as the same packets, except that a PUBLISH over
 * the limit comes out with its payload gone and is reported; what no server may send is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { InboundLimit, MqttProtocolError, type OversizedPublish } from '../agent/mqtt/inbound-limit.js';
import { fuzzRandom } from './helpers/fuzz-seed.js';

function parseAll(bytes: Buffer, protocolVersion: 4 | 5): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(bytes);
  return packets;
}

function through(limit: InboundLimit, stream: Buffer, cuts: number[]): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...limit.feed(stream.subarray(from, cut)));
    from = cut;
  }
  return Buffer.concat(out);
}

function randomCuts(random: () => number, length: number): number[] {
  const cuts = new Set<number>();
  const n = Math.floor(random() * 12);
  for (let i = 0; i < n; i++) cuts.add(1 + Math.floor(random() * Math.max(1, length - 1)));
  // Sometimes cut at every byte: every header split across chunks.
  if (random() < 0.1) for (let i = 1; i < Math.min(length, 400); i++) cuts.add(i);
  return [...cuts].sort((a, b) => a - b);
}

function randomPackets(random: () => number, protocolVersion: 4 | 5, limit: number): Array<Packet & { oversized?: boolean }> {
  const packets: Array<Packet & { oversized?: boolean }> = [];
  const count = 1 + Math.floor(random() * 8);
  for (let i = 0; i < count; i++) {
    const kind = random();
    if (kind < 0.5) {
      const qos = Math.floor(random() * 3) as 0 | 1 | 2;
      const big = random() < 0.4;
      const topic = random() < 0.2 ? 'café/'.repeat(1 + Math.floor(random() * 40)) : `sensors/d${i}/altitude`;
      const size = big ? limit + 1 + Math.floor(random() * 3 * limit) : Math.floor(random() * (limit - topic.length - 20));
      const packet = {
        cmd: 'publish', topic, payload: Buffer.alloc(Math.max(0, size), 0x41 + i), qos, retain: random() < 0.3, dup: random() < 0.2,
        ...(qos > 0 ? { messageId: 1 + Math.floor(random() * 65535) } : {}),
        ...(protocolVersion === 5 && random() < 0.5 ? { properties: { topicAlias: 3, userProperties: { k: 'v'.repeat(Math.floor(random() * 50)) } } } : {}),
      } as Packet;
      const remaining = mqttPacket.generate(packet, { protocolVersion }).length;
      packets.push({ ...packet, oversized: remaining > limit + 5 });
    } else if (kind < 0.65) packets.push({ cmd: 'puback', messageId: 1 + Math.floor(random() * 65535) } as Packet);
    else if (kind < 0.75) packets.push({ cmd: 'suback', messageId: 7, granted: [0, 1, 128] } as Packet);
    else if (kind < 0.85) packets.push({ cmd: 'pingresp' } as Packet);
    else packets.push({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: random() < 0.5 } as Packet);
  }
  return packets;
}

describe('inbound packet limit', () => {
  for (const protocolVersion of [4, 5] as const) {
    it(`passes packets within the limit untouched and strips oversized PUBLISH payloads, however the bytes are cut (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, () => {
      const { random } = fuzzRandom(`inbound limit, MQTT ${protocolVersion}`);
      const limit = 300;
      for (let round = 0; round < 300; round++) {
        const packets = randomPackets(random, protocolVersion, limit);
        const stream = Buffer.concat(packets.map((p) => mqttPacket.generate(p, { protocolVersion })));
        const reported: OversizedPublish[] = [];
        const framer = new InboundLimit({ maxPublishBytes: limit, protocolVersion, onOversized: (o) => reported.push(o) });
        const out = parseAll(through(framer, stream, randomCuts(random, stream.length)), protocolVersion);
        assert.equal(out.length, packets.length, `round ${round}: one packet out per packet in`);
        const parsedSent = parseAll(stream, protocolVersion);
        const expectedReports: OversizedPublish[] = [];
        packets.forEach((sent, i) => {
          const got = out[i]!;
          const remaining = mqttPacket.generate(sent, { protocolVersion }).length;
          if (sent.cmd === 'publish' && remaining - 1 - varintLength(remaining) > limit) {
            expectedReports.push({ topic: sent.topic, bytes: remaining - 1 - varintLength(remaining) });
            assert.equal(got.cmd, 'publish');
            if (got.cmd !== 'publish') return;
            assert.equal(got.topic, sent.topic, 'topic kept');
            assert.equal(got.payload.length, 0, 'payload gone');
            assert.deepEqual([got.qos, got.retain, got.dup, got.messageId], [sent.qos, sent.retain, sent.dup, sent.messageId], 'flags and packet id kept');
          } else {
            assert.deepEqual(got, parsedSent[i], `round ${round} packet ${i} (${sent.cmd}) unchanged`);
          }
        });
        assert.deepEqual(reported, expectedReports, 'each oversized PUBLISH reported once, with its declared size');
      }
    });
  }

  it('hands on a chunk of small packets as the same buffer, without copying', () => {
    const framer = new InboundLimit({ maxPublishBytes: 4096, protocolVersion: 4, onOversized: () => assert.fail('nothing is oversized') });
    const chunk = Buffer.concat([mqttPacket.generate({ cmd: 'puback', messageId: 1 }), mqttPacket.generate({ cmd: 'pingresp' })]);
    const out = framer.feed(chunk);
    assert.equal(out.length, 1);
    assert.equal(out[0], chunk);
  });

  it('streams a 256 MB PUBLISH through without holding more than its header', () => {
    const reported: OversizedPublish[] = [];
    const framer = new InboundLimit({ maxPublishBytes: 4096, protocolVersion: 4, onOversized: (o) => reported.push(o) });
    const remaining = 268_435_455;
    const header = Buffer.from([0x32, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x12, 0x34]); // QoS 1, topic a/b, id 0x1234
    const out = framer.feed(header);
    const block = Buffer.alloc(1 << 20, 0x5a);
    let left = remaining - 7;
    while (left > 0) {
      const n = Math.min(left, block.length);
      assert.deepEqual(framer.feed(block.subarray(0, n)), [], 'payload bytes are not handed on');
      left -= n;
    }
    const after = framer.feed(mqttPacket.generate({ cmd: 'pingresp' }));
    const packets = parseAll(Buffer.concat([...out, ...after]), 4);
    assert.deepEqual(packets.map((p) => p.cmd), ['publish', 'pingresp'], 'the stream stays in step after the discarded payload');
    assert.deepEqual(reported, [{ topic: 'a/b', bytes: remaining }]);
  });

  it('refuses what no server may send', () => {
    const cases: Array<[string, Buffer]> = [
      ['a CONNECT', Buffer.from([0x10, 0x00])],
      ['a SUBSCRIBE', Buffer.from([0x82, 0x00])],
      ['a five-byte Remaining Length', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
      ['a 1 MB SUBACK', Buffer.from([0x90, 0x80, 0x80, 0x40])],
      ['an oversized PUBLISH whose topic overruns it', Buffer.from([0x30, 0x81, 0x20, 0xff, 0xff])],
      ['an oversized PUBLISH with QoS 3', Buffer.from([0x36, 0x81, 0x20, 0x00, 0x01, 0x61])],
      ['a DISCONNECT under MQTT 3.1.1', Buffer.from([0xe0, 0x00])],
      ['a PUBCOMP with flags (mqtt-packet would report it and read on out of step)', Buffer.from([0x72, 0x02, 0x00, 0x01])],
      ['a PUBREL without its fixed flags 0010', Buffer.from([0x60, 0x02, 0x00, 0x01])],
      ['a small PUBLISH with QoS 3', Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])],
    ];
    for (const [what, bytes] of cases) {
      const framer = new InboundLimit({ maxPublishBytes: 4000, protocolVersion: 4, onOversized: () => undefined });
      assert.throws(() => framer.feed(bytes), MqttProtocolError, what);
    }
  });

  it('never throws anything but MqttProtocolError on random bytes, and holds at most a header', () => {
    const { random } = fuzzRandom('inbound limit, garbage');
    for (let round = 0; round < 2000; round++) {
      const framer = new InboundLimit({ maxPublishBytes: 64, protocolVersion: random() < 0.5 ? 4 : 5, onOversized: () => undefined });
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      try {
        for (const cut of [...randomCuts(random, bytes.length), bytes.length].map((c, i, a) => bytes.subarray(i === 0 ? 0 : a[i - 1]!, c))) framer.feed(cut);
      } catch (error) {
        assert.ok(error instanceof MqttProtocolError, `round ${round}: ${String(error)}`);
      }
    }
  });
});

function varintLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : 4;
}
