/**
 * What must hold on every broker a fleet may use: Mosquitto, NATS's MQTT listener, RabbitMQ's MQTT
 * plugin and aedes, each started by the test.
 *
 * The broker killed with kill -9 while QoS 1 publishes are in flight, many times, at random moments
 * (seeded: the seed is printed and FUZZ_SEED replays it). The
 * real session and the real disk queue run in this process, so the test asserts on their internal
 * truth, not only on what arrives: every reading is acknowledged once the broker is back, nothing is
 * left in flight, the queue's read position catches up with its head and its delivered segments are
 * deleted, the ledger adds up, and a stop with the broker dead and publishes in flight holds its
 * deadline. (Before the fix, the publishes in flight at a crash never settled: the agent stalled.)
 *
 * And an MQTT 5 CONNECT to a broker that speaks only 3.1.1 (NATS 2.9, RabbitMQ 3.10, aedes) is
 * refused with an error that names mqtt.protocolVersion and what to set; protocolVersion "auto"
 * falls back to 3.1.1 on those and keeps MQTT 5 on Mosquitto; a list of servers whose first is
 * dead connects to the second; and a $share/ filter is granted everywhere but delivers only where
 * the broker has shared subscriptions (docs/clusters.md).
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { MqttConfig, Qos, QueueConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/log/logger.js';
import { MqttSession } from '../agent/mqtt/session.js';
import { Outbox, type OutgoingMessage } from '../agent/publishing/outbox.js';
import { seededRandom } from '../drivers/i2c/simulated-bus.js';
import { systemClock } from '../drivers/clock.js';
import { startBroker, type BrokerKind, type TestBroker } from './helpers/brokers.js';
import { fuzzSeed } from './helpers/fuzz-seed.js';
import { freePort } from './helpers/mosquitto.js';
import { tempDir } from './helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function mqttConfig(url: string, clientId: string, overrides: Partial<MqttConfig> = {}): MqttConfig {
  return {
    url, clientId, keepaliveS: 2, clean: true, protocolVersion: 4, statusTopic: `sensors/${clientId}/status`, connectTimeoutMs: 2000,
    reconnectPeriodMs: 100, reconnectMaxMs: 400, reconnectSpreadMs: 0, sessionExpiryS: 0, username: '', password: '', passwordFile: '',
    tls: { ca: '', cert: '', key: '', insecureSkipVerify: false }, ...overrides,
  };
}

function queueConfig(dir: string): QueueConfig {
  // Small segments, so that deleting delivered ones is seen; a window of 20 in flight.
  return { enabled: true, dir, sync: 'interval', syncIntervalMs: 200, maxBytes: 1 << 22, segmentBytes: 8192, maxAgeS: 0, window: 20, qos0: 'buffer' };
}

async function until(what: string, check: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check(); await sleep(50)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms; ${detail()}`);
  }
}

/** Whether each speaks MQTT 5 (the versions Debian bookworm ships: NATS 2.9, RabbitMQ 3.10). */
const SPEAKS_MQTT5: Record<BrokerKind, boolean> = { mosquitto: true, nats: false, rabbitmq: false, aedes: false };

/** Whether each has shared subscriptions ($share/group/filter) for MQTT 3.1.1 clients, as installed here. */
const SPEAKS_SHARED: Record<BrokerKind, boolean> = { mosquitto: true, nats: false, rabbitmq: false, aedes: false };

/** How many kills each broker gets: RabbitMQ takes ~10 s to come back, the others a moment. */
const KILLS: Record<BrokerKind, number> = { mosquitto: 6, nats: 4, aedes: 6, rabbitmq: 2 };

