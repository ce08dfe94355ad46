/** The simulated GPIO backend keeps the seam's promises: claims, active-low, safe state, debounce. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../drivers/clock.js';
import { GpioError } from '../drivers/gpio/gpio.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';

test('an output is at its safe state from the moment it is claimed, never the other level first', async () => {
  const gpio = new SimulatedGpio({ clock: new ManualClock() });
  await gpio.output('P8_13', { activeLow: false, initial: false });
  await gpio.output('P9_12', { activeLow: true, initial: false });
  assert.deepEqual(gpio.history.map((c) => [c.pin, c.high]), [['P8_13', false], ['P9_12', true]], 'active-low off is electrically high');
});

test('writes are logical: active-low inverts the electrical level, read gives back the logical state', async () => {
  const gpio = new SimulatedGpio({ clock: new ManualClock() });
  const relay = await gpio.output('25', { activeLow: true, initial: false });
  await relay.write(true);
  assert.equal(gpio.level('25'), false);
  assert.equal(await relay.read(), true);
  await relay.write(false);
  assert.equal(gpio.level('25'), true);
});

test('a pin is claimed once; an unknown pin is refused; close releases everything', async () => {
  const gpio = new SimulatedGpio({ clock: new ManualClock(), exists: (pin) => pin !== 'P8_99' });
  const led = await gpio.output('P8_13', { activeLow: false, initial: false });
  await assert.rejects(gpio.input('P8_13', { activeLow: false, edge: 'both', debounceMs: 0 }), (e: unknown) => e instanceof GpioError && e.code === 'EBUSY' && /already in use/.test(e.message));
  await assert.rejects(gpio.output('P8_99', { activeLow: false, initial: false }), (e: unknown) => e instanceof GpioError && e.pin === 'P8_99');
  assert.deepEqual(gpio.claimed(), ['P8_13']);
  await gpio.close();
  assert.deepEqual(gpio.claimed(), []);
  await assert.rejects(led.write(true), /released/);
  await gpio.output('P8_13', { activeLow: false, initial: true }); // free again
});

test('inputs are debounced with the injected clock: bounces shorter than debounceMs are not reported', async () => {
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  const button = await gpio.input('17', { activeLow: true, edge: 'both', debounceMs: 20 });
  const seen: boolean[] = [];
  button.watch((active) => seen.push(active));
  assert.equal(await button.read(), true, 'active-low: a low pin reads active');
  gpio.setLevel('17', true); // released (high)
  await clock.advance(5);
  gpio.setLevel('17', false); // bounce back
  await clock.advance(5);
  gpio.setLevel('17', true);
  await clock.advance(19);
  assert.deepEqual(seen, [], 'not stable for 20 ms yet');
  await clock.advance(1);
  assert.deepEqual(seen, [false], 'released, once');
  gpio.setLevel('17', false);
  await clock.advance(20);
  assert.deepEqual(seen, [false, true]);
});

test('edge selects which changes are reported; a level that bounces back to where it was reports nothing', async () => {
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  const button = await gpio.input('22', { activeLow: false, edge: 'rising', debounceMs: 10 });
  const seen: boolean[] = [];
  const stop = button.watch((active) => seen.push(active));
  gpio.setLevel('22', true);
  await clock.advance(3);
  gpio.setLevel('22', false);
  await clock.advance(30);
  assert.deepEqual(seen, []);
  gpio.setLevel('22', true);
  await clock.advance(10);
  gpio.setLevel('22', false);
  await clock.advance(10);
  assert.deepEqual(seen, [true], 'rising only');
  stop();
  gpio.setLevel('22', true);
  await clock.advance(10);
  assert.deepEqual(seen, [true], 'nothing after unwatch');
});
