/**
 * The agent's own PUBLISH encoder (agent/mqtt/publish-packets.ts), QoS 0 and 1, against mqtt-packet,
 * the encoder and parser mqtt.js itself uses: byte for byte, for MQTT 3.1.1 and 5, at each Remaining
 * Length width; then on the wire, through a real Mosquitto to mosquitto_sub (another implementation
 * again), with the PUBACKs of the QoS 1 ones taken before mqtt.js sees them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { MqttSession } from '../agent/mqtt/session.js';
import { loadConfig } from '../agent/config/load-config.js';
import { encodePublishes, type WirePublish } from '../agent/mqtt/publish-packets.js';
import { FIRST_AGENT_ID, LAST_AGENT_ID, PublishRefused } from '../agent/mqtt/packet-ids.js';
import { memoryLogger } from '../agent/log/logger.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';

const SAMPLES: WirePublish[] = [
  { topic: 'sensors/drone01/altitude', payload: Buffer.from('100'), retain: false, qos: 0 },
  { topic: 'sensors/drone01/pressure', payload: Buffer.from('{"value":1009.7,"unit":"hPa","ts":"2026-11-25T10:00:00.000Z","seq":7}'), retain: true, qos: 1 },
  { topic: 'sensors/café/température', payload: Buffer.from('21.5 °C'), retain: false, qos: 1 }, // multi-byte UTF-8 in both
  { topic: 's', payload: Buffer.alloc(0), retain: false, qos: 0 }, // empty payload: a legal PUBLISH
  { topic: 'long/two-byte-length', payload: Buffer.from('x'.repeat(200)), retain: false, qos: 1 }, // Remaining Length in 2 bytes
  { topic: 'long/three-byte-length', payload: Buffer.from('y'.repeat(20_000)), retain: true, qos: 0 }, // … in 3 bytes
  { topic: 'binary', payload: Buffer.from([0x00, 0xff, 0x80, 0x0a, 0xc3]), retain: false, qos: 1 }, // bytes that are not UTF-8 (Sparkplug B is protobuf)
];
/** Identifiers at the edges of the agent's range, and one with both bytes set. */
const IDS = [0, FIRST_AGENT_ID, LAST_AGENT_ID, 0, 0x4321, 0, 0xabcd];

function reference(messages: WirePublish[], protocolVersion: 4 | 5, ids: number[]): Buffer {
  return Buffer.concat(
    messages.map((m, i) =>
      mqttPacket.generate({ cmd: 'publish', topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup: false, ...(m.qos > 0 ? { messageId: ids[i]! } : {}) }, { protocolVersion }),
    ),
  );
}

describe('PUBLISH encoder (QoS 0 and 1)', () => {
  for (const protocolVersion of [4, 5] as const) {
    it(`writes what mqtt-packet writes, byte for byte (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, () => {
      SAMPLES.forEach((message, i) => assert.deepEqual(encodePublishes([message], protocolVersion, [IDS[i]!]), reference([message], protocolVersion, [IDS[i]!]), message.topic));
      assert.deepEqual(encodePublishes(SAMPLES, protocolVersion, IDS), reference(SAMPLES, protocolVersion, IDS), 'a whole batch, in order');
    });

    it(`parses back into the same messages with mqtt-packet's parser (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, () => {
      const parser = mqttPacket.parser({ protocolVersion });
      const parsed: Array<{ topic: string; payload: Buffer; retain: boolean; qos: number; id: number | undefined }> = [];
      parser.on('packet', (p) => {
        if (p.cmd === 'publish') parsed.push({ topic: p.topic, payload: Buffer.from(p.payload), retain: p.retain, qos: p.qos, id: p.messageId });
      });
      parser.on('error', (e) => assert.fail(e));
      parser.parse(encodePublishes(SAMPLES, protocolVersion, IDS));
      assert.deepEqual(parsed, SAMPLES.map((m, i) => ({ ...m, id: m.qos > 0 ? IDS[i] : undefined })));
    });
  }

  it('refuses a topic longer than MQTT allows, saying so', () => {
    assert.throws(() => encodePublishes([{ topic: 't'.repeat(70_000), payload: Buffer.from('1'), retain: false, qos: 0 }], 4), /70000 bytes, over the 65535 a topic may have/);
  });

  it('refuses QoS 1 without a packet identifier, and QoS 2 (mqtt.js sends those)', () => {
    assert.throws(() => encodePublishes([{ topic: 't', payload: Buffer.from('1'), retain: false, qos: 1 }], 4), /needs a packet identifier/);
    assert.throws(() => encodePublishes([{ topic: 't', payload: Buffer.from('1'), retain: false, qos: 1 }], 4, [0]), /needs a packet identifier/);
    assert.throws(() => encodePublishes([{ topic: 't', payload: Buffer.from('1'), retain: false, qos: 2 }], 4, [FIRST_AGENT_ID]), /QoS 0 and 1, not 2/);
  });

  it('an empty batch is an empty buffer', () => {
    assert.equal(encodePublishes([], 5).length, 0);
  });
});

