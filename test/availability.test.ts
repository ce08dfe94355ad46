/**
 * What the status topic says comes from one place (publishing/encoders.ts), not from strings in
 * the session: `online` on connecting, `offline` at a clean stop and as the last will. A format
 * with its own birth and death messages (Sparkplug B) gives its own Availability.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../agent/config/load-config.js';
import { memoryLogger } from '../agent/log/logger.js';
import { clientOptions, MqttSession } from '../agent/mqtt/session.js';
import { plainAvailability, type Availability } from '../agent/publishing/encoders.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { waitForRetained } from './helpers/mqtt-watch.js';

const custom: Availability = {
  topic: 'fleet/d1/state',
  online: { payload: Buffer.from('BIRTH'), qos: 1, retain: true },
  offline: { payload: Buffer.from('DEATH'), qos: 0, retain: false },
};

describe('availability: the status topic\'s messages', () => {
  const mosquitto = useMosquitto();
  const config = (url: string) => loadConfig({ text: JSON.stringify({ deviceId: 'd1', role: 'subscriber', subscriptions: [{ topic: 'x' }], mqtt: { url } }), env: {} }).mqtt;

  it('the last will is the availability\'s offline message; the default is retained plain offline on mqtt.statusTopic', () => {
    const mqtt = config('mqtt://127.0.0.1:1');
    assert.deepEqual(clientOptions(mqtt, 10_000, custom).will, { topic: 'fleet/d1/state', payload: Buffer.from('DEATH'), qos: 0, retain: false });
    assert.deepEqual(clientOptions(mqtt).will, { topic: mqtt.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true });
    assert.deepEqual(plainAvailability('s').online, { payload: Buffer.from('online'), qos: 1, retain: true });
  });

  it('a session says the availability\'s online message on connecting, and its offline message at a clean stop', async () => {
    const session = new MqttSession(config(mosquitto.broker.url), memoryLogger(), { availability: { ...custom, offline: { payload: Buffer.from('DEATH'), qos: 1, retain: true } } });
    session.start();
    try {
      await session.ready();
      assert.equal(await waitForRetained(mosquitto.broker.port, 'fleet/d1/state', 'BIRTH'), 'BIRTH');
    } finally {
      await session.stop();
    }
    assert.equal(await waitForRetained(mosquitto.broker.port, 'fleet/d1/state', 'DEATH'), 'DEATH');
  });
});
