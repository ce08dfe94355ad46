/**
 * Store and forward under fault injection, end to end against a real Mosquitto (with persistence, so
 * a subscriber's session survives the broker's restarts) that the test stops and starts, and a
 * persistent-session mosquitto_sub as the subscriber. Delivery is at least once, so duplicates are
 * allowed; gaps and reordering are not.
 *
 * The store-and-forward and reconnect cases run the agent in this process on a ManualClock (the
 * TimePump moves it): sampling, reconnect backoff and queue syncs happen in simulated time, so an
 * outage is as long as the test says, not as long as the machine takes. The field report and the
 * crash-loop numbering run the CLI as its own process, killed for real.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../drivers/clock.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { Agent } from '../agent/agent.js';
import { loadConfig } from '../agent/config/load-config.js';
import type { AgentConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/log/logger.js';
import { startAgent, writeTempConfig } from './helpers/agent-process.js';
import { findBinary, startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';
import type { HealthReport } from '../agent/features/health.js';
import { tempDir } from './helpers/temp-dir.js';
import { TimePump } from './helpers/time-pump.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fastSettings(deviceId: string, queueDir: string, queue: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    board: 'raspberry-pi',
    role: 'publisher',
    deviceId,
    i2c: { simulated: true },
    mqtt: { keepaliveS: 2, reconnectPeriodMs: 100, reconnectMaxMs: 400 },
    queue: { dir: queueDir, sync: 'interval', syncIntervalMs: 200, ...queue },
    health: { intervalS: 1 },
    sensors: [
      {
        name: 'altimeter',
        driver: 'bmp280',
        address: '0x76',
        intervalMs: 50,
        settings: { oversampling: { temperature: 'x1', pressure: 'x4' } },
        measurements: {
          pressure: { format: 'json', qos: 1 },
          altitude: { enabled: false },
          temperature: { enabled: false },
        },
        simulation: { chip: 'bmp280', scenario: 'static' },
      },
    ],
  };
}

/** The configuration loaded, for an agent in this process. */
function loadedConfig(deviceId: string, queueDir: string, broker: string, queue: Record<string, unknown> = {}): AgentConfig {
  return loadConfig({ text: JSON.stringify(fastSettings(deviceId, queueDir, queue)), env: {}, args: { broker } });
}

/** An agent in this process on a clock of its own, started. */
async function inProcess(config: AgentConfig): Promise<{ agent: Agent; pump: TimePump; lines: string[] }> {
  const clock = new ManualClock(0, Date.now());
  const pump = new TimePump(clock);
  const logger = memoryLogger('info');
  const agent = new Agent({ config, logger, clock });
  await pump.settle('the agent started', agent.start());
  return { agent, pump, lines: logger.lines };
}

/** submitted = acknowledged + dropped + pending, at every moment (publishing/outbox.ts). */
function assertLedger(agent: Agent): void {
  const ledger = agent.delivery!.ledger();
  assert.equal(ledger.submitted, ledger.acknowledged + ledger.dropped + ledger.pending, JSON.stringify(ledger));
}

/** A persistent-session QoS 1 subscriber that stays up across broker outages (mosquitto_sub reconnects). */
class Subscriber {
  readonly seqs: number[] = [];
  /** The payload of each message, in arrival order (seqs[i] is payloads[i]'s number). */
  readonly payloads: string[] = [];
  private readonly child: ChildProcess;
  private buffer = '';

