/**
 * `edge-agent read` and `edge-agent run` take a sample the same way: one pipeline (the sampler:
 * retries, range check, unit, filters, rounding). `read` once had its own copy without the
 * filters: with an `offset +1000` filter it printed 100 ft while `run` published 1100.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, startAgent, writeTempConfig } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';

/** A static 100 ft, altitude offset by +1000, temperature scaled, pressure published on a change of 1 hPa only. */
function config(deviceId: string): Record<string, unknown> {
  return {
    board: 'raspberry-pi',
    deviceId,
    i2c: { simulated: true },
    sensors: [{
      name: 'altimeter',
      intervalMs: 100,
      measurements: {
        altitude: { unit: 'ft', filters: [{ type: 'offset', value: 1000 }] },
        temperature: { unit: '°C', decimals: 1, filters: [{ type: 'linear', scale: 2, offset: 0 }] },
        pressure: { unit: 'hPa', filters: [{ type: 'delta', min: 1 }] },
      },
      simulation: { scenario: 'static', groundAltitudeM: 30.48, temperatureC: 20 },
    }],
  };
}

interface Line {
  measurement: string;
  value: number;
}

describe('read and run: one sampling pipeline', () => {
  const mosquitto = useMosquitto();

  it('read prints what run publishes: the configured filters, units and rounding', async () => {
    const read = runCli(['read', '--config', writeTempConfig(config('same01')), '--count', '3']);
    assert.equal(read.status, 0, read.stderr);
    const lines = read.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    const values = (measurement: string): number[] => lines.filter((l) => l.measurement === measurement).map((l) => l.value);
    assert.deepEqual(values('altitude'), [1100, 1100, 1100], 'the offset filter applied');
    assert.deepEqual(values('temperature'), [40, 40, 40], 'the linear filter applied');
    assert.equal(values('pressure').length, 1, 'the delta gate holds back an unchanged pressure, as it does in run');

    const published = watch({ port: mosquitto.broker.port, topics: ['sensors/same02/altitude', 'sensors/same02/temperature', 'sensors/same02/pressure'], count: 3, timeoutS: 15 });
    await new Promise((r) => setTimeout(r, 300)); // mosquitto_sub subscribed
    const run = startAgent(['run', '--config', writeTempConfig(config('same02')), '--broker', mosquitto.broker.url]);
    try {
      const messages = await published;
      const payload = (measurement: string): number => Number(messages.find((m) => m.topic.endsWith(`/${measurement}`))!.payload);
      assert.equal(payload('altitude'), values('altitude')[0]);
      assert.equal(payload('temperature'), values('temperature')[0]);
      assert.equal(payload('pressure'), values('pressure')[0]);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
