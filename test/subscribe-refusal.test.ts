/**
 * A SUBACK that refuses one topic of several. Mosquitto's acl_file never refuses a SUBSCRIBE (it
 * grants it and filters delivery; see broker-security.test.ts), so this is a scripted peer, in the
 * spirit of the playback I2C bus: it answers CONNECT, PUBLISH and SUBSCRIBE byte by byte (MQTT
 * 3.1.1 §3.2, §3.4, §3.9) and refuses (0x80) every topic containing "denied".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../agent/config/load-config.js';
import { memoryLogger } from '../agent/log/logger.js';
import { systemClock } from '../drivers/clock.js';
import { HomeAssistantDiscovery } from '../agent/features/discovery.js';
import { Router } from '../agent/mqtt/router.js';
import { MqttSession } from '../agent/mqtt/session.js';
import { scriptedBroker } from './helpers/scripted-broker.js';

test('a refused topic is logged by name and counted; the granted ones still subscribe', async () => {
  const broker = await scriptedBroker({ grant: (topic, qos) => (topic.includes('denied') ? 0x80 : qos) });
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

test('an optional subscription refused (Home Assistant\'s removal sweep with Home Assistant off) is info, not an error', async () => {
  const broker = await scriptedBroker({ grant: (topic, qos) => (topic.startsWith('homeassistant/') ? 0x80 : qos) });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const config = loadConfig({ text: JSON.stringify({ deviceId: 'sub01', role: 'subscriber', subscriptions: [{ topic: 'x' }], mqtt: { url } }), env: {} });
  const logger = memoryLogger();
  const session = new MqttSession(config.mqtt, logger);
  const router = new Router(session, logger);
  // Off: the feature only sweeps what an earlier run announced, with optional routes.
  new HomeAssistantDiscovery({ config, session, router, clock: systemClock, logger, origin: { version: '0.1.0' }, announce: false, settleMs: 0, legacyStateFile: '/nonexistent/homeassistant.json' });
  router.route('rules', [{ topic: 'sensors/+/altitude', qos: 1 }], () => undefined);
  const subscriptions = router.subscriptions();
  assert.ok(subscriptions.filter((s) => s.topic.startsWith('homeassistant/')).every((s) => s.optional === true), JSON.stringify(subscriptions));
  assert.equal(subscriptions.find((s) => s.topic === 'sensors/+/altitude')!.optional, undefined);
  session.start();
  try {
    await session.ready();
    await session.subscribe(subscriptions);
    assert.ok(session.subscriptionsRefused >= 1);
    const text = logger.lines.join('\n');
    assert.match(text, /^INFO  optional subscription refused by the broker topic=homeassistant\//m);
    assert.doesNotMatch(text, /^ERROR/m);
  } finally {
    await session.stop(500);
    broker.close();
  }
});
