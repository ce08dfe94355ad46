import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../drivers/clock.js';
import { LogLimiter } from '../agent/log/log-limiter.js';

describe('LogLimiter', () => {
  it('writes one line per cause per interval and carries the held-back count on the next', async () => {
    const clock = new ManualClock();
    const limiter = new LogLimiter(clock, 1000);
    const lines: Array<{ cause: string; suppressed: number }> = [];
    const hit = (cause: string): boolean => limiter.hit(cause, ({ suppressed }) => lines.push({ cause, suppressed }));
    assert.equal(hit('a'), true);
    for (let i = 0; i < 9; i++) assert.equal(hit('a'), false);
    assert.equal(hit('b'), true, 'another cause is not held back by the first');
    await clock.advance(999);
    assert.equal(hit('a'), false);
    await clock.advance(1);
    assert.equal(hit('a'), true);
    assert.deepEqual(lines, [
      { cause: 'a', suppressed: 0 },
      { cause: 'b', suppressed: 0 },
      { cause: 'a', suppressed: 10 },
    ]);
    assert.deepEqual(limiter.pending(), []);
    hit('a');
    assert.deepEqual(limiter.pending(), [{ cause: 'a', suppressed: 1 }]);
  });

  it('remembers a bounded number of causes, however many a peer invents', () => {
    const clock = new ManualClock();
    const limiter = new LogLimiter(clock, 60_000);
    let written = 0;
    for (let i = 0; i < 10_000; i++) limiter.hit(`cause-${i}`, () => written++);
    assert.equal(written, 10_000, 'each new cause is written once');
    // The map holds at most 256 causes: the most recent ones are still held back.
    assert.equal(limiter.hit('cause-9999', () => written++), false);
    assert.equal(limiter.hit('cause-0', () => written++), true, 'the oldest was forgotten');
  });
});
