/**
 * A SUBACK that refuses one topic of several. Mosquitto's acl_file never refuses a SUBSCRIBE (it
 * grants it and filters delivery; see broker-security.test.ts), so this is a scripted peer, in the
 * spirit of the playback I2C bus: it answers CONNECT, PUBLISH and SUBSCRIBE byte by byte (MQTT
 * 3.1.1 §3.2, §3.4, §3.9) and refuses (0x80) every topic containing "denied".
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { loadConfig } from '../agent/config/load-config.js';
import { memoryLogger } from '../agent/logger.js';
import { MqttSession } from '../agent/mqtt-session.js';

/** Splits a byte stream into MQTT control packets (fixed header, variable-length remaining length). */
function packets(socket: Socket, onPacket: (type: number, flags: number, body: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < pending.length && i <= 4; i++) {
        length += (pending[i]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((pending[i]! & 0x80) === 0) break;
      }
      if (i >= pending.length || pending.length < i + 1 + length) return;
      const body = pending.subarray(i + 1, i + 1 + length);
      onPacket(pending[0]! >> 4, pending[0]! & 0x0f, body);
      pending = pending.subarray(i + 1 + length);
    }
  });
}

function scriptedBroker(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    packets(socket, (type, flags, body) => {
      if (type === 1) socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK accepted
      if (type === 3 && ((flags >> 1) & 3) === 1) {
        const topicLength = body.readUInt16BE(0);
        socket.write(Buffer.from([0x40, 0x02, body[2 + topicLength]!, body[3 + topicLength]!])); // PUBACK
      }
      if (type === 8) {
        const codes: number[] = [];
        for (let at = 2; at < body.length; ) {
          const length = body.readUInt16BE(at);
          const topic = body.subarray(at + 2, at + 2 + length).toString('utf8');
          const qos = body[at + 2 + length]!;
          codes.push(topic.includes('denied') ? 0x80 : qos);
          at += 3 + length;
        }
        socket.write(Buffer.from([0x90, 2 + codes.length, body[0]!, body[1]!, ...codes])); // SUBACK
      }
      if (type === 12) socket.write(Buffer.from([0xd0, 0x00])); // PINGRESP
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

test('a refused topic is logged by name and counted; the granted ones still subscribe', async () => {
  const broker = await scriptedBroker();
  const config = loadConfig({ text: JSON.stringify({ deviceId: 'sub01', role: 'subscriber', subscriptions: [{ topic: 'x' }], mqtt: { url: `mqtt://127.0.0.1:${broker.port}` } }), env: {} });
  const logger = memoryLogger();
  const session = new MqttSession(config.mqtt, logger);
  session.start();
  try {
    await session.ready();
    await session.subscribe([
      { topic: 'sensors/+/altitude', qos: 1 },
      { topic: 'denied/topic', qos: 1 },
      { topic: 'sensors/+/pressure', qos: 0 },
    ]);
    assert.equal(session.subscriptionsRefused, 1);
    const text = logger.lines.join('\n');
    assert.match(text, /^ERROR subscription refused by the broker topic=denied\/topic reasonCode=128 hint=/m);
    assert.match(text, /^INFO  subscribed topic=sensors\/\+\/altitude qos=1$/m);
    assert.match(text, /^INFO  subscribed topic=sensors\/\+\/pressure qos=0$/m);
    assert.ok(!/subscribe failed/.test(text), text);
  } finally {
    await session.stop(500);
    broker.close();
  }
});
