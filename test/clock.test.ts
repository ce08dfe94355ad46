import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { systemClock } from '../drivers/clock.js';

describe('systemClock.sleep', () => {
  it('resolves after its time, with or without a signal', async () => {
    const started = performance.now();
    await systemClock.sleep(5);
    await systemClock.sleep(5, new AbortController().signal);
    assert.ok(performance.now() - started >= 8, 'slept about 10 ms');
  });

  it('rejects every sleep waiting on a signal with its reason when it aborts, and only those', async () => {
    const stop = new AbortController();
    const other = new AbortController();
    const reason = new Error('scheduler stopped');
    const waiting = [systemClock.sleep(60_000, stop.signal), systemClock.sleep(60_000, stop.signal)];
    let otherEnded = false;
    const unaffected = systemClock.sleep(20, other.signal).then(() => (otherEnded = true));
    stop.abort(reason);
    for (const sleep of waiting) await assert.rejects(sleep, (error) => error === reason);
    await unaffected;
    assert.equal(otherEnded, true);
  });

  it('rejects at once on a signal already aborted', async () => {
    const stop = new AbortController();
    stop.abort(new Error('gone'));
    await assert.rejects(systemClock.sleep(60_000, stop.signal), /gone/);
  });

  it('keeps one abort listener on a signal however many sleeps used it (a tick loop sleeps on one signal forever)', async () => {
    const stop = new AbortController();
    for (let i = 0; i < 20; i++) await systemClock.sleep(0, stop.signal);
    assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
    // Sleeps that ended are not cancelled again: aborting now rejects nothing and throws nothing.
    stop.abort(new Error('late'));
  });
});