  constructor(port: number, clientId: string, topic: string) {
    this.child = spawn(findBinary('mosquitto_sub'), ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-c', '-i', clientId, '-t', topic, '-F', '%p'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        this.seqs.push((JSON.parse(line) as { seq: number }).seq);
        this.payloads.push(line);
      }
    });
  }

  /** Time for mosquitto_sub to connect and subscribe (its own start, not the agent's timing). */
  get subscribed(): Promise<void> {
    return sleep(300);
  }

  get highest(): number {
    return this.seqs.reduce((a, b) => Math.max(a, b), 0);
  }

  async waitForHighest(seq: number, timeoutMs = 30_000): Promise<void> {
    for (let waited = 0; this.highest < seq; waited += 50) {
      if (waited > timeoutMs) throw new Error(`subscriber saw up to seq ${this.highest}, waited for ${seq}`);
      await sleep(50);
    }
  }

  async waitForCount(count: number, timeoutMs = 30_000): Promise<void> {
    for (let waited = 0; this.seqs.length < count; waited += 50) {
      if (waited > timeoutMs) throw new Error(`subscriber saw ${this.seqs.length} messages, waited for ${count}`);
      await sleep(50);
    }
  }

  /**
   * Messages from index `from` on whose number is at most `highest` and which are not a reading
   * already received again (same number, same payload: at-least-once may send a queued one twice):
   * a number used for a second, different reading.
   */
  reusedSince(from: number, highest: number): string[] {
    const earlier = new Set(this.payloads.slice(0, from));
    return this.payloads.slice(from).filter((p, i) => this.seqs[from + i]! <= highest && !earlier.has(p));
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/** Every number from 1 to the highest arrived, and first arrivals are in order. */
function assertCompleteAndOrdered(seqs: number[]): void {
  const firsts: number[] = [];
  const seen = new Set<number>();
  for (const s of seqs) {
    if (!seen.has(s)) firsts.push(s);
    seen.add(s);
  }
  const highest = Math.max(...firsts);
  const missing = [];
  for (let n = 1; n <= highest; n++) if (!seen.has(n)) missing.push(n);
  assert.deepEqual(missing, [], `missing sequence numbers (received ${seqs.length}, highest ${highest})`);
  assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), 'first arrivals in order');
}

