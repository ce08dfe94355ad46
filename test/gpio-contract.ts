/**
 * The GpioBackend contract, as one suite run against every backend (MQTT.js-style contract tests,
 * like i2c-bus-contract.ts): the onoff backend on a fake sysfs tree here, the simulated backend at
 * merge time. What a test needs to do from outside the interface (drive an input's electrical level,
 * measure an output's, see which pins the OS still holds) comes from the harness, not GpioBackend.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ManualClock } from '../drivers/clock.js';
import { GpioError, type GpioBackend, type PinName } from '../drivers/gpio/gpio.js';

export interface GpioHarness {
  /** Built on `clock`, so debounce timing is driven by the test. */
  backend: GpioBackend;
  clock: ManualClock;
  /** Drive an input's electrical level (true = high) and let any resulting interrupt be delivered. */
  setInputLevel(pin: PinName, high: boolean): Promise<void>;
  /** The electrical level of an output (true = high), as a meter on the pin would read it. */
  outputLevel(pin: PinName): Promise<boolean>;
  /** Pins the OS still has claimed (exported), by name. */
  heldPins(): Promise<PinName[]>;
  /** Three distinct usable pins and a name the board does not have. */
  pins: { a: PinName; b: PinName; c: PinName; unknown: PinName };
  dispose?(): Promise<void>;
}

const OUT = { activeLow: false, initial: false };
const IN = { activeLow: false, edge: 'both' as const, debounceMs: 0 };

