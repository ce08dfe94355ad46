/**
 * Role `both` in process: one agent samples its simulated altimeter and reacts to its own
 * readings; the GPIO backend is handed in so the test can look at the pins, before and after stop.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemClock } from '../drivers/clock.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { Agent } from '../agent/agent.js';
import { loadConfig } from '../agent/config/load-config.js';
import { memoryLogger } from '../agent/logger.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { waitForRetained } from './helpers/mqtt-watch.js';

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
  const stats = agent.subscriberMode?.stats() as { messages: { handled: number } };
  assert.ok(stats.messages.handled >= 1);
});
