/**
 * Role `both` in process: one agent samples its simulated altimeter and reacts to its own
 * readings; the GPIO backend is handed in so the test can look at the pins, before and after stop.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemClock } from '../drivers/clock.js';
import type { GpioBackend } from '../drivers/gpio/gpio.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { Agent } from '../agent/agent.js';
import { loadConfig } from '../agent/config/load-config.js';
import { memoryLogger } from '../agent/log/logger.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { mosquittoPub, waitForRetained, watch } from './helpers/mqtt-watch.js';

let broker: Mosquitto;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

test('a board with role both samples and reacts; on stop its relay is back at the safe state and every pin is released', async () => {
  const config = loadConfig({
    text: JSON.stringify({
      board: 'raspberry-pi',
      role: 'both',
      deviceId: 'pi-both',
      i2c: { simulated: true },
      gpio: { simulated: true },
      mqtt: { url: broker.url },
      sensors: [{ name: 'altimeter', intervalMs: 100, measurements: { altitude: { unit: 'ft', qos: 1 } }, simulation: { scenario: 'static', groundAltitudeM: 150 * 0.3048 } }],
      outputs: [{ name: 'relay', pin: '17', activeLow: true }],
      inputs: [{ name: 'button', pin: '27' }],
      rules: [{ name: 'high', topic: 'sensors/pi-both/altitude', condition: { atLeast: 100, hysteresis: 5 }, actions: [{ type: 'output', output: 'relay', state: 'on' }] }],
    }),
    env: {},
  });
  const gpio = new SimulatedGpio({ clock: systemClock });
  const logger = memoryLogger('info');
  const agent = new Agent({ config, logger, gpio });
  await agent.start();
  try {
    assert.equal(await waitForRetained(broker.port, 'devices/pi-both/outputs/relay/state', 'ON'), 'ON');
    assert.equal(gpio.level('17'), false, 'active-low relay on = pin low');
    assert.deepEqual(gpio.claimed().sort(), ['17', '27']);
  } finally {
    await agent.stop();
  }
  assert.equal(gpio.level('17'), undefined, 'released');
  assert.deepEqual(gpio.claimed(), []);
  assert.equal(gpio.history.filter((c) => c.pin === '17').at(-1)?.high, true, 'the last level driven was the safe one (off = high)');
  assert.equal(await waitForRetained(broker.port, 'devices/pi-both/outputs/relay/state', 'OFF'), 'OFF', 'and the retained state says so');
  const stats = agent.stats() as { messages: { handled: number } };
  assert.ok(stats.messages.handled >= 1);
});

/** Poll until `condition` holds (bounded; not a timing assertion). */
async function until(what: string, condition: () => boolean, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(condition(), `never happened: ${what}`);
}

/** The simulated GPIO, with output writes that can be held (to stop the agent half-way). */
function holdableGpio(): { backend: GpioBackend; hold(): void; held(): boolean; release(): void } {
  const real = new SimulatedGpio({ clock: systemClock });
  let holding = false;
  let waiting = 0;
  let release: () => void = () => undefined;
  let released = Promise.resolve();
  return {
    backend: {
      input: (pin, options) => real.input(pin, options),
      close: () => real.close(),
      output: async (pin, options) => {
        const line = await real.output(pin, options);
        return {
          ...line,
          write: async (active: boolean) => {
            if (holding) {
              waiting++;
              await released;
            }
            return line.write(active);
          },
        };
      },
    },
    hold: () => {
      holding = true;
      released = new Promise((resolve) => (release = resolve));
    },
    held: () => waiting > 0,
    release: () => {
      holding = false;
      release();
    },
  };
}