describe('store and forward against a real Mosquitto (the agent on a manual clock)', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto({ persistence: true });
  });
  after(async () => {
    await broker?.stop();
  });

  it('loses nothing and keeps the order while the broker is stopped and restarted several times', async () => {
    const subscriber = new Subscriber(broker.port, 'rel-sub-1', 'sensors/rel01/pressure');
    await subscriber.subscribed;
    const { agent, pump } = await inProcess(loadedConfig('rel01', tempDir('rel'), broker.url));
    try {
      await pump.until('the first readings delivered', () => subscriber.highest >= 5);
      for (let outage = 0; outage < 3; outage++) {
        await broker.pause();
        await pump.run(800); // 16 samples into the disk queue, reconnects refused meanwhile
        assert.ok(agent.delivery!.backlog >= 16, `queued during outage ${outage}: ${agent.delivery!.backlog}`);
        assertLedger(agent);
        await broker.resume();
        await pump.run(400);
      }
      const target = agent.samples[0]!.stats.samples;
      await pump.until(`every reading up to ${target} delivered`, () => subscriber.highest >= target, { detail: () => JSON.stringify(agent.delivery!.ledger()) });
      assertCompleteAndOrdered(subscriber.seqs);
      assert.ok(subscriber.highest >= 60, `sampling went on through the outages (highest seq ${subscriber.highest})`);
      assertLedger(agent);
      assert.equal(agent.delivery!.ledger().dropped, 0);
    } finally {
      await pump.settle('the agent stopped', agent.stop());
      subscriber.stop();
    }
  });

  it('delivers what it queued during an outage after being killed and started again', async () => {
    const queueDir = tempDir('rel');
    const config = loadedConfig('rel02', queueDir, broker.url);
    const subscriber = new Subscriber(broker.port, 'rel-sub-2', 'sensors/rel02/pressure');
    await subscriber.subscribed;
    const first = await inProcess(config);
    await first.pump.until('the first readings delivered', () => subscriber.highest >= 5);
    await broker.pause();
    const before = subscriber.highest;
    await first.pump.run(1000);
    const queued = first.agent.delivery!.backlog;
    assert.ok(queued >= 20, `queued during the outage: ${queued}`);
    // Killed: the first agent is never stopped and its clock never moves again, so it does nothing
    // more (as after SIGKILL, what it appended is in the files, and its cursor says "not clean").
    const second = await inProcess(config);
    try {
      assert.ok(second.lines.some((l) => /backlog from before the restart will be sent first/.test(l)), second.lines.join('\n'));
      assert.ok(second.lines.some((l) => /did not stop cleanly last time/.test(l)));
      await broker.resume();
      await second.pump.until(`the backlog and 40 more delivered (from ${before})`, () => subscriber.highest >= before + queued + 40);
      assertCompleteAndOrdered(subscriber.seqs);
    } finally {
      await second.pump.settle('the agent stopped', second.agent.stop());
      subscriber.stop();
    }
  });

  it('per-sample: one record per sample, queued through an outage, survives a restart and replays in order', async () => {
    const settings = fastSettings('rel04', tempDir('rel'));
    const [sensor] = settings.sensors as Array<Record<string, unknown>>;
    sensor!.layout = 'per-sample';
    sensor!.measurements = { pressure: { qos: 1 }, temperature: {}, altitude: { enabled: false } };
    const config = loadConfig({ text: JSON.stringify(settings), env: {}, args: { broker: broker.url } });
    const subscriber = new Subscriber(broker.port, 'rel-sub-4', 'sensors/rel04/altimeter');
    await subscriber.subscribed;
    const first = await inProcess(config);
    await first.pump.until('the first samples delivered', () => subscriber.highest >= 5);
    await broker.pause();
    const before = subscriber.highest;
    await first.pump.run(1000);
    const queued = first.agent.delivery!.backlog;
    const samples = first.agent.samples[0]!.stats.samples;
    // One message (one record) per sample: the backlog is counted in samples, not readings.
    assert.ok(queued >= 20 && queued <= samples - before + 1, `queued during the outage: ${queued} of ${samples} samples, ${before} delivered`);
    assertLedger(first.agent);
    const second = await inProcess(config);
    try {
      assert.ok(second.lines.some((l) => /backlog from before the restart will be sent first/.test(l)), second.lines.join('\n'));
      await broker.resume();
      await second.pump.until(`the backlog and 20 more delivered (from ${before})`, () => subscriber.highest >= before + queued + 20);
      assertCompleteAndOrdered(subscriber.seqs);
      for (const payload of subscriber.payloads) assert.deepEqual(Object.keys(JSON.parse(payload) as object), ['ts', 'seq', 'temperature', 'pressure'], payload);
    } finally {
      await second.pump.settle('the agent stopped', second.agent.stop());
      subscriber.stop();
    }
  });

  it('drops the oldest readings when the queue is full, keeps running, and says so on the health topic', async () => {
    const { agent, pump, lines } = await inProcess(loadedConfig('rel03', tempDir('rel'), broker.url, { maxBytes: 16384, segmentBytes: 2048 }));
    try {
      await pump.settle('connected', agent.connected());
      await broker.pause();
      await pump.until('the queue is full', () => lines.some((l) => /queue full: dropping the oldest readings/.test(l)));
      const taken = agent.samples[0]!.stats.samples;
      await pump.run(1000);
      assert.ok(agent.samples[0]!.stats.samples >= taken + 20, 'sampling goes on with the queue full');
      assertLedger(agent);
      await broker.resume();
      await pump.until('the queue drained', () => lines.some((l) => /queue drained/.test(l)));
      // The first report after reconnecting may be taken mid-replay; a later one has the backlog
      // sent. Reports fall on a sampling tick (every 1 s, ticks every 50 ms): that tick's reading
      // may still await its PUBACK.
      let health: HealthReport | undefined;
      void waitForHealth(broker.port, 'sensors/rel03/health', (h) => h.connected && h.readings.buffered <= 1).then((h) => (health = h));
      await pump.until('a health report with the backlog sent', () => health !== undefined);
      assert.ok(health!.readings.dropped.queueFull > 0, JSON.stringify(health));
      assert.ok(health!.readings.acknowledged > 0);
      assertLedger(agent);
    } finally {
      await pump.settle('the agent stopped', agent.stop());
    }
  });
});

