/**
 * The router: one table from topic filter to handler for every incoming message. It subscribes to
 * each filter once, hands a message to every route that matches (each route once), says whether the
 * message may be acknowledged, counts what no route takes, and keeps one failing handler from
 * costing the others their message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubscriptionConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/log/logger.js';
import { Router } from '../agent/mqtt/router.js';

function rig() {
  const subscribes: SubscriptionConfig[][] = [];
  const logger = memoryLogger();
  const router = new Router({ subscribe: async (s) => void subscribes.push(s) }, logger);
  const fallback = { received: [] as string[], tooLarge: [] as string[] };
  router.otherwise({
    receive: async (topic) => (fallback.received.push(topic), true),
    tooLarge: (topic, bytes) => void fallback.tooLarge.push(`${topic} ${bytes}`),
  });
  return { router, subscribes, logger, fallback };
}

const payload = Buffer.from('1');

describe('router', () => {
  it('subscribes to every filter once, at the highest QoS asked for it, in one SUBSCRIBE', async () => {
    const { router, subscribes } = rig();
    router.route('rules', [{ topic: 'sensors/+/altitude', qos: 0 }, { topic: 'home/door', qos: 1 }], () => undefined);
    router.route('subscriptions', [{ topic: 'sensors/+/altitude', qos: 2 }, { topic: 'logged/#', qos: 0 }], () => undefined);
    router.route('nothing', [], () => assert.fail('a route without filters takes nothing'));
    await router.subscribe();
    assert.deepEqual(subscribes, [[{ topic: 'sensors/+/altitude', qos: 2 }, { topic: 'home/door', qos: 1 }, { topic: 'logged/#', qos: 0 }]]);
  });

  it('hands a message to each route whose filter matches, once per route however many of its filters match', () => {
    const { router, fallback } = rig();
    const got: string[] = [];
    router.route('a', [{ topic: 'sensors/#', qos: 1 }, { topic: 'sensors/+/altitude', qos: 1 }], (topic) => void got.push(`a ${topic}`));
    router.route('b', [{ topic: 'sensors/d1/altitude', qos: 1 }], (topic) => void got.push(`b ${topic}`));
    router.route('c', [{ topic: 'other', qos: 1 }], (topic) => void got.push(`c ${topic}`));
    assert.equal(router.dispatch('sensors/d1/altitude', payload), undefined, 'nobody holds the acknowledgement');
    router.dispatch('sensors/d1/pressure', payload);
    assert.deepEqual(got, ['a sensors/d1/altitude', 'b sensors/d1/altitude', 'a sensors/d1/pressure']);
    assert.deepEqual(fallback.received, []);
    assert.deepEqual(router.stats, { received: 2, unmatched: 0 });
  });

  it('counts what no route takes and hands it to the fallback (the inbox counts it as dropped, unmatched)', async () => {
    const { router, fallback } = rig();
    router.route('a', [{ topic: 'sensors/#', qos: 1 }], () => undefined);
    assert.equal(await router.dispatch('$SYS/broker/uptime', payload), true, 'a $ topic is not matched by a leading wildcard');
    assert.equal(await router.dispatch('nobody/listens', payload), true);
    assert.deepEqual(fallback.received, ['$SYS/broker/uptime', 'nobody/listens']);
    assert.deepEqual(router.stats, { received: 2, unmatched: 2 });
  });

  it('a message too large to read goes to the fallback, which counts it', () => {
    const { router, fallback } = rig();
    router.route('a', [{ topic: 'sensors/#', qos: 1 }], () => assert.fail('its payload was never read'));
    router.tooLarge({ topic: 'sensors/x', bytes: 300_000 });
    assert.deepEqual(fallback.tooLarge, ['sensors/x 300000']);
    assert.equal(router.stats.received, 1);
  });

  it('acknowledges only when every route that holds the acknowledgement took the message', async () => {
    const { router } = rig();
    let take = true;
    router.route('a', [{ topic: 't', qos: 1 }], async () => true);
    router.route('b', [{ topic: 't', qos: 1 }], async () => take);
    router.route('c', [{ topic: 't', qos: 1 }], () => undefined);
    assert.equal(await router.dispatch('t', payload), true);
    take = false;
    assert.equal(await router.dispatch('t', payload), false);
  });

  it('a handler that throws is logged by its name; the other routes still get the message', () => {
    const { router, logger } = rig();
    const got: string[] = [];
    router.route('homeassistant', [{ topic: 't', qos: 1 }], () => {
      throw new Error('broken');
    });
    router.route('subscriptions', [{ topic: 't', qos: 1 }], (topic) => void got.push(topic));
    assert.doesNotThrow(() => router.dispatch('t', payload));
    assert.deepEqual(got, ['t']);
    assert.match(logger.lines.join('\n'), /^ERROR a feature failed on a message; the others still got it feature=homeassistant topic=t error=broken$/m);
  });
});
