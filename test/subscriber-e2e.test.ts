/**
 * Subscriber mode end to end: a real Mosquitto started here, a publisher agent on the simulated
 * altimeter and a subscriber agent on the simulated GPIO, each its own process, checked from
 * outside with mosquitto_sub / mosquitto_pub. Altitudes around the threshold are published with
 * mosquitto_pub so that crossing it does not depend on the flight's timing.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { agentsAgainst, stopAgent as stop, writeTempConfig, type AgentProcess } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { mosquittoPub, waitForRetained, watch } from './helpers/mqtt-watch.js';

const FT = 0.3048;

function subscriberConfig(deviceId: string, drone: string, extra: Record<string, unknown> = {}): string {
  const ack = (led: string) => ({ type: 'publish', topic: 'devices/{deviceId}/ack', payload: `{"rule":"{rule}","ft":{value},"led":"${led}"}` });
  return writeTempConfig({
    board: 'beaglebone-black',
    role: 'subscriber',
    deviceId,
    gpio: { simulated: true },
    mqtt: { url: 'mqtt://127.0.0.1:1', keepaliveS: 5 },
    outputs: [{ name: 'led', pin: 'P8_13' }],
    rules: [
      {
        name: 'altitude-led',
        topic: `sensors/${drone}/altitude`,
        condition: { atLeast: 100, hysteresis: 5 },
        actions: [{ type: 'output', output: 'led', state: 'on' }, ack('on')],
        elseActions: [{ type: 'output', output: 'led', state: 'off' }, ack('off')],
      },
    ],
    ...extra,
  });
}

function publisherConfig(deviceId: string, feet: number): string {
  return writeTempConfig({
    board: 'raspberry-pi',
    role: 'publisher',
    deviceId,
    i2c: { simulated: true },
    mqtt: { url: 'mqtt://127.0.0.1:1', keepaliveS: 5 },
    sensors: [
      {
        name: 'altimeter',
        intervalMs: 200,
        measurements: { altitude: { unit: 'ft', format: 'plain', qos: 1 }, pressure: { enabled: false }, temperature: { enabled: false } },
        simulation: { scenario: 'static', groundAltitudeM: feet * FT },
      },
    ],
  });
}

describe('subscriber mode against Mosquitto', () => {
  const mosquitto = useMosquitto();
  const agents = agentsAgainst(() => mosquitto.broker.url);
  const run = agents.run;
  after(() => agents.killAll());

  it('the LED follows the altitude across the threshold with hysteresis; state and acknowledgements say so', async () => {
    const subscriber = run(subscriberConfig('bbb-e2e', 'drone-e2e'));
    await waitForRetained(mosquitto.broker.port, 'devices/bbb-e2e/outputs/led/state', 'OFF');
    await subscriber.waitFor(/subscribed topic=devices\/bbb-e2e\/commands/);
    const states = watch({ port: mosquitto.broker.port, topics: ['devices/bbb-e2e/outputs/led/state'], count: 4, timeoutS: 30 });
    const acks = watch({ port: mosquitto.broker.port, topics: ['devices/bbb-e2e/ack'], count: 3, timeoutS: 30 });
    await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe first

    mosquittoPub(mosquitto.broker.port, 'sensors/drone-e2e/altitude', '90');
    await subscriber.waitFor(/rule altitude-led: condition false .*value=90/);

    // The publisher agent, its own process, flies at 120 ft: the LED goes on.
    const drone = run(publisherConfig('drone-e2e', 120));
    await waitForRetained(mosquitto.broker.port, 'devices/bbb-e2e/outputs/led/state', 'ON');
    assert.equal(await stop(drone), 0);

    // 97 ft is inside the dead band: the LED stays on. The command after it is answered only once
    // 97 has been handled (one connection, handled in order), so "still ON" is not a guess.
    const answers = watch({ port: mosquitto.broker.port, topics: ['devices/bbb-e2e/responses'], count: 1, timeoutS: 30 });
    await new Promise((r) => setTimeout(r, 300));
    mosquittoPub(mosquitto.broker.port, 'sensors/drone-e2e/altitude', '97');
    mosquittoPub(mosquitto.broker.port, 'devices/bbb-e2e/commands', '{"cmd":"get","output":"led","id":"after-97"}');
    const [answer] = await answers;
    assert.deepEqual(JSON.parse(answer!.payload), { id: 'after-97', status: 'ok', output: 'led', state: 'on' });

    mosquittoPub(mosquitto.broker.port, 'sensors/drone-e2e/altitude', '94');
    assert.deepEqual((await states).map((m) => m.payload), ['OFF', 'OFF', 'ON', 'OFF'], 'on at ≥ 100, off only below 95');
    const ackBodies = (await acks).map((m) => JSON.parse(m.payload) as { rule: string; ft: number; led: string });
    assert.deepEqual(ackBodies.map((a) => a.led), ['off', 'on', 'off']);
    assert.equal(ackBodies[1]!.ft, 120);
    assert.equal(ackBodies[2]!.ft, 94);

    // Bad input is logged with its reason and changes nothing.
    mosquittoPub(mosquitto.broker.port, 'sensors/drone-e2e/altitude', 'very high');
    mosquittoPub(mosquitto.broker.port, 'sensors/drone-e2e/altitude', '9'.repeat(5000));
    await subscriber.waitFor(/dropped: .*reason=wrong-type/);
    await subscriber.waitFor(/dropped: payload of 5000 bytes .*reason=too-large/);
    assert.equal(await waitForRetained(mosquitto.broker.port, 'devices/bbb-e2e/outputs/led/state', 'OFF'), 'OFF');
    assert.equal(await stop(subscriber), 0);
  });

  it('commands are answered on the response topic: ok, unknown output, unknown command, invalid JSON', async () => {
    const subscriber = run(subscriberConfig('bbb-cmd', 'drone-cmd'));
    await subscriber.waitFor(/subscribed topic=devices\/bbb-cmd\/commands/);
    const responses = watch({ port: mosquitto.broker.port, topics: ['devices/bbb-cmd/responses'], count: 4, timeoutS: 30 });
    await new Promise((r) => setTimeout(r, 300));
    mosquittoPub(mosquitto.broker.port, 'devices/bbb-cmd/commands', '{"cmd":"set","output":"led","state":"on","id":"42"}');
    mosquittoPub(mosquitto.broker.port, 'devices/bbb-cmd/commands', '{"cmd":"set","output":"lde","state":"on","id":"43"}');
    mosquittoPub(mosquitto.broker.port, 'devices/bbb-cmd/commands', '{"cmd":"dance","id":"44"}');
    mosquittoPub(mosquitto.broker.port, 'devices/bbb-cmd/commands', 'not json');
    const bodies = (await responses).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    assert.deepEqual(bodies[0], { id: '42', status: 'ok', output: 'led', state: 'on' });
    assert.deepEqual(bodies[1], { id: '43', status: 'error', error: "unknown output 'lde'" });
    assert.deepEqual([bodies[2]!.id, bodies[2]!.status], ['44', 'error']);
    assert.match(String(bodies[2]!.error), /unknown command 'dance'/);
    assert.deepEqual([bodies[3]!.id, bodies[3]!.status], [null, 'error']);
    assert.match(String(bodies[3]!.error), /invalid JSON/);
    assert.equal(await waitForRetained(mosquitto.broker.port, 'devices/bbb-cmd/outputs/led/state', 'ON'), 'ON');

    // The set topic takes plain words too.
    mosquittoPub(mosquitto.broker.port, 'devices/bbb-cmd/outputs/led/set', 'TOGGLE');
    assert.equal(await waitForRetained(mosquitto.broker.port, 'devices/bbb-cmd/outputs/led/state', 'OFF'), 'OFF');
    assert.equal(await stop(subscriber), 0);
  });

  it('a shared subscription splits the messages between identical subscribers (MQTT 5)', async () => {
    const config = (id: string): string => writeTempConfig({
      board: 'generic',
      role: 'subscriber',
      deviceId: id,
      gpio: { simulated: true },
      mqtt: { url: 'mqtt://127.0.0.1:1', protocolVersion: 5 },
      rules: [{ name: 'share', topic: '$share/fleet/sensors/drone-share/altitude', actions: [{ type: 'log', message: 'took {value} from {topic}' }] }],
    });
    const fleet = [run(config('fleet-a')), run(config('fleet-b'))];
    for (const agent of fleet) await agent.waitFor(/subscribed topic=\$share\/fleet\/sensors\/drone-share\/altitude qos=1/);
    for (let i = 1; i <= 10; i++) mosquittoPub(mosquitto.broker.port, 'sensors/drone-share/altitude', String(i));
    const taken = (agent: AgentProcess): number[] => [...agent.output().matchAll(/took (\d+) from sensors\/drone-share\/altitude/g)].map((m) => Number(m[1]));
    for (let i = 0; i < 100 && taken(fleet[0]!).length + taken(fleet[1]!).length < 10; i++) await new Promise((r) => setTimeout(r, 100));
    const [a, b] = fleet.map(taken) as [number[], number[]];
    assert.deepEqual([...a, ...b].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each message handled exactly once by the fleet');
    assert.ok(a.length > 0 && b.length > 0, `both subscribers took a share: ${a.join(',')} | ${b.join(',')}`);
    for (const agent of fleet) assert.equal(await stop(agent), 0);
  });

  it('a rule added while the subscriber was stopped is subscribed, although the broker kept the session', async () => {
    const before = run(subscriberConfig('bbb-newrule', 'drone-old'));
    await before.waitFor(/subscribed topic=sensors\/drone-old\/altitude/);
    assert.equal(await stop(before), 0);
    const after = run(subscriberConfig('bbb-newrule', 'drone-new'));
    await after.waitFor(/sessionPresent=true/);
    await after.waitFor(/subscribed topic=sensors\/drone-new\/altitude qos=1/);
    mosquittoPub(mosquitto.broker.port, 'sensors/drone-new/altitude', '111');
    assert.equal(await waitForRetained(mosquitto.broker.port, 'devices/bbb-newrule/outputs/led/state', 'ON'), 'ON');
    assert.equal(await stop(after), 0);
  });

  for (const protocolVersion of [4, 5] as const) {
    it(`messages published while the subscriber is stopped arrive after it restarts (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
      const id = `bbb-away${protocolVersion}`;
      const drone = `drone-away${protocolVersion}`;
      const config = subscriberConfig(id, drone, { mqtt: { url: 'mqtt://127.0.0.1:1', keepaliveS: 5, protocolVersion } });
      const first = run(config);
      await first.waitFor(new RegExp(`subscribed topic=sensors/${drone}/altitude qos=1`));
      await first.waitFor(/sessionPresent=false/);
      mosquittoPub(mosquitto.broker.port, `sensors/${drone}/altitude`, '10');
      await first.waitFor(/condition false/);
      assert.equal(await stop(first), 0);
      assert.equal(await waitForRetained(mosquitto.broker.port, `devices/${id}/outputs/led/state`, 'OFF'), 'OFF', 'safe state on shutdown');

      mosquittoPub(mosquitto.broker.port, `sensors/${drone}/altitude`, '130'); // nobody is listening now

      const second = run(config);
      await second.waitFor(/sessionPresent=true/);
      await second.waitFor(/rule altitude-led: condition true .*value=130/);
      assert.equal(await waitForRetained(mosquitto.broker.port, `devices/${id}/outputs/led/state`, 'ON'), 'ON');
      assert.equal(await stop(second), 0);
    });
  }
});
