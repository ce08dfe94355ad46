/**
 * The agent's own QoS 0 PUBLISH encoder (agent/mqtt/publish-packets.ts) against mqtt-packet, the encoder
 * and parser mqtt.js itself uses: byte for byte, for MQTT 3.1.1 and 5, at each Remaining Length
 * width; then on the wire, through a real Mosquitto to mosquitto_sub (another implementation again).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { MqttSession } from '../agent/mqtt/session.js';
import { loadConfig } from '../agent/config/load-config.js';
import { encodeQos0Publishes, type Qos0Publish } from '../agent/mqtt/publish-packets.js';
import { memoryLogger } from '../agent/log/logger.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';

const SAMPLES: Qos0Publish[] = [
  { topic: 'sensors/drone01/altitude', payload: Buffer.from('100'), retain: false },
  { topic: 'sensors/drone01/pressure', payload: Buffer.from('{"value":1009.7,"unit":"hPa","ts":"2026-11-25T10:00:00.000Z","seq":7}'), retain: true },
  { topic: 'sensors/café/température', payload: Buffer.from('21.5 °C'), retain: false }, // multi-byte UTF-8 in both
  { topic: 's', payload: Buffer.alloc(0), retain: false }, // empty payload: a legal PUBLISH
  { topic: 'long/two-byte-length', payload: Buffer.from('x'.repeat(200)), retain: false }, // Remaining Length in 2 bytes
  { topic: 'long/three-byte-length', payload: Buffer.from('y'.repeat(20_000)), retain: true }, // … in 3 bytes
  { topic: 'binary', payload: Buffer.from([0x00, 0xff, 0x80, 0x0a, 0xc3]), retain: false }, // bytes that are not UTF-8 (Sparkplug B is protobuf)
];

function reference(messages: Qos0Publish[], protocolVersion: 4 | 5): Buffer {
  return Buffer.concat(
    messages.map((m) =>
      mqttPacket.generate({ cmd: 'publish', topic: m.topic, payload: m.payload, qos: 0, retain: m.retain, dup: false }, { protocolVersion }),
    ),
  );
}

describe('QoS 0 PUBLISH encoder', () => {
  for (const protocolVersion of [4, 5] as const) {
    it(`writes what mqtt-packet writes, byte for byte (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, () => {
      for (const message of SAMPLES) assert.deepEqual(encodeQos0Publishes([message], protocolVersion), reference([message], protocolVersion), message.topic);
      assert.deepEqual(encodeQos0Publishes(SAMPLES, protocolVersion), reference(SAMPLES, protocolVersion), 'a whole batch, in order');
    });

    it(`parses back into the same messages with mqtt-packet's parser (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, () => {
      const parser = mqttPacket.parser({ protocolVersion });
      const parsed: Array<{ topic: string; payload: Buffer; retain: boolean; qos: number }> = [];
      parser.on('packet', (p) => {
        if (p.cmd === 'publish') parsed.push({ topic: p.topic, payload: Buffer.from(p.payload), retain: p.retain, qos: p.qos });
      });
      parser.on('error', (e) => assert.fail(e));
      parser.parse(encodeQos0Publishes(SAMPLES, protocolVersion));
      assert.deepEqual(parsed, SAMPLES.map((m) => ({ ...m, qos: 0 })));
    });
  }

  it('refuses a topic longer than MQTT allows, saying so', () => {
    assert.throws(() => encodeQos0Publishes([{ topic: 't'.repeat(70_000), payload: Buffer.from('1'), retain: false }], 4), /70000 bytes, over the 65535 a topic may have/);
  });

  it('an empty batch is an empty buffer', () => {
    assert.equal(encodeQos0Publishes([], 5).length, 0);
  });
});

describe('MqttSession.writeQos0 through Mosquitto', () => {
  const mosquitto = useMosquitto();

  for (const protocolVersion of [4, 5] as const) {
    it(`delivers a batch intact, in order, with its retain flags, to mosquitto_sub (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
      const prefix = `batch${protocolVersion}`;
      // Text payloads only: mosquitto_sub prints payloads one per line.
      const batch = SAMPLES.filter((m) => m.topic !== 'binary').map((m) => ({ ...m, topic: `${prefix}/${m.topic}` }));
      const config = loadConfig({ text: JSON.stringify({ deviceId: `writer${protocolVersion}`, role: 'subscriber', subscriptions: [{ topic: 'unused/#' }], mqtt: { url: mosquitto.broker.url, protocolVersion } }), env: {} });
      const session = new MqttSession(config.mqtt, memoryLogger());
      assert.equal(session.writeQos0(batch), false, 'nothing is written before the session is connected');
      session.start();
      await session.ready();
      const live = watch({ port: mosquitto.broker.port, topics: [`${prefix}/#`], count: batch.length, extraArgs: ['-R'] });
      await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe first
      try {
        assert.equal(session.writeQos0(batch), true);
        const received = await live;
        assert.deepEqual(
          received.map((m) => ({ topic: m.topic, payload: m.payload, qos: m.qos })),
          batch.map((m) => ({ topic: m.topic, payload: m.payload.toString(), qos: 0 })),
        );
        // The broker kept the retained ones, and only those, as a late subscriber sees.
        const retained = await watch({ port: mosquitto.broker.port, topics: [`${prefix}/#`], count: 2, timeoutS: 2, extraArgs: ['--retained-only'] });
        assert.deepEqual(retained.map((m) => m.topic).sort(), batch.filter((m) => m.retain).map((m) => m.topic).sort());
        // The connection is still good for mqtt.js's own packets after ours.
        await session.publish(`${prefix}/after`, 'still connected', { qos: 1, retain: false });
      } finally {
        await session.stop();
      }
      assert.equal(session.writeQos0(batch), false, 'nothing is written after stop');
    });
  }
});
