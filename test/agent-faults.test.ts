/**
 * One failing sensor never stops the others, nor the agent: `edge-agent run` as its own process
 * on two simulated chips, one that never answers and one whose bus is flaky, against a real
 * Mosquitto, checked with mosquitto_sub. And `edge-agent read` riding out bus faults.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startAgent, writeTempConfig } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';
import { tempDir } from './helpers/temp-dir.js';

function sensor(name: string, address: string, faultRate: number, temperatureC: number): unknown {
  return {
    name,
    address,
    intervalMs: 100,
    measurements: {
      temperature: { unit: '°C', topic: 'sensors/{deviceId}/{sensor}/{measurement}' },
      pressure: { enabled: false },
      humidity: { unit: '%', decimals: 1, topic: 'sensors/{deviceId}/{sensor}/{measurement}' },
      altitude: { enabled: false },
    },
    simulation: { chip: 'bme280', scenario: 'static', temperatureC, humidityPct: 40, faultRate },
  };
}

describe('edge-agent run with a failing sensor', () => {
  const mosquitto = useMosquitto();

  it('keeps publishing the flaky sensor (only good values) while the dead one is retried and logged once', async () => {
    const config = {
      board: 'raspberry-pi',
      deviceId: 'faulty01',
      i2c: { simulated: true },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      sensors: [sensor('dead', '0x76', 1, 30), sensor('flaky', '0x77', 0.2, 21.5)],
    };
    const live = watch({ port: mosquitto.broker.port, topics: ['sensors/faulty01/+/+'], count: 30, timeoutS: 30 });
    await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe first
    const agent = startAgent(['run', '--config', writeTempConfig(config), '--broker', mosquitto.broker.url]);
    try {
      const messages = await live;
      assert.deepEqual(messages.filter((m) => !m.topic.startsWith('sensors/faulty01/flaky/')), [], 'nothing from the dead sensor');
      for (const m of messages) {
        const expected = m.topic.endsWith('/temperature') ? 21.5 : 40;
        assert.equal(Number(m.payload), expected, `${m.topic} ${m.payload}`);
      }
      assert.ok(messages.some((m) => m.topic.endsWith('/humidity')), 'humidity measured (BME280)');
      assert.equal(agent.child.exitCode, null, 'the agent is still running');
      const output = agent.output();
      assert.match(output, /sensor failed to start, will retry.*dead|dead.*sensor failed to start, will retry/);
      const deadWarnings = output.split('\n').filter((l) => /(WARN|ERROR).*sensor=dead.*error=/.test(l));
      assert.equal(deadWarnings.length, 1, `logged once per episode, not every tick:\n${output}`);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
  });
});

describe('edge-agent read on a flaky bus', () => {
  it('retries the failed transactions (they are in the recording) and prints only the true values', () => {
    const base = sensor('baro', '0x76', 0.05, 21.5) as Record<string, unknown>;
    const config = { deviceId: 'cli01', i2c: { simulated: true }, sensors: [{ ...base, faults: { readAttempts: 5 } }] };
    const record = join(tempDir('faults'), 'session.json');
    const result = runCli(['read', '--config', writeTempConfig(config), '--count', '5', '--record', record]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { measurement: string; value: number });
    assert.deepEqual(lines.map((l) => l.measurement).sort(), [...Array(5).fill('humidity'), ...Array(5).fill('temperature')]);
    for (const l of lines) assert.equal(l.value, l.measurement === 'temperature' ? 21.5 : 40);
    const transcript = JSON.parse(readFileSync(record, 'utf8')) as { transactions: Array<{ error?: string }> };
    assert.ok(transcript.transactions.some((t) => t.error === 'EIO'), 'a fault was injected, and ridden out');
  });
});
