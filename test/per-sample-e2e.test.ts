/**
 * The per-sample layout end to end: a real Mosquitto started here, a publisher agent (its own
 * process, a simulated BMP280) publishing one JSON object per sample, checked from outside with
 * mosquitto_sub, and a subscriber agent whose rule reads the `altitude` field of those messages
 * and switches a simulated LED. Hostile payloads on the same topic are dropped with their reason
 * and change nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { agentsAgainst, stopAgent as stop, writeTempConfig } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { mosquittoPub, waitForRetained, watch } from './helpers/mqtt-watch.js';
import { tempDir } from './helpers/temp-dir.js';

const FT = 0.3048;
const SAMPLE_TOPIC = 'sensors/ps-drone/altimeter';

function publisherConfig(feet: number): string {
  return writeTempConfig({
    board: 'raspberry-pi',
    role: 'publisher',
    deviceId: 'ps-drone',
    i2c: { simulated: true },
    mqtt: { url: 'mqtt://127.0.0.1:1', keepaliveS: 5 },
    queue: { dir: tempDir('ps-queue') },
    health: { intervalS: 0 },
    sensors: [
      {
        name: 'altimeter',
        intervalMs: 200,
        layout: 'per-sample',
        measurements: { altitude: { unit: 'ft', qos: 1 }, pressure: { unit: 'hPa' }, temperature: {} },
        simulation: { scenario: 'static', groundAltitudeM: feet * FT },
      },
    ],
  });
}

function subscriberConfig(): string {
  return writeTempConfig({
    board: 'beaglebone-black',
    role: 'subscriber',
    deviceId: 'ps-bbb',
    gpio: { simulated: true },
    mqtt: { url: 'mqtt://127.0.0.1:1', keepaliveS: 5 },
    outputs: [{ name: 'led', pin: 'P8_13' }],
    rules: [
      {
        name: 'high',
        topic: SAMPLE_TOPIC,
        condition: { field: 'altitude', atLeast: 100, hysteresis: 5 },
        actions: [{ type: 'output', output: 'led', state: 'on' }],
        elseActions: [{ type: 'output', output: 'led', state: 'off' }],
      },
    ],
  });
}

describe('per-sample layout against Mosquitto', () => {
  const mosquitto = useMosquitto();
  const agents = agentsAgainst(() => mosquitto.broker.url);
  const run = agents.run;
  after(() => agents.killAll());

  it('publishes one message per sample holding every measurement, and a subscriber\'s rule reads its field', async () => {
    const subscriber = run(subscriberConfig());
    await waitForRetained(mosquitto.broker.port, 'devices/ps-bbb/outputs/led/state', 'OFF');
    await subscriber.waitFor(/subscribed topic=devices\/ps-bbb\/commands/);

    // Everything the publisher says under its prefix but its retained status: sample messages only.
    const seen = watch({ port: mosquitto.broker.port, topics: ['sensors/ps-drone/#'], count: 5, timeoutS: 30, extraArgs: ['-T', 'sensors/ps-drone/status'] });
    await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe first
    const drone = run(publisherConfig(120));
    const messages = await seen;
    for (const message of messages) {
      assert.equal(message.topic, SAMPLE_TOPIC, 'no per-measurement topic is published');
      assert.equal(message.qos, 1, 'the highest QoS of the measurements');
      assert.equal(message.retained, false);
      const body = JSON.parse(message.payload) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['ts', 'seq', 'temperature', 'pressure', 'altitude']);
      assert.ok(Number.isInteger(body.ts) && Number.isInteger(body.seq), message.payload);
      assert.ok(Math.abs((body.altitude as number) - 120) <= 1, `altitude ${String(body.altitude)} ft`);
      assert.ok((body.pressure as number) > 900 && (body.pressure as number) < 1100, `pressure ${String(body.pressure)} hPa`);
    }
    const seqs = messages.map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'one message per sample, in order');

    await waitForRetained(mosquitto.broker.port, 'devices/ps-bbb/outputs/led/state', 'ON');
    assert.equal(await stop(drone), 0);

    // Hostile payloads on the sample topic: each dropped with its reason, the LED left as it is.
    // (The drop lines are rate-limited per reason; the counters are exact: the stats command.)
    const hostile: Array<[string, 'wrong-type' | 'malformed' | 'too-large']> = [
      ['{"ts":1,"seq":1,"temperature":20}', 'wrong-type'], // the field missing
      ['{"ts":1,"seq":2,"altitude":"90"}', 'wrong-type'], // text, not a number
      ['{"__proto__":{"altitude":90}}', 'wrong-type'], // only an own field counts
      ['{"constructor":{"altitude":90},"toString":90}', 'wrong-type'],
      ['{"altitude":1e999}', 'wrong-type'], // Infinity once parsed
      ['{"altitude":[90]}', 'wrong-type'],
      ['{"altitude":90', 'malformed'],
      [`{${Array.from({ length: 600 }, (_, i) => `"k${i}":${i}`).join(',')},"altitude":90}`, 'too-large'], // over messages.maxBytes
    ];
    for (const [payload] of hostile) mosquittoPub(mosquitto.broker.port, SAMPLE_TOPIC, payload);
    const answers = watch({ port: mosquitto.broker.port, topics: ['devices/ps-bbb/responses'], count: 1, timeoutS: 30 });
    await new Promise((r) => setTimeout(r, 300));
    // Handled in order after the hostile ones: its answer counts them all.
    mosquittoPub(mosquitto.broker.port, 'devices/ps-bbb/commands', '{"cmd":"stats","id":"after-hostile"}');
    const [answer] = await answers;
    const { dropped } = (JSON.parse(answer!.payload) as { stats: { messages: { dropped: Record<string, number> } } }).stats.messages;
    const expected = { 'wrong-type': 0, malformed: 0, 'too-large': 0 };
    for (const [, reason] of hostile) expected[reason]++;
    assert.deepEqual({ 'wrong-type': dropped['wrong-type'], malformed: dropped.malformed, 'too-large': dropped['too-large'] }, expected, answer!.payload);
    assert.equal(await waitForRetained(mosquitto.broker.port, 'devices/ps-bbb/outputs/led/state', 'ON'), 'ON');
    await subscriber.waitFor(/dropped: rule high: payload has no field 'altitude'.*reason=wrong-type/);

    // A well-formed sample below the band turns it off.
    mosquittoPub(mosquitto.broker.port, SAMPLE_TOPIC, '{"ts":1764028800000,"seq":99,"temperature":20,"altitude":90}');
    await waitForRetained(mosquitto.broker.port, 'devices/ps-bbb/outputs/led/state', 'OFF');
    assert.equal(await stop(subscriber), 0);
  });
});
