/**
 * The GpioBackend contract (drivers/gpio/gpio.ts), as one suite to run against every backend, as
 * MQTT.js does for its stores and transports: the simulated backend here, and the onoff backend on
 * a fake sysfs tree. A harness gives the suite what only the backend's test can do: set an input's
 * electrical level from outside, read an output's electrical level, and let time pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GpioError, type GpioBackend, type PinName } from '../drivers/gpio/gpio.js';

export interface GpioHarness {
  backend: GpioBackend;
  /** Two pin names that exist on the board of the backend under test. */
  pins: [PinName, PinName];
  /** Electrical level of a claimed pin (true = high). */
  level(pin: PinName): Promise<boolean>;
  /** Set an input's electrical level from outside. */
  drive(pin: PinName, high: boolean): Promise<void>;
  /** Let `ms` of the backend's time pass (a manual clock's advance, or a real wait). */
  pass(ms: number): Promise<void>;
  cleanup?(): Promise<void>;
}

export function gpioBackendContract(name: string, make: () => Promise<GpioHarness>): void {
  describe(`GpioBackend contract: ${name}`, () => {
    const using = async (body: (h: GpioHarness) => Promise<void>): Promise<void> => {
      const h = await make();
      try {
        await body(h);
      } finally {
        await h.backend.close();
        await h.cleanup?.();
      }
    };

    it('an output is claimed at its safe state, active-low inverted', () =>
      using(async (h) => {
        const [a, b] = h.pins;
        await h.backend.output(a, { activeLow: false, initial: false });
        await h.backend.output(b, { activeLow: true, initial: false });
        assert.equal(await h.level(a), false);
        assert.equal(await h.level(b), true, 'off on an active-low pin is high');
      }));

    it('write and read are logical', () =>
      using(async (h) => {
        const pin = await h.backend.output(h.pins[0], { activeLow: true, initial: false });
        await pin.write(true);
        assert.equal(await pin.read(), true);
        assert.equal(await h.level(h.pins[0]), false);
        await pin.write(false);
        assert.equal(await pin.read(), false);
        assert.equal(await h.level(h.pins[0]), true);
      }));

    it('a pin claimed twice is refused with a GpioError naming the pin', () =>
      using(async (h) => {
        await h.backend.output(h.pins[0], { activeLow: false, initial: false });
        await assert.rejects(h.backend.input(h.pins[0], { activeLow: false, edge: 'both', debounceMs: 0 }), (e: unknown) => e instanceof GpioError && e.pin === h.pins[0]);
      }));

    it('close releases every pin: it can be claimed again', () =>
      using(async (h) => {
        await h.backend.output(h.pins[0], { activeLow: false, initial: false });
        await h.backend.close();
        await h.backend.output(h.pins[0], { activeLow: false, initial: true });
        assert.equal(await h.level(h.pins[0]), true);
      }));

    it('an input reports debounced, logical edges of the selected kind until unwatched', () =>
      using(async (h) => {
        const input = await h.backend.input(h.pins[1], { activeLow: true, edge: 'both', debounceMs: 20 });
        assert.equal(await input.read(), true, 'active-low: low reads active');
        const seen: boolean[] = [];
        const stop = input.watch((active) => seen.push(active));
        await h.drive(h.pins[1], true);
        await h.pass(5);
        await h.drive(h.pins[1], false); // a bounce
        await h.pass(5);
        await h.drive(h.pins[1], true);
        await h.pass(40);
        assert.deepEqual(seen, [false], 'one change, after the contact settled');
        stop();
        await h.drive(h.pins[1], false);
        await h.pass(40);
        assert.deepEqual(seen, [false]);
      }));
  });
}
