/**
 * `edge-agent run` end to end: a real Mosquitto started here, the agent as its own process on the
 * simulated altimeter, and mosquitto_sub as an independent client checking topics, payloads, QoS,
 * retained flags and the availability protocol.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAgent, writeTempConfig } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { waitForRetained, watch } from './helpers/mqtt-watch.js';
import { tempDir } from './helpers/temp-dir.js';

const HUNDRED_FEET_M = 30.48;

function droneConfig(deviceId: string): unknown {
  return {
    queue: { dir: tempDir(`queue-${deviceId}`) },
    board: 'raspberry-pi',
    role: 'publisher',
    deviceId,
    i2c: { simulated: true },
    mqtt: { url: 'mqtt://127.0.0.1:1', keepaliveS: 5 },
    sensors: [
      {
        name: 'altimeter',
        driver: 'bmp280',
        address: '0x76',
        intervalMs: 100,
        measurements: {
          altitude: { unit: 'ft', format: 'plain', qos: 1 },
          pressure: { unit: 'hPa', format: 'json', qos: 1, retain: true },
          temperature: { unit: '°C', format: 'plain', qos: 0 },
        },
        simulation: { chip: 'bmp280', scenario: 'static', groundAltitudeM: HUNDRED_FEET_M, temperatureC: 21.5 },
      },
    ],
  };
}

describe('edge-agent run against Mosquitto', () => {
  const mosquitto = useMosquitto();

  it('publishes the classic readings with the configured formats, QoS and retain flags', async () => {
    const live = watch({ port: mosquitto.broker.port, topics: ['sensors/drone01/altitude', 'sensors/drone01/pressure', 'sensors/drone01/temperature'], count: 9 });
    await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe first
    const agent = startAgent(['run', '--config', writeTempConfig(droneConfig('drone01')), '--broker', mosquitto.broker.url]);
    try {
      const messages = await live;
      const altitude = messages.filter((m) => m.topic === 'sensors/drone01/altitude');
      const pressure = messages.filter((m) => m.topic === 'sensors/drone01/pressure');
      const temperature = messages.filter((m) => m.topic === 'sensors/drone01/temperature');
      assert.ok(altitude.length >= 2 && pressure.length >= 2 && temperature.length >= 2, JSON.stringify(messages));

      for (const m of altitude) {
        assert.equal(m.payload, '100', 'plain payload: 100 ft');
        assert.equal(m.qos, 1);
      }
      for (const m of temperature) {
        assert.equal(Number(m.payload), 21.5);
        assert.equal(m.qos, 0);
      }
      const seqs = pressure.map((m) => {
        const body = JSON.parse(m.payload) as { value: number; unit: string; ts: string; seq: number };
        assert.equal(body.unit, 'hPa');
        assert.ok(Math.abs(body.value - 1009.59) < 0.05, `pressure at 100 ft ≈ 1009.59 hPa (ISA), got ${body.value}`);
        assert.match(body.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(m.qos, 1);
        return body.seq;
      });
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'sequence numbers count up by one');

      const [retained] = await watch({ port: mosquitto.broker.port, topics: ['sensors/drone01/pressure'], count: 1 });
      assert.equal(retained!.retained, true, 'pressure is configured retained');
      const [status] = await watch({ port: mosquitto.broker.port, topics: ['sensors/drone01/status'], count: 1 });
      assert.deepEqual({ payload: status!.payload, retained: status!.retained, qos: status!.qos }, { payload: 'online', retained: true, qos: 1 });
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
  });

  it('leaves a retained offline status when killed (the broker publishes the last will)', async () => {
    const agent = startAgent(['run', '--config', writeTempConfig(droneConfig('drone02')), '--broker', mosquitto.broker.url]);
    await waitForRetained(mosquitto.broker.port, 'sensors/drone02/status', 'online');
    agent.child.kill('SIGKILL');
    await agent.exited;
    assert.equal(await waitForRetained(mosquitto.broker.port, 'sensors/drone02/status', 'offline'), 'offline');
  });

  it('says offline itself and exits 0 on SIGTERM', async () => {
    const agent = startAgent(['run', '--config', writeTempConfig(droneConfig('drone03')), '--broker', mosquitto.broker.url]);
    await waitForRetained(mosquitto.broker.port, 'sensors/drone03/status', 'online');
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0);
    assert.match(agent.output(), /stopped/);
    assert.equal(await waitForRetained(mosquitto.broker.port, 'sensors/drone03/status', 'offline'), 'offline');
  });

  it('a subscriber board logs what the publisher sends', async () => {
    const subscriber = startAgent([
      'run',
      '--config',
      writeTempConfig({ board: 'beaglebone-black', role: 'subscriber', deviceId: 'bbb01', subscriptions: [{ topic: 'sensors/drone04/altitude', qos: 1 }] }),
      '--broker',
      mosquitto.broker.url,
    ]);
    const publisher = startAgent(['run', '--config', writeTempConfig(droneConfig('drone04')), '--broker', mosquitto.broker.url]);
    try {
      await subscriber.waitFor(/received topic=sensors\/drone04\/altitude payload=100/);
    } finally {
      subscriber.child.kill('SIGKILL');
      publisher.child.kill('SIGKILL');
      await Promise.all([subscriber.exited, publisher.exited]);
    }
  });
});
