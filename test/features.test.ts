/**
 * One contract for the agent's features (features/feature.ts): started in order, stopped in the
 * reverse order within a deadline, and one failing feature, at start or at stop, is logged by its
 * name and never stops the agent or costs another feature its turn.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../drivers/clock.js';
import { GpioError, type GpioBackend } from '../drivers/gpio/gpio.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { Agent } from '../agent/agent.js';
import { loadConfig } from '../agent/config/load-config.js';
import { Features, type Feature } from '../agent/features/feature.js';
import { memoryLogger } from '../agent/log/logger.js';
import { Health, type HealthReport } from '../agent/features/health.js';
import { findBinary, useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';

/** A feature that records what happened to it, and can fail or hang. */
function feature(name: string, log: string[], how: { startFails?: boolean; stopFails?: boolean; stopHangs?: boolean } = {}): Feature {
  return {
    name,
    start: async () => {
      log.push(`start ${name}`);
      if (how.startFails) throw new Error(`${name} cannot start`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
      if (how.stopFails) throw new Error(`${name} cannot stop`);
      if (how.stopHangs) await new Promise(() => undefined);
    },
  };
}

describe('features: one start/stop contract, failures isolated', () => {
  it('start in order, stop in reverse; a failed start is logged by name and the others start; every stop is tried within the deadline', async () => {
    const clock = new ManualClock();
    const logger = memoryLogger();
    const log: string[] = [];
    const features = new Features([feature('gpio', log), feature('outputs', log, { startFails: true }), feature('rules', log, { stopHangs: true }), feature('inbox', log, { stopFails: true })], clock, logger);
    await features.start();
    assert.deepEqual(log, ['start gpio', 'start outputs', 'start rules', 'start inbox']);
    assert.deepEqual([...features.failed], [['outputs', 'outputs cannot start']]);
    assert.equal(features.lastError, 'outputs failed to start: outputs cannot start');
    assert.match(logger.lines.join('\n'), /^ERROR a feature failed to start; the agent carries on without it feature=outputs error="outputs cannot start"$/m);

    const stopped = features.stop(1000);
    for (let i = 0; i < 20 && log.length < 8; i++) await clock.advance(100);
    await stopped;
    assert.deepEqual(log.slice(4), ['stop inbox', 'stop rules', 'stop outputs', 'stop gpio'], 'a failing and a hanging stop cost the others nothing');
    assert.match(logger.lines.join('\n'), /^ERROR a feature failed to stop feature=inbox error="inbox cannot stop"$/m);
    assert.match(logger.lines.join('\n'), /^WARN  stop: a step did not finish in time; going on step=rules ms=\d+$/m);
    assert.ok(clock.now() <= 1000, `within the deadline: ${clock.now()} ms`);
  });

  it('health: a report the broker never acknowledges does not hold the stop', async () => {
    const clock = new ManualClock();
    let published = 0;
    const health = new Health({
      config: { intervalS: 30, topic: 'h' }, deviceId: 'd', clock, startedAt: 0, hooks: {},
      session: { connected: true, reconnects: 0, lastError: '', publish: () => (published++, new Promise<void>(() => undefined)) },
      outbox: () => undefined, sensors: () => [], featureError: () => '',
    });
    await health.start();
    await clock.advance(0);
    assert.equal(published, 1, 'the first report went out, and waits for its PUBACK');
    let stopped = false;
    void health.stop().then(() => (stopped = true));
    await clock.advance(0); // no time passes
    assert.ok(stopped, 'stopped at once, not after the 30 s the report may wait');
  });

  describe('in an agent', () => {
    const mosquitto = useMosquitto();

    it('an output pin that cannot be claimed leaves the agent sampling, its rules and commands running, and says so on health', async () => {
      const deviceId = 'iso01';
      const config = loadConfig({
        text: JSON.stringify({
          board: 'raspberry-pi', role: 'both', deviceId,
          i2c: { simulated: true }, gpio: { simulated: true },
          mqtt: { url: mosquitto.broker.url }, health: { intervalS: 1 },
          sensors: [{ name: 'altimeter', intervalMs: 100, measurements: { altitude: { unit: 'ft' } }, simulation: { scenario: 'static', groundAltitudeM: 30.48 } }],
          outputs: [{ name: 'led', pin: '17' }],
          inputs: [{ name: 'button', pin: '27' }],
          rules: [{ name: 'seen', topic: `sensors/${deviceId}/altitude`, actions: [{ type: 'log', message: 'altitude {value}' }, { type: 'output', output: 'led', state: 'on' }] }],
        }),
        env: {},
      });
      const simulated = new SimulatedGpio({ clock: systemClock });
      const gpio: GpioBackend = {
        input: (pin, options) => simulated.input(pin, options),
        close: () => simulated.close(),
        output: async (pin) => {
          throw new GpioError(`cannot claim pin "${pin}": EROFS: read-only file system — ProtectKernelTunables=yes`, pin, { code: 'EROFS' });
        },
      };
      const logger = memoryLogger('info');
      const agent = new Agent({ config, logger, gpio });
      const answers = watch({ port: mosquitto.broker.port, topics: [`devices/${deviceId}/responses`], count: 2, timeoutS: 15 });
      await new Promise((r) => setTimeout(r, 300)); // mosquitto_sub subscribed
      await agent.start(); // it used to stop itself and throw here
      try {
        await agent.connected();
        assert.match(logger.lines.join('\n'), /ERROR a feature failed to start; the agent carries on without it feature=outputs error=.*EROFS/);
        assert.deepEqual([...agent.failedFeatures.keys()], ['outputs']);
        const [reading] = await watch({ port: mosquitto.broker.port, topics: [`sensors/${deviceId}/altitude`], count: 1, timeoutS: 10 });
        assert.equal(reading!.payload, '100', 'sampling goes on');
        await until('the rule ran', () => logger.lines.some((l) => /\[rule\] altitude 100/.test(l)));
        await until('its output action failed, and was said', () => logger.lines.some((l) => /rule action failed rule=seen action=output/.test(l)));
        for (const command of ['{"cmd":"set","output":"led","state":"on","id":"1"}', '{"cmd":"list","id":"2"}']) {
          const pub = spawnSync(findBinary('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(mosquitto.broker.port), '-q', '1', '-t', `devices/${deviceId}/commands`, '-m', command]);
          assert.equal(pub.status, 0);
        }
        const [set, list] = (await answers).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
        assert.deepEqual(set, { id: '1', status: 'error', error: "could not set output 'led'" });
        assert.deepEqual(list, { id: '2', status: 'ok', outputs: { led: 'off' }, inputs: { button: 'off' } });
        const health = await retainedHealth(mosquitto.broker.port, `sensors/${deviceId}/health`);
        assert.match(health.lastError ?? '', /^outputs failed to start: cannot claim pin "17"/);
        assert.deepEqual(simulated.claimed(), ['27'], 'the input was claimed all the same');
      } finally {
        await agent.stop();
      }
      assert.deepEqual(simulated.claimed(), [], 'and released at stop');
    });
  });
});

/** Poll until `condition` holds (bounded; not a timing assertion). */
async function until(what: string, condition: () => boolean, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(condition(), `never happened: ${what}`);
}

async function retainedHealth(port: number, topic: string): Promise<HealthReport> {
  for (let i = 0; i < 20; i++) {
    const [message] = await watch({ port, topics: [topic], count: 1, timeoutS: 2 }).catch(() => []);
    if (message?.retained) return JSON.parse(message.payload) as HealthReport;
  }
  throw new Error(`no retained health report on ${topic}`);
}