for (const kind of ['mosquitto', 'nats', 'aedes', 'rabbitmq'] as const) {
  describe(`on ${kind}`, () => {
    let broker: TestBroker;
    before(async () => {
      broker = await startBroker(kind);
    });
    after(async () => {
      await broker?.stop();
    });

    it('kill -9 with publishes in flight: every reading is acknowledged once it is back; nothing stays in flight; the read position catches up; the stop deadline holds', async () => {
      const seed = fuzzSeed(`broker crash (${kind})`);
      const random = seededRandom(seed);
      const dir = tempDir('crash');
      const logger = memoryLogger('info');
      const session = new MqttSession(mqttConfig(broker.url, `crash-${kind}-${seed}`), logger);
      const outbox = new Outbox(session, queueConfig(dir), systemClock, logger);
      let producer: NodeJS.Timeout | undefined;
      try {
        outbox.open();
        session.onConnect(() => outbox.pump());
        session.start();
        await session.ready();
        let seq = 0;
        const qosFor = (): Qos => (broker.maxQos === 2 && random() < 0.2 ? 2 : random() < 0.1 ? 0 : 1);
        const sample = (): OutgoingMessage[] =>
          ['pressure', 'temperature', 'altitude'].map((q) => ({ topic: `sensors/crash/${q}`, payload: Buffer.from(JSON.stringify({ seq: ++seq })), qos: qosFor(), retain: false, ts: Date.now(), sensor: 'bmp280', seq }));
        // One BMP280 at 20 Hz with three measurements, as in the field report.
        producer = setInterval(() => outbox.submit(sample()), 50);
        const detail = (): string => `ledger ${JSON.stringify(outbox.ledger())}, seed ${seed}\n${logger.lines.slice(-15).join('\n')}`;

        /** A burst of samples (a backlog's worth), so the window is full when the kill lands. */
        const burst = (): void => {
          for (let i = 0; i < 20; i++) outbox.submit(sample());
          assert.ok(outbox.inFlightCount > 0, 'publishes in flight at the kill');
        };
        for (let k = 0; k < KILLS[kind]; k++) {
          await sleep(200 + random() * 500);
          burst();
          await broker.kill();
          await sleep(100 + random() * 1000);
          await broker.start();
          if (random() < 0.4) {
            // The field report's second crash, 0.15 s after the restart: reconnecting, resending.
            await sleep(150);
            if (session.connected) burst();
            await broker.kill();
            await sleep(200);
            await broker.start();
          }
          // The read position follows the head again once the backlog is sent.
          await until('the backlog sent after the restart', () => {
            const l = outbox.ledger();
            return session.connected && l.queueHead - l.queueTail <= 20 + 3;
          }, 45_000, detail);
        }
        clearInterval(producer);
        producer = undefined;
        await until('everything acknowledged', () => outbox.ledger().pending === 0, 30_000, detail);
        const ledger = outbox.ledger();
        assert.equal(ledger.inFlight, 0, 'nothing left in flight');
        assert.equal(ledger.submitted, seq, 'every reading was submitted');
        assert.equal(ledger.dropped, 0, `nothing dropped (${detail()})`);
        assert.equal(ledger.acknowledged, ledger.submitted, 'every reading acknowledged by the broker, each counted once');
        assert.equal(ledger.queueTail, ledger.queueHead, 'the read position caught up with the head');
        await outbox.sync();
        assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length <= 1, `delivered segments deleted: ${readdirSync(dir).join(' ')}`);

        // A stop with the broker dead and publishes in flight holds its deadline.
        producer = setInterval(() => outbox.submit(sample()), 50);
        await sleep(300);
        burst();
        await broker.kill();
        clearInterval(producer);
        producer = undefined;
        const started = Date.now();
        await outbox.drain(300);
        await outbox.close();
        await session.stop(300);
        assert.ok(Date.now() - started < 1500, `stopped in ${Date.now() - started} ms with the broker dead`);
      } finally {
        if (producer) clearInterval(producer);
        await outbox.close();
        await session.stop(300);
        await broker.start(); // for the next test
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(SPEAKS_MQTT5[kind] ? 'takes an MQTT 5 CONNECT' : 'refuses an MQTT 5 CONNECT, and the log names mqtt.protocolVersion and what to set', async () => {
      const logger = memoryLogger('info');
      const session = new MqttSession(mqttConfig(broker.url, `v5-${kind}`, { protocolVersion: 5 }), logger);
      session.start();
      try {
        if (SPEAKS_MQTT5[kind]) {
          await session.ready();
          return;
        }
        await until('the refusal explained', () => logger.lines.some((l) => l.startsWith('ERROR') && /mqtt\.protocolVersion to 4/.test(l)), 10_000, () => logger.lines.join('\n'));
        assert.equal(session.connected, false);
        const errors = logger.lines.filter((l) => l.startsWith('ERROR'));
        assert.equal(errors.length, 1, `said once, not at every retry:\n${errors.join('\n')}`);
      } finally {
        await session.stop(300);
      }
    });

    it(`protocolVersion auto: connects with ${SPEAKS_MQTT5[kind] ? 'MQTT 5' : 'MQTT 3.1.1 after MQTT 5 is refused'}, says which, and keeps it on reconnecting`, async () => {
      const logger = memoryLogger('info');
      const session = new MqttSession(mqttConfig(broker.url, `auto-${kind}`, { protocolVersion: 'auto' }), logger);
      const detail = (): string => logger.lines.join('\n');
      const connected = (): string[] => logger.lines.filter((l) => /INFO\s+connected /.test(l));
      session.start();
      try {
        await until('connected', () => connected().length === 1, 30_000, detail);
        const expected = SPEAKS_MQTT5[kind] ? 'MQTT 5' : 'MQTT 3.1.1';
        assert.match(connected()[0]!, new RegExp(`protocol="${expected.replace('.', '\\.')}"`), detail());
        assert.equal(logger.lines.filter((l) => /refused MQTT 5|closed an MQTT 5 connection/.test(l)).length, SPEAKS_MQTT5[kind] ? 0 : 1, detail());
        assert.equal(logger.lines.filter((l) => l.startsWith('ERROR')).length, 0, `a fallback is not an error:\n${detail()}`);
        // Another client takes our id: the broker drops us, and the session reconnects with what it learned.
        const intruder = await mqtt.connectAsync(broker.url, { clientId: `auto-${kind}`, protocolVersion: 4, reconnectPeriod: 0, log: () => undefined });
        await intruder.endAsync();
        await until('connected again', () => connected().length >= 2 && session.connected, 30_000, detail);
        assert.match(connected()[1]!, new RegExp(`protocol="${expected.replace('.', '\\.')}"`), detail());
        assert.equal(logger.lines.filter((l) => /refused MQTT 5|closed an MQTT 5 connection/.test(l)).length, SPEAKS_MQTT5[kind] ? 0 : 1, `asked once per server:\n${detail()}`);
      } finally {
        await session.stop(300);
      }
    });

    it('a list whose first server is dead (connection refused): connects to the second at the next attempt', async () => {
      const dead = `mqtt://127.0.0.1:${await freePort()}`;
      const logger = memoryLogger('info');
      const session = new MqttSession(mqttConfig(`${dead},${broker.url}`, `list-${kind}`), logger);
      session.start();
      try {
        await until('connected', () => session.connected, 30_000, () => logger.lines.join('\n'));
        assert.equal(session.server, broker.url);
        const tried = logger.lines.filter((l) => /INFO\s+connecting /.test(l)).map((l) => /url=(\S+)/.exec(l)?.[1]);
        assert.deepEqual(tried, [dead, broker.url], logger.lines.join('\n'));
        // Published through it: a QoS 1 message is acknowledged.
        await session.publish(`sensors/list-${kind}/t`, 'x', { qos: 1, retain: false });
      } finally {
        await session.stop(300);
      }
    });

    it(SPEAKS_SHARED[kind] ? 'a $share/ filter is granted and delivers' : 'a $share/ filter is granted and delivers nothing (no shared subscriptions), as docs/clusters.md says', async () => {
      const logger = memoryLogger('info');
      const session = new MqttSession(mqttConfig(broker.url, `share-${kind}`), logger);
      const topic = `sensors/share-${kind}/t`;
      const got: string[] = [];
      session.deliverTo({ dispatch: (t) => void got.push(t), tooLarge: () => undefined });
      session.start();
      const publisher = await mqtt.connectAsync(broker.url, { clientId: `share-pub-${kind}`, protocolVersion: 4, reconnectPeriod: 0, log: () => undefined });
      try {
        await until('connected', () => session.connected, 30_000, () => logger.lines.join('\n'));
        // A plain subscriber on the same topic is the barrier: the broker hands each PUBLISH to every
        // subscription as it arrives, so once its copies are in, a shared copy would be too.
        const plain: string[] = [];
        publisher.on('message', (t) => plain.push(t));
        await publisher.subscribeAsync(topic, { qos: 1 });
        await session.subscribe([{ topic: `$share/loggers/${topic}`, qos: 1 }]);
        assert.equal(session.subscriptionsRefused, 0, 'the $share filter is granted, not refused');
        assert.ok(logger.lines.some((l) => /subscribed /.test(l) && l.includes('$share/loggers/')), logger.lines.join('\n'));
        assert.ok(logger.lines.some((l) => /shared subscriptions over MQTT 3\.1\.1/.test(l)), 'the 3.1.1 note is logged');
        for (let i = 0; i < 3; i++) await publisher.publishAsync(topic, String(i), { qos: 1 });
        await until('the plain copies', () => plain.length >= 3, 10_000, () => `${plain.length}`);
        await sleep(300);
        assert.equal(got.length, SPEAKS_SHARED[kind] ? 3 : 0, `${kind}: ${got.length} deliveries through $share for 3 publishes`);
      } finally {
        await publisher.endAsync(true);
        await session.stop(300);
      }
    });
  });
}