for (const protocolVersion of [4, 5] as const) {
  test(`a QoS 1 command arriving while the agent stops is not acknowledged and lost: it is handled at the next start (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
    const deviceId = `bbb-stop${protocolVersion}`;
    const config = loadConfig({
      text: JSON.stringify({
        board: 'beaglebone-black',
        role: 'subscriber',
        deviceId,
        gpio: { simulated: true },
        mqtt: { url: broker.url, protocolVersion }, // role subscriber: clean false, a persistent session
        outputs: [{ name: 'led', pin: 'P8_13' }],
      }),
      env: {},
    });
    assert.equal(config.mqtt.clean, false);
    const commands = `devices/${deviceId}/commands`;
    const gpio = holdableGpio();
    const logger = memoryLogger('info');
    const first = new Agent({ config, logger, gpio: gpio.backend });
    await first.start();
    await until('subscribed to the command topic', () => logger.lines.some((l) => l.includes(`subscribed topic=${commands}`)));

    // Stop half-way: the inbox is closed, the safe state is being written, the session still up.
    gpio.hold();
    const stopping = first.stop();
    await until('the stop reached the outputs', gpio.held);
    mosquittoPub(broker.port, commands, '{"cmd":"set","output":"led","state":"on","id":"during-stop"}');
    const stats = (): { deferred: number; received: number } => (first.stats() as { messages: { deferred: number; received: number } }).messages;
    await until('the command reached the stopping agent', () => stats().deferred === 1);
    gpio.release();
    await stopping;
    assert.equal(stats().received, 0, 'not taken by the first agent');
    assert.ok(logger.lines.some((l) => /INFO +\[inbox\] message left unacknowledged for the broker to deliver again: the agent is stopping topic=/.test(l)), logger.lines.join('\n'));

    // Same client id, persistent session: the broker delivers it again, and it is carried out.
    // A marker published after the restart is answered after anything the broker kept for us: the
    // first answer tells, without waiting on a timeout, whether the command came back.
    const answers = watch({ port: broker.port, topics: [`devices/${deviceId}/responses`], count: 1, timeoutS: 15 });
    await new Promise((r) => setTimeout(r, 300)); // mosquitto_sub subscribed
    const second = new Agent({ config, logger: memoryLogger('info'), gpio: new SimulatedGpio({ clock: systemClock }) });
    await second.start();
    try {
      await second.connected();
      mosquittoPub(broker.port, commands, '{"cmd":"list","id":"marker"}');
      const [answer] = await answers;
      assert.deepEqual(JSON.parse(answer!.payload), { id: 'during-stop', status: 'ok', output: 'led', state: 'on' });
      assert.equal(await waitForRetained(broker.port, `devices/${deviceId}/outputs/led/state`, 'ON'), 'ON');
      const messages = (second.stats() as { messages: { received: number; handled: number } }).messages;
      await until('the marker handled too', () => (second.stats() as { messages: { handled: number } }).messages.handled === 2);
      assert.deepEqual([messages.received, messages.handled], [2, 2]);
    } finally {
      await second.stop();
    }
  });
}

test('a message too large to read is dropped as too large, answered by nothing, and the agent goes on', async () => {
  const config = loadConfig({
    text: JSON.stringify({ board: 'beaglebone-black', role: 'subscriber', deviceId: 'bbb-big', gpio: { simulated: true }, mqtt: { url: broker.url }, outputs: [{ name: 'led', pin: 'P8_13' }] }),
    env: {},
  });
  const logger = memoryLogger('info');
  const agent = new Agent({ config, logger, gpio: new SimulatedGpio({ clock: systemClock }) });
  await agent.start();
  try {
    await until('subscribed', () => logger.lines.some((l) => l.includes('subscribed topic=devices/bbb-big/commands')));
    const answers = watch({ port: broker.port, topics: ['devices/bbb-big/responses'], count: 1, timeoutS: 15 });
    await new Promise((r) => setTimeout(r, 300)); // mosquitto_sub subscribed
    // 200 kB: past the session's inbound limit (agent/mqtt/inbound-limit.ts), so never read whole; and
    // 5 kB: read, but over messages.maxBytes (4096)
    mosquittoPub(broker.port, 'devices/bbb-big/commands', `{"cmd":"set","output":"led","state":"on","id":"big","pad":"${'x'.repeat(200_000)}"}`);
    mosquittoPub(broker.port, 'devices/bbb-big/commands', `{"cmd":"set","output":"led","state":"on","id":"big","pad":"${'x'.repeat(5_000)}"}`);
    mosquittoPub(broker.port, 'devices/bbb-big/commands', '{"cmd":"get","output":"led","id":"after"}');
    const [answer] = await answers;
    assert.deepEqual(JSON.parse(answer!.payload), { id: 'after', status: 'ok', output: 'led', state: 'off' }, 'the first answer is for the message after the large ones');
    const messages = (agent.stats() as { messages: { received: number; handled: number; dropped: Record<string, number> } }).messages;
    assert.deepEqual([messages.received, messages.handled, messages.dropped['too-large']], [3, 1, 2]);
  } finally {
    await agent.stop();
  }
});
