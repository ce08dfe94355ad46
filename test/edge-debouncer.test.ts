import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../drivers/clock.js';
import type { Edge } from '../drivers/gpio/gpio.js';
import { EdgeDebouncer } from '../drivers/gpio/edge-debouncer.js';

/** A line whose level the test sets; every change raises an interrupt, as a sysfs edge "both" would. */
function line(edge: Edge, debounceMs: number, initial = false) {
  const clock = new ManualClock();
  let level = initial;
  const seen: Array<[number, boolean]> = [];
  const debouncer = new EdgeDebouncer({ clock, debounceMs, edge, initial, readLevel: () => level, emit: (a) => seen.push([clock.now(), a]) });
  return {
    clock,
    seen,
    debouncer,
    set(next: boolean) {
      level = next;
      debouncer.notify(next);
    },
  };
}

describe('EdgeDebouncer', () => {
  it('without debounce, reports each change at once, and an interrupt without a change not at all', () => {
    const l = line('both', 0);
    l.set(true);
    l.debouncer.notify(true);
    l.set(false);
    assert.deepEqual(l.seen, [[0, true], [0, false]]);
  });

  it('reports after the line has been quiet for debounceMs, counted from the last bounce', async () => {
    const l = line('both', 20);
    l.set(true);
    await l.clock.advance(5);
    l.set(false);
    await l.clock.advance(5);
    l.set(true);
    await l.clock.advance(19);
    assert.deepEqual(l.seen, []);
    await l.clock.advance(1);
    assert.deepEqual(l.seen, [[30, true]]);
  });

  it('reads the level after the quiet period, not the level the first interrupt saw', async () => {
    const l = line('both', 10);
    l.set(true);
    await l.clock.advance(4);
    l.set(false); // bounced back: the settled level equals the stable one
    await l.clock.advance(10);
    assert.deepEqual(l.seen, []);
  });

  it('edge rising / falling filter the settled changes, and the stable level still follows both', async () => {
    const rising = line('rising', 0);
    rising.set(true);
    rising.set(false);
    rising.set(true);
    assert.deepEqual(rising.seen.map(([, a]) => a), [true, true]);
    const falling = line('falling', 0, true);
    falling.set(false);
    falling.set(true);
    assert.deepEqual(falling.seen.map(([, a]) => a), [false]);
  });

  it('stop() cancels a pending quiet period and ignores later interrupts', async () => {
    const l = line('both', 10);
    l.set(true);
    l.debouncer.stop();
    await l.clock.advance(20);
    l.set(false);
    await l.clock.advance(20);
    assert.deepEqual(l.seen, []);
    assert.equal(l.clock.pending, 0);
  });

  it('a failing read is reported to onError and changes nothing', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const seen: boolean[] = [];
    const d = new EdgeDebouncer({ clock, debounceMs: 5, edge: 'both', initial: false, readLevel: () => { throw new Error('EIO'); }, emit: (a) => seen.push(a), onError: (e) => errors.push(e) });
    d.notify();
    await clock.advance(5);
    assert.deepEqual(seen, []);
    assert.equal(errors.length, 1);
  });
});
