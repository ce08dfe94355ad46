/**
 * Failover across a broker cluster: a 3-node NATS cluster (nats-server from Debian, JetStream on,
 * an MQTT listener per node), started by the test. The agent's real session and disk queue run in
 * this process with all three nodes in mqtt.url; the node it is connected to is killed with
 * kill -9 while QoS 1 readings flow. Readings must go on through another node after a bounded
 * number of attempts, the health report must name that node, and a subscriber on a third node must
 * receive every reading (at least once, QoS 1): no gap in the sequence numbers.
 *
 * Real time, as the other kill -9 tests (docs/development.md): nothing asserts on durations; the
 * waits only bound how long the test may take.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { MqttConfig } from '../agent/config/types.js';
import { Health } from '../agent/features/health.js';
import { memoryLogger } from '../agent/log/logger.js';
import { MqttSession } from '../agent/mqtt/session.js';
import { Outbox, type OutgoingMessage } from '../agent/publishing/outbox.js';
import { systemClock } from '../drivers/clock.js';
import { mqttReady, startNatsCluster, type NatsCluster } from './helpers/nats-cluster.js';
import { tempDir } from './helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check(); await sleep(50)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms; ${detail()}`);
  }
}

function mqttConfig(url: string, clientId: string): MqttConfig {
  return {
    url, clientId, keepaliveS: 30, clean: true, protocolVersion: 4, statusTopic: `sensors/${clientId}/status`, connectTimeoutMs: 2000,
    reconnectPeriodMs: 100, reconnectMaxMs: 400, reconnectSpreadMs: 0, sessionExpiryS: 0, username: '', password: '', passwordFile: '',
    tls: { ca: '', cert: '', key: '', insecureSkipVerify: false },
  };
}

describe('a 3-node NATS cluster (MQTT listener on each node)', () => {
  let cluster: NatsCluster;
  before(async () => {
    cluster = await startNatsCluster(3);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('kill -9 the node the agent is on: readings go on through the next node, none is lost, the health report names it', async () => {
    const [first, second, third] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    const logger = memoryLogger('debug');
    const dir = tempDir('failover');
    const session = new MqttSession(mqttConfig(cluster.urls, 'failover-agent'), logger);
    const outbox = new Outbox(session, { enabled: true, dir, sync: 'interval', syncIntervalMs: 200, maxBytes: 1 << 22, segmentBytes: 1 << 16, maxAgeS: 0, window: 20, qos0: 'buffer' }, systemClock, logger);
    const health = new Health({
      config: { intervalS: 60, topic: 'sensors/failover/health' }, deviceId: 'failover', session, clock: systemClock, startedAt: systemClock.now(),
      outbox: () => undefined, sensors: () => [], featureError: () => '', hooks: {},
    });
    // A subscriber with a persistent QoS 1 session on the third node: what reaches it crossed the cluster.
    const received: number[] = [];
    const subscriber = await mqtt.connectAsync(third.url, { clientId: 'failover-watch', clean: false, protocolVersion: 4, reconnectPeriod: 500, log: () => undefined });
    subscriber.on('message', (_topic, payload) => received.push((JSON.parse(payload.toString()) as { seq: number }).seq));
    await subscriber.subscribeAsync('sensors/failover/reading', { qos: 1 });
    let producer: NodeJS.Timeout | undefined;
    let seq = 0;
    const detail = (): string => `received ${received.length} of ${seq}, ledger ${JSON.stringify(outbox.ledger())}\n${logger.lines.slice(-20).join('\n')}`;
    try {
      outbox.open();
      session.onConnect(() => outbox.pump());
      session.start();
      await session.ready();
      const sample = (): OutgoingMessage[] => {
        seq++;
        return [{ topic: 'sensors/failover/reading', payload: Buffer.from(JSON.stringify({ seq })), qos: 1, retain: false, ts: Date.now(), sensor: 'bmp280', seq }];
      };
      producer = setInterval(() => outbox.submit(sample()), 20);
      await until('readings through the cluster', () => received.length >= 25, 20_000, detail);

      // Which node the agent is on, as a person would find it: the health report.
      const on = health.report().server;
      assert.equal(on, first.url, 'the first connection goes to the first server in the list');
      const killedAt = logger.lines.length;
      await first.kill();
      const before = received.length;
      await until('readings again after the kill', () => session.connected && received.length >= before + 25, 30_000, detail);

      const since = logger.lines.slice(killedAt);
      const connecting = since.filter((l) => /INFO\s+connecting /.test(l));
      const connected = since.filter((l) => /INFO\s+connected /.test(l));
      const shown = since.join('\n');
      assert.ok(connecting[0]?.includes(second.url), `the first attempt after the kill goes to the next server in the list, not the dead one:\n${shown}`);
      // While JetStream moves the stream leaders off the dead node, a live node may stall a few
      // seconds (keepalive timeouts); the agent goes on round the list. Bounded: three rounds.
      assert.ok(connecting.length <= 3 * cluster.nodes.length, `${connecting.length} attempts before readings flowed again:\n${shown}`);
      const report = health.report();
      assert.equal(report.connected, true);
      assert.notEqual(report.server, first.url, 'the health report no longer names the dead node');
      assert.ok(report.server !== null && connected.at(-1)?.includes(report.server), `the health report names the server of the last connected line (${report.server}):\n${shown}`);
      assert.ok([second.url, third.url].includes(report.server ?? ''));
      if (process.env.FAILOVER_LOG) console.log(shown.split("\n").filter((l) => !/publish not ack/.test(l)).join("\n"));
      process.stdout.write(`# failover: ${connecting.length} attempt(s) after the kill, now on ${cluster.nodes.find((n) => n.url === report.server)?.name}\n`);

      clearInterval(producer);
      producer = undefined;
      await until('everything acknowledged', () => outbox.ledger().pending === 0, 30_000, detail);
      await until('every reading received', () => new Set(received).size >= seq, 30_000, detail);
      const seen = new Set(received);
      const missing = Array.from({ length: seq }, (_, i) => i + 1).filter((n) => !seen.has(n));
      assert.deepEqual(missing, [], 'no reading lost end to end (QoS 1: duplicates allowed, gaps not)');
      assert.equal(outbox.ledger().dropped, 0);

      // The node comes back and takes clients again.
      await first.start();
      await mqttReady(first);
    } finally {
      if (producer) clearInterval(producer);
      await outbox.close();
      await session.stop(300);
      await subscriber.endAsync(true);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
