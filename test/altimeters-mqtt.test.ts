/**
 * The four newer chips end to end: `edge-agent run` on simulated hardware publishes each chip's
 * altitude to a real Mosquitto started here, checked by mosquitto_sub. Nothing above the driver
 * knows which chip it is: the same topic template and units serve all of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAgent, writeTempConfig } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';

const HUNDRED_FEET_M = 30.48;

/** One board; the chips share one simulated bus, so they sit at different addresses. */
function boardConfig(deviceId: string, sensors: Array<{ name: string; driver: string; address: string }>): unknown {
  return {
    role: 'publisher',
    deviceId,
    i2c: { simulated: true },
    sensors: sensors.map((s) => ({
      ...s,
      intervalMs: 600, // an MPL3115A2 at x128 needs 512 ms per reading (the config says so)
      measurements: {
        altitude: { unit: 'ft', topic: 'sensors/{deviceId}/{sensor}/{measurement}', qos: 1 },
        pressure: { enabled: false },
        temperature: { enabled: false },
      },
      simulation: { scenario: 'static', groundAltitudeM: HUNDRED_FEET_M },
    })),
  };
}

describe('BMP388, MS5611, BMP180 and MPL3115A2 publish through Mosquitto', () => {
  const mosquitto = useMosquitto();

  it('each chip\'s altitude arrives as 100 ft on its own topic', async () => {
    const boards = [
      boardConfig('board1', [
        { name: 'ms5611', driver: 'ms5611', address: '0x76' },
        { name: 'bmp180', driver: 'bmp180', address: '0x77' },
        { name: 'mpl3115a2', driver: 'mpl3115a2', address: '0x60' },
      ]),
      boardConfig('board2', [{ name: 'bmp388', driver: 'bmp388', address: '0x77' }]),
    ];
    const topics = ['board1/ms5611', 'board1/bmp180', 'board1/mpl3115a2', 'board2/bmp388'].map((t) => `sensors/${t}/altitude`);
    // One independent subscriber per topic, so a fast board cannot fill another board's quota.
    const live = Promise.all(topics.map((topic) => watch({ port: mosquitto.broker.port, topics: [topic], count: 2, timeoutS: 30 })));
    await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe first
    const agents = boards.map((config) => startAgent(['run', '--config', writeTempConfig(config), '--broker', mosquitto.broker.url]));
    try {
      const perTopic = await live;
      topics.forEach((topic, i) => {
        const messages = perTopic[i]!;
        assert.equal(messages.length, 2);
        for (const m of messages) assert.deepEqual([m.topic, m.payload, m.qos], [topic, '100', 1], `${topic}: 100 ft at QoS 1`);
      });
    } finally {
      for (const agent of agents) agent.child.kill('SIGKILL');
      await Promise.all(agents.map((a) => a.exited));
    }
  });
});