describe('MqttSession.writePublishes through Mosquitto', () => {
  const mosquitto = useMosquitto();

  for (const protocolVersion of [4, 5] as const) {
    it(`delivers a batch intact, in order, with its retain flags, to mosquitto_sub (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
      const prefix = `batch${protocolVersion}`;
      // Text payloads only: mosquitto_sub prints payloads one per line.
      const batch = SAMPLES.filter((m) => m.topic !== 'binary').map((m) => ({ ...m, topic: `${prefix}/${m.topic}` }));
      const answered: Array<string | undefined> = batch.map(() => 'no answer');
      const answers = batch.map((_, i) => (error?: Error) => (answered[i] = error?.message));
      const config = loadConfig({ text: JSON.stringify({ deviceId: `writer${protocolVersion}`, role: 'subscriber', subscriptions: [{ topic: 'unused/#' }], mqtt: { url: mosquitto.broker.url, protocolVersion } }), env: {} });
      const session = new MqttSession(config.mqtt, memoryLogger());
      assert.equal(session.writePublishes(batch, answers), false, 'nothing is written before the session is connected');
      session.start();
      await session.ready();
      const live = watch({ port: mosquitto.broker.port, topics: [`${prefix}/#`], count: batch.length, extraArgs: ['-R'] });
      await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe first
      try {
        assert.equal(session.writePublishes(batch, answers), true);
        assert.equal(session.awaitingAck, batch.filter((m) => m.qos === 1).length, 'each QoS 1 message waits for its PUBACK');
        const received = await live;
        assert.deepEqual(
          received.map((m) => ({ topic: m.topic, payload: m.payload, qos: m.qos })),
          batch.map((m) => ({ topic: m.topic, payload: m.payload.toString(), qos: m.qos })),
        );
        await until(() => session.awaitingAck === 0);
        assert.deepEqual(answered, batch.map((m) => (m.qos === 1 ? undefined : 'no answer')), 'every QoS 1 message heard its PUBACK, and only those');
        // The broker kept the retained ones, and only those, as a late subscriber sees.
        const retained = await watch({ port: mosquitto.broker.port, topics: [`${prefix}/#`], count: 2, timeoutS: 2, extraArgs: ['--retained-only'] });
        assert.deepEqual(retained.map((m) => m.topic).sort(), batch.filter((m) => m.retain).map((m) => m.topic).sort());
        // The connection is still good for mqtt.js's own packets after ours, its PUBACKs reach it.
        await session.publish(`${prefix}/after`, 'still connected', { qos: 1, retain: false });
      } finally {
        await session.stop();
      }
      assert.equal(session.writePublishes(batch, answers), false, 'nothing is written after stop');
    });
  }

  it('a QoS 1 message the connection loses before its PUBACK is answered with an error, at once', async () => {
    const broker = mosquitto.broker;
    const config = loadConfig({ text: JSON.stringify({ deviceId: 'lost1', role: 'subscriber', subscriptions: [{ topic: 'unused/#' }], mqtt: { url: broker.url, reconnectPeriodMs: 0 } }), env: {} });
    const session = new MqttSession(config.mqtt, memoryLogger());
    session.start();
    await session.ready();
    try {
      // The connection is cut in the same turn of the event loop: no PUBACK can have come.
      const answers: Array<Error | undefined | 'waiting'> = ['waiting'];
      assert.equal(session.writePublishes([{ topic: 'lost/1', payload: Buffer.from('1'), retain: false, qos: 1 }], [(error) => (answers[0] = error)]), true);
      assert.equal(session.awaitingAck, 1);
      (session as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
      await until(() => answers[0] !== 'waiting');
      assert.ok(answers[0] instanceof Error && !(answers[0] instanceof PublishRefused), 'a lost connection, not a refusal: the caller sends it again');
      assert.equal(session.awaitingAck, 0, 'nothing is left waiting');
    } finally {
      await session.stop();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
