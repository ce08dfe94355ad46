/**
 * Home Assistant sees live readings, not a replayed backlog (issue 16, item 10): readings taken
 * while the broker is out of reach are replayed in full on the measurement topic, while the
 * entity's latest-value topic gets at most the newest of them, then live ones. Against a real
 * Mosquitto, watched by mosquitto_sub. Also the bound on retained configs a broker can make the
 * agent hold.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { RetainedConfigs } from '../agent/features/ha-retained.js';
import { startAgent, writeTempConfig } from './helpers/agent-process.js';
import { findBinary, useMosquitto } from './helpers/mosquitto.js';
import { tempDir } from './helpers/temp-dir.js';

interface Seen {
  topic: string;
  retained: boolean;
  seq: number;
  ts: number;
}

/**
 * Everything on `topics` for `seconds` (mosquitto_sub, an independent client); `subscribed`
 * resolves once the broker has acknowledged its SUBSCRIBE.
 */
function collect(port: number, topics: string[], seconds: number): { subscribed: Promise<void>; seen: Promise<Seen[]> } {
  const args = ['-d', '-h', '127.0.0.1', '-p', String(port), '-q', '1', '-W', String(seconds), '-F', '%t\t%r\t%p'];
  for (const t of topics) args.push('-t', t);
  let onSubscribed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
  const seen = new Promise<Seen[]>((resolve, reject) => {
    const child = spawn(findBinary('mosquitto_sub'), args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('received SUBACK')) onSubscribed();
    });
    child.on('error', reject);
    child.on('close', () =>
      // -d adds mosquitto_sub's own lines ("Client … received PUBLISH …"): the messages are the tab-separated ones.
      resolve(out.split('\n').filter((l) => l.split('\t').length === 3).map((l) => {
        const [topic = '', retained = '', payload = ''] = l.split('\t');
        const body = JSON.parse(payload) as { seq: number; ts: string };
        return { topic, retained: retained === '1', seq: body.seq, ts: Date.parse(body.ts) };
      })),
    );
  });
  return { subscribed, seen };
}

/**
 * A TCP relay to the broker that the test cuts and restores: the agent's outage, while the broker
 * (and so the watcher, subscribed before the agent can come back) stays up. A broker outage raced
 * the agent's reconnect, which may come 50 ms after the broker (full jitter), against the watcher's.
 */
async function relay(target: number): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server = createServer((client) => {
        const broker = connect(target, '127.0.0.1');
        for (const s of [client, broker]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => {
            sockets.delete(s);
            client.destroy();
            broker.destroy();
          });
        }
        client.pipe(broker).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const port = await listen(0);
  const cut = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return { port, cut, restore: async () => void (await listen(port)) };
}