describe('the field report: kill -9 of the broker with QoS 1 publishes in flight', () => {
  it('readings keep arriving after every outage, the queue is consumed, health keeps reporting, SIGTERM holds its deadline', async () => {
    const broker = await startMosquitto();
    const queueDir = tempDir('rel');
    // One BMP280 at 50 ms with three JSON QoS 1 measurements, reconnectPeriodMs 100 (issue #13).
    const config = writeTempConfig({
      board: 'raspberry-pi', role: 'publisher', deviceId: 'rel05', i2c: { simulated: true },
      mqtt: { keepaliveS: 2, reconnectPeriodMs: 100, reconnectMaxMs: 400 },
      queue: { dir: queueDir, syncIntervalMs: 200 },
      health: { intervalS: 1 },
      sensors: [{
        name: 'altimeter', driver: 'bmp280', address: '0x76', intervalMs: 50,
        measurements: { pressure: { format: 'json', qos: 1 }, temperature: { format: 'json', qos: 1 }, altitude: { format: 'json', qos: 1 } },
        simulation: { scenario: 'static' },
      }],
    });
    const agent = startAgent(['run', '--config', config, '--broker', broker.url]);
    try {
      await agent.waitFor(/connected/);
      await sleep(2000);
      for (let outage = 0; outage < 3; outage++) {
        await broker.kill();
        await sleep(1500);
        await broker.resume();
        await sleep(150);
        await broker.kill(); // again, 0.15 s after the restart: while reconnecting and resending
        await sleep(300);
        await broker.resume();
        // Health comes back and says the backlog went out: the read position caught up.
        const health = await waitForHealth(broker.port, 'sensors/rel05/health', (h) => h.connected && h.readings.buffered <= 100 + 3);
        assert.ok(health.readings.acknowledged + health.readings.buffered >= health.readings.taken - 3, `outage ${outage}: ${JSON.stringify(health.readings)}`);
        // New readings arrive.
        const [fresh] = await watch({ port: broker.port, topics: ['sensors/rel05/pressure'], count: 1, timeoutS: 5 });
        assert.ok(fresh, `outage ${outage}: readings flow again`);
      }
      const stopping = Date.now();
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0);
      assert.ok(Date.now() - stopping < 6000, `stopped in ${Date.now() - stopping} ms`);
      // What was delivered was consumed: a restart has no backlog from before to replay.
      const again = startAgent(['run', '--config', config, '--broker', broker.url]);
      try {
        await again.waitFor(/connected/);
        assert.doesNotMatch(again.output(), /backlog from before the restart/, again.output());
      } finally {
        again.child.kill('SIGTERM');
        await again.exited;
      }
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      await broker.stop();
    }
  });
});