export function gpioBackendContract(name: string, open: () => Promise<GpioHarness>): void {
  describe(`GpioBackend contract: ${name}`, () => {
    let h: GpioHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.backend.close().catch(() => undefined);
      await h.dispose?.();
    });

    it('an output starts at its safe state: active-high off = low, active-high on = high', async () => {
      const off = await h.backend.output(h.pins.a, { activeLow: false, initial: false });
      const on = await h.backend.output(h.pins.b, { activeLow: false, initial: true });
      assert.equal(await h.outputLevel(h.pins.a), false);
      assert.equal(await h.outputLevel(h.pins.b), true);
      assert.equal(await off.read(), false);
      assert.equal(await on.read(), true);
    });

    it('an active-low output: off is high, write(true) drives it low, read() stays logical', async () => {
      const relay = await h.backend.output(h.pins.a, { activeLow: true, initial: false });
      assert.equal(await h.outputLevel(h.pins.a), true, 'an active-low output that starts off must start high');
      assert.equal(await relay.read(), false);
      await relay.write(true);
      assert.equal(await h.outputLevel(h.pins.a), false);
      assert.equal(await relay.read(), true);
      await relay.write(false);
      assert.equal(await h.outputLevel(h.pins.a), true);
    });

    it('an active-low output declared on at start is low from the start', async () => {
      await h.backend.output(h.pins.a, { activeLow: true, initial: true });
      assert.equal(await h.outputLevel(h.pins.a), false);
    });

    it('write then read round-trips on an active-high output', async () => {
      const led = await h.backend.output(h.pins.a, OUT);
      await led.write(true);
      assert.equal(await h.outputLevel(h.pins.a), true);
      assert.equal(await led.read(), true);
    });

    it('an input reads the electrical level, inverted when active-low', async () => {
      const plain = await h.backend.input(h.pins.a, IN);
      const button = await h.backend.input(h.pins.b, { ...IN, activeLow: true });
      await h.setInputLevel(h.pins.a, true);
      await h.setInputLevel(h.pins.b, true);
      assert.equal(await plain.read(), true);
      assert.equal(await button.read(), false, 'active-low input at high level is inactive');
      await h.setInputLevel(h.pins.b, false);
      assert.equal(await button.read(), true, 'a pressed active-low button (pulled to ground) is active');
    });

    it('watch reports each edge with the new logical level (edge both, no debounce)', async () => {
      const input = await h.backend.input(h.pins.a, IN);
      const seen: boolean[] = [];
      input.watch((active) => seen.push(active));
      await h.setInputLevel(h.pins.a, true);
      await h.setInputLevel(h.pins.a, false);
      await h.setInputLevel(h.pins.a, true);
      assert.deepEqual(seen, [true, false, true]);
    });

    it('edge rising reports only rising edges; edges of an active-low input are logical', async () => {
      const rising = await h.backend.input(h.pins.a, { ...IN, edge: 'rising' });
      const pressed = await h.backend.input(h.pins.b, { activeLow: true, edge: 'rising', debounceMs: 0 });
      await h.setInputLevel(h.pins.b, true); // released, before watching
      const seenRising: boolean[] = [];
      const seenPressed: boolean[] = [];
      rising.watch((a) => seenRising.push(a));
      pressed.watch((a) => seenPressed.push(a));
      await h.setInputLevel(h.pins.a, true);
      await h.setInputLevel(h.pins.a, false);
      await h.setInputLevel(h.pins.b, false); // pressed: falling electrically, rising logically
      await h.setInputLevel(h.pins.b, true);
      assert.deepEqual(seenRising, [true]);
      assert.deepEqual(seenPressed, [true]);
    });

    it('debounce: a bouncing contact is reported once, only after the level was stable for debounceMs', async () => {
      const input = await h.backend.input(h.pins.a, { ...IN, debounceMs: 10 });
      const seen: boolean[] = [];
      input.watch((active) => seen.push(active));
      for (const level of [true, false, true, false, true]) {
        await h.setInputLevel(h.pins.a, level);
        await h.clock.advance(3);
      }
      assert.deepEqual(seen, [], 'nothing before the line has been quiet for 10 ms');
      await h.clock.advance(7);
      assert.deepEqual(seen, [true]);
      await h.clock.advance(50);
      assert.deepEqual(seen, [true], 'one report per settled change');
    });

    it('debounce: a glitch that returns to the old level within debounceMs is not reported', async () => {
      const input = await h.backend.input(h.pins.a, { ...IN, debounceMs: 10 });
      const seen: boolean[] = [];
      input.watch((active) => seen.push(active));
      await h.setInputLevel(h.pins.a, true);
      await h.clock.advance(2);
      await h.setInputLevel(h.pins.a, false);
      await h.clock.advance(20);
      assert.deepEqual(seen, []);
    });

    it('unsubscribing stops the reports; other listeners keep theirs', async () => {
      const input = await h.backend.input(h.pins.a, IN);
      const first: boolean[] = [];
      const second: boolean[] = [];
      const stopFirst = input.watch((a) => first.push(a));
      input.watch((a) => second.push(a));
      await h.setInputLevel(h.pins.a, true);
      stopFirst();
      await h.setInputLevel(h.pins.a, false);
      assert.deepEqual(first, [true]);
      assert.deepEqual(second, [true, false]);
    });

    it('a pin claimed twice (as output or input) is refused with a GpioError naming it', async () => {
      await h.backend.output(h.pins.a, OUT);
      for (const claim of [() => h.backend.output(h.pins.a, OUT), () => h.backend.input(h.pins.a, IN)]) {
        await assert.rejects(claim(), (e: unknown) => {
          assert.ok(e instanceof GpioError, `expected GpioError, got ${String(e)}`);
          assert.equal(e.pin, h.pins.a);
          assert.match(e.message, /already in use/);
          return true;
        });
      }
    });

    it('an unknown pin is refused with a GpioError naming it', async () => {
      await assert.rejects(h.backend.output(h.pins.unknown, OUT), (e: unknown) => {
        assert.ok(e instanceof GpioError);
        assert.equal(e.pin, h.pins.unknown);
        assert.match(e.message, new RegExp(h.pins.unknown));
        return true;
      });
      assert.deepEqual(await h.heldPins(), []);
    });

    it('close releases every claimed pin', async () => {
      const out = await h.backend.output(h.pins.a, OUT);
      await h.backend.output(h.pins.b, { activeLow: true, initial: false });
      await h.backend.input(h.pins.c, IN);
      await out.write(true);
      assert.deepEqual((await h.heldPins()).sort(), [h.pins.a, h.pins.b, h.pins.c].sort());
      await h.backend.close();
      assert.deepEqual(await h.heldPins(), []);
    });
  });
}