describe('Home Assistant reads live values, history consumers the whole stream', () => {
  const mosquitto = useMosquitto();

  it('after an outage the measurement topic gets every queued reading, the latest-value topic only the newest, then live ones', async () => {
    const state = tempDir('ha-latest');
    const port = mosquitto.broker.port;
    const config = writeTempConfig({
      board: 'raspberry-pi', role: 'publisher', deviceId: 'ha03', i2c: { simulated: true }, queue: { dir: state }, health: { intervalS: 0 },
      homeassistant: { enabled: true },
      // Retries within seconds of the link's return (no fleet spread), so the watch below sees them.
      mqtt: { reconnectPeriodMs: 1000, reconnectSpreadMs: 0, reconnectMaxMs: 2000 },
      sensors: [{ name: 'altimeter', driver: 'bmp280', address: '0x76', intervalMs: 250, measurements: { pressure: { format: 'json', qos: 1 }, temperature: { enabled: false }, altitude: { enabled: false } }, simulation: { scenario: 'static' } }],
    });
    const link = await relay(port);
    const agent = startAgent(['run', '--config', config, '--broker', `mqtt://127.0.0.1:${link.port}`]);
    try {
      await agent.waitFor(/discovery announced entities=1/);
      await link.cut();
      await agent.waitFor(/broker unreachable|closed the connection/);
      // Readings go on being taken and queued: wait for a few (by the agent's own clock, not asserted on).
      await new Promise((r) => setTimeout(r, 2000));
      const watch = collect(port, ['sensors/ha03/pressure', 'sensors/ha03/pressure/latest'], 8);
      await watch.subscribed;
      const resumedAt = Date.now();
      await link.restore();
      const seen = await watch.seen;
      const history = seen.filter((m) => m.topic === 'sensors/ha03/pressure');
      const latest = seen.filter((m) => m.topic === 'sensors/ha03/pressure/latest' && !m.retained);
      const queued = history.filter((m) => m.ts < resumedAt);
      assert.ok(queued.length >= 3, `readings taken during the outage are replayed on the measurement topic (${queued.length})`);
      const seqs = history.map((m) => m.seq);
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, 'the whole stream, in order, no gap');
      const stale = latest.filter((m) => m.ts < resumedAt);
      assert.ok(stale.length <= 1, `at most the newest queued reading goes to Home Assistant: ${JSON.stringify(stale)}`);
      if (stale.length === 1) assert.equal(stale[0]!.seq, Math.max(...queued.map((m) => m.seq)), 'and it is the newest one');
      assert.ok(latest.length >= 2, 'live readings follow on the latest-value topic');
      for (let i = 1; i < latest.length; i++) assert.ok(latest[i]!.seq > latest[i - 1]!.seq, 'never an older value after a newer one');
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
      await link.cut();
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe('retained discovery configs the agent keeps', () => {
  it('at most maxTopics topics and maxBytes of text, the rest counted; an empty payload removes', () => {
    const held = new RetainedConfigs({ maxTopics: 2, maxBytes: 40 });
    const config = Buffer.from('{}');
    assert.equal(held.note('a/sensor/n/1/config', config), 'held');
    assert.equal(held.note('a/sensor/n/1/config', config), 'known');
    assert.equal(held.note('a/sensor/n/2/config', config), 'held');
    assert.equal(held.note('a/sensor/n/3/config', config), 'over', 'over the count and the bytes');
    assert.equal(held.note('a/sensor/n/1/config', Buffer.alloc(0)), 'removed');
    assert.equal(held.note('a/s/3', config), 'held');
    assert.equal(held.note('a/s/4', config), 'over', 'over the count');
    assert.deepEqual(held.topics.sort(), ['a/s/3', 'a/sensor/n/2/config']);
    assert.equal(held.overflow, 2);
    for (let i = 0; i < 100_000; i++) held.note(`x/${i}`, config);
    assert.equal(held.topics.length, 2, 'a flood costs no memory');
  });

  it('holds only this device\'s configs: another tool\'s on the same node id is never swept', () => {
    const held = new RetainedConfigs(undefined, 'edge-agent_drone01');
    const ours = Buffer.from(JSON.stringify({ name: 'Altitude', device: { identifiers: ['edge-agent_drone01'] } }));
    const oursShort = Buffer.from(JSON.stringify({ name: 'x', dev: { ids: 'edge-agent_drone01' } }));
    const theirs = Buffer.from(JSON.stringify({ name: 'CPU', device: { identifiers: ['glances_drone01'] } }));
    assert.equal(held.note('homeassistant/sensor/drone01/altimeter_altitude/config', ours), 'held');
    assert.equal(held.note('homeassistant/sensor/drone01/a/config', oursShort), 'held');
    assert.equal(held.note('homeassistant/sensor/drone01/cpu/config', theirs), 'foreign');
    for (const hostile of ['not json', '[]', 'null', '{"device":{"identifiers":{"0":"edge-agent_drone01"}}}', '{"__proto__":{"device":{"identifiers":["edge-agent_drone01"]}}}']) {
      assert.equal(held.note('homeassistant/sensor/drone01/h/config', Buffer.from(hostile)), 'foreign', hostile);
    }
    // A topic of ours taken over by another device's config is no longer ours to remove.
    assert.equal(held.note('homeassistant/sensor/drone01/a/config', theirs), 'foreign');
    assert.deepEqual(held.topics, ['homeassistant/sensor/drone01/altimeter_altitude/config']);
  });
});