describe('sequence numbers after a crash', () => {
  it('QoS 0 readings (sent without touching the disk) never reuse a number after a SIGKILL, or two in a row', async () => {
    const broker = await startMosquitto();
    const queueDir = tempDir('rel');
    const config = writeTempConfig({
      board: 'raspberry-pi', role: 'publisher', deviceId: 'rel04', i2c: { simulated: true },
      queue: { dir: queueDir, syncIntervalMs: 200 },
      sensors: [{
        name: 'altimeter', driver: 'bmp280', address: '0x76', intervalMs: 50,
        settings: { oversampling: { temperature: 'x1', pressure: 'x4' } },
        measurements: { pressure: { format: 'json', qos: 0 }, altitude: { enabled: false }, temperature: { enabled: false } },
        simulation: { scenario: 'static' },
      }],
    });
    const subscriber = new Subscriber(broker.port, 'rel-sub-4', 'sensors/rel04/pressure');
    await sleep(300);
    let agent = startAgent(['run', '--config', config, '--broker', broker.url]);
    try {
      await subscriber.waitForHighest(10);
      agent.child.kill('SIGKILL');
      await agent.exited;
      const before = subscriber.highest;
      const seen = subscriber.seqs.length;
      agent = startAgent(['run', '--config', config, '--broker', broker.url]);
      await agent.waitFor(/did not stop cleanly last time; sequence numbers skip ahead/);
      await subscriber.waitForCount(seen + 10);
      assert.deepEqual(subscriber.reusedSince(seen, before), [], `no number up to ${before} used again for a new reading`);
      // And again, seconds after the restart (a crash loop): the second run's numbers are not
      // used a third time either, though its numbering was never recorded at a sync.
      agent.child.kill('SIGKILL');
      await agent.exited;
      const second = subscriber.highest;
      const seen2 = subscriber.seqs.length;
      agent = startAgent(['run', '--config', config, '--broker', broker.url]);
      await subscriber.waitForCount(seen2 + 10);
      assert.deepEqual(subscriber.reusedSince(seen2, second), [], `no number up to ${second} used again after the second restart`);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
      subscriber.stop();
      await broker.stop();
    }
  });
});

describe('output states after a broker restart (the agent on a manual clock)', () => {
  it('a subscriber publishes its outputs\' states again when it reconnects to a broker that forgot them', async () => {
    const broker = await startMosquitto(); // no persistence: a restart loses every retained message
    const clock = new ManualClock(0, Date.now());
    const pump = new TimePump(clock);
    const logger = memoryLogger('info');
    const config = loadConfig({
      text: JSON.stringify({
        board: 'beaglebone-black', role: 'subscriber', deviceId: 'rel-bbb', gpio: { simulated: true },
        mqtt: { url: broker.url, reconnectPeriodMs: 100, reconnectMaxMs: 400 },
        outputs: [{ name: 'led', pin: 'P8_13' }],
        rules: [{ name: 'r', topic: 'sensors/x/altitude', actions: [{ type: 'log', message: '{value}' }] }],
      }),
      env: {},
    });
    const agent = new Agent({ config, logger, clock, gpio: new SimulatedGpio({ clock }) });
    try {
      await pump.settle('the agent started', agent.start());
      await pump.until('subscribed', () => logger.lines.some((l) => /subscribed topic=devices\/rel-bbb\/outputs\/led\/set/.test(l)));
      const pub = spawnSync(findBinary('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-t', 'devices/rel-bbb/outputs/led/set', '-m', 'ON']);
      assert.equal(pub.status, 0);
      await pump.until('the output set', () => logger.lines.some((l) => /output led ON/.test(l)));
      await broker.restart();
      await pump.until('connected again', () => logger.lines.filter((l) => /\[mqtt\] connected/.test(l)).length >= 2);
      let state: { payload: string; retained: boolean } | undefined;
      void watch({ port: broker.port, topics: ['devices/rel-bbb/outputs/led/state'], count: 1, timeoutS: 5 }).then(([m]) => (state = m));
      await pump.until('the retained state', () => state !== undefined);
      assert.deepEqual([state!.payload, state!.retained], ['ON', true]);
    } finally {
      await pump.settle('the agent stopped', agent.stop());
      await broker.stop();
    }
  });
});

async function waitForHealth(port: number, topic: string, accept: (h: HealthReport) => boolean): Promise<HealthReport> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    const [message] = await watch({ port, topics: [topic], count: 1, timeoutS: 2 }).catch(() => []);
    last = message?.payload ?? '';
    if (message?.retained && accept(JSON.parse(message.payload) as HealthReport)) return JSON.parse(message.payload) as HealthReport;
    await sleep(200);
  }
  throw new Error(`no health report on ${topic} passed the check; last: ${last}`);
}
