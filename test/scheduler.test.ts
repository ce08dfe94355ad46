import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, type Clock } from '../drivers/clock.js';
import { learnWakeLateness, Scheduler, type Tick } from '../agent/sampling/scheduler.js';

function recorder(clock: Clock, workMs: (tick: Tick) => number) {
  const ticks: Tick[] = [];
  return {
    ticks,
    run: async (tick: Tick) => {
      ticks.push(tick);
      const ms = workMs(tick);
      if (ms > 0) await clock.sleep(ms);
    },
  };
}

/** stop() waits for runs in flight; a manual clock has to move for them to finish. */
async function stopAll(scheduler: Scheduler, clock: ManualClock): Promise<void> {
  let done = false;
  const stopping = scheduler.stop().then(() => {
    done = true;
  });
  for (let i = 0; i < 1000 && !done; i++) await clock.advance(10);
  await stopping;
}

describe('Scheduler', () => {
  it('keeps ticks on start + k × interval even when every run takes time (a chained timer would drift)', async () => {
    const clock = new ManualClock(1000);
    const scheduler = new Scheduler(clock);
    const task = recorder(clock, () => 30);
    scheduler.start({ name: 'altimeter', intervalMs: 100, run: task.run });
    await clock.advance(1000);
    await stopAll(scheduler, clock);
    assert.deepEqual(
      task.ticks.map((t) => t.dueAt),
      Array.from({ length: 11 }, (_, k) => 1000 + k * 100),
    );
    assert.ok(task.ticks.every((t) => t.startedAt === t.dueAt));
  });

  it('does not accumulate late wake-ups: a timer that always wakes 3 ms late never makes ticks later', async () => {
    const manual = new ManualClock(0);
    // A clock whose every sleep oversleeps by 3 ms, as timers on a busy board do.
    const late: Clock = { now: () => manual.now(), wallNow: () => manual.wallNow(), sleep: (ms, signal) => manual.sleep(ms + 3, signal) };
    const scheduler = new Scheduler(late);
    const task = recorder(late, () => 0);
    scheduler.start({ name: 'altimeter', intervalMs: 100, run: task.run });
    await manual.advance(10_000);
    await stopAll(scheduler, manual);
    const lateness = task.ticks.map((t) => t.startedAt - t.dueAt);
    assert.equal(task.ticks.length, 100);
    assert.equal(task.ticks.at(-1)!.dueAt, 9900, 'due times stay on the grid');
    assert.ok(lateness.every((ms) => ms <= 3), 'never later than one oversleep');
    // It learns to aim early, by at most the 1 ms a sample may count for: 2 ms late, steadily.
    assert.deepEqual(new Set(lateness.slice(-50)), new Set([2]));
  });

  it('learns how late timers wake, and a stall moves that by 1/16 ms at most', () => {
    let estimate = 0;
    for (let i = 0; i < 200; i++) estimate = learnWakeLateness(estimate, 0.3);
    assert.ok(Math.abs(estimate - 0.3) < 0.01, `converges on a steady 0.3 ms: ${estimate}`);
    const before = estimate;
    estimate = learnWakeLateness(estimate, 250); // a GC pause or a busy core
    assert.ok(estimate - before <= 1 / 16 + 1e-9, `one stall: ${before} → ${estimate}`);
    for (let i = 0; i < 200; i++) estimate = learnWakeLateness(estimate, -0.2);
    assert.ok(Math.abs(estimate + 0.2) < 0.01, 'and follows a timer that wakes early');
  });

  it('skips and counts the ticks a run overran instead of piling them up', async () => {
    const clock = new ManualClock(0);
    const skips: number[] = [];
    const scheduler = new Scheduler(clock, { onSkip: (_task, skipped) => skips.push(skipped) });
    const task = recorder(clock, (tick) => (tick.index === 2 ? 250 : 10));
    scheduler.start({ name: 'altimeter', intervalMs: 100, run: task.run });
    await clock.advance(800);
    await stopAll(scheduler, clock);
    assert.deepEqual(task.ticks.map((t) => t.index), [0, 1, 2, 5, 6, 7, 8]);
    assert.deepEqual(skips, [2]);
    assert.equal(task.ticks[3]!.startedAt, 500, 'resumes on the grid, not at the end of the overrun');
    assert.equal(scheduler.stats('altimeter')?.skipped, 2);
  });

  it('keeps the next tick when a run ends exactly on it', async () => {
    const clock = new ManualClock(0);
    const scheduler = new Scheduler(clock);
    const task = recorder(clock, () => 100);
    scheduler.start({ name: 's', intervalMs: 100, run: task.run });
    await clock.advance(450);
    await stopAll(scheduler, clock);
    assert.deepEqual(task.ticks.map((t) => t.index), [0, 1, 2, 3, 4]);
    assert.equal(scheduler.stats('s')?.skipped, 0);
  });

  it('runs tasks with their own intervals independently', async () => {
    const clock = new ManualClock(0);
    const scheduler = new Scheduler(clock);
    const fast = recorder(clock, () => 0);
    const slow = recorder(clock, () => 0);
    scheduler.start({ name: 'fast', intervalMs: 50, run: fast.run });
    scheduler.start({ name: 'slow', intervalMs: 200, run: slow.run });
    await clock.advance(1000);
    await stopAll(scheduler, clock);
    assert.equal(fast.ticks.length, 21);
    assert.equal(slow.ticks.length, 6);
  });

  it('counts a failing run and carries on', async () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    const scheduler = new Scheduler(clock, { onError: (_t, e) => errors.push(e) });
    let runs = 0;
    scheduler.start({
      name: 'flaky',
      intervalMs: 100,
      run: async (tick) => {
        runs++;
        if (tick.index % 2 === 0) throw new Error(`EIO on tick ${tick.index}`);
      },
    });
    await clock.advance(500);
    await stopAll(scheduler, clock);
    assert.equal(runs, 6);
    assert.equal(errors.length, 3);
    assert.equal(scheduler.stats('flaky')?.failures, 3);
  });

  it('stop() waits for the run in flight and schedules nothing after it', async () => {
    const clock = new ManualClock(0);
    const scheduler = new Scheduler(clock);
    const task = recorder(clock, () => 50);
    scheduler.start({ name: 's', intervalMs: 100, run: task.run });
    await clock.advance(120); // tick 1 is in its 50 ms run
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await clock.advance(10);
    assert.equal(stopped, false, 'still waiting for the read in flight');
    await clock.advance(40);
    await stopping;
    assert.equal(stopped, true);
    await clock.advance(1000);
    assert.equal(task.ticks.length, 2);
  });

  it('sleeps whole milliseconds, so each tick starts within half a millisecond of its due time', async () => {
    // Node's setTimeout drops a delay's fraction, which started ticks up to 1 ms early.
    const manual = new ManualClock(0);
    const sleeps: number[] = [];
    const recording: Clock = { now: () => manual.now(), wallNow: () => manual.wallNow(), sleep: (ms, signal) => (sleeps.push(ms), manual.sleep(ms, signal)) };
    const scheduler = new Scheduler(recording);
    const task = recorder(manual, (tick) => (tick.index === 4 ? 9.7 : 0.4));
    scheduler.start({ name: 'fast', intervalMs: 2.5, run: task.run });
    await manual.advance(30);
    await stopAll(scheduler, manual);
    const schedulerSleeps = sleeps.filter((ms) => ms !== 0.4 && ms !== 9.7);
    assert.ok(schedulerSleeps.length >= 5);
    assert.ok(schedulerSleeps.every(Number.isInteger), `whole ms: ${schedulerSleeps.join(', ')}`);
    for (const t of task.ticks) assert.ok(Math.abs(t.startedAt - t.dueAt) <= 0.5, `tick ${t.index} due ${t.dueAt} started ${t.startedAt}`);
    assert.deepEqual(task.ticks.map((t) => t.dueAt).slice(0, 4), [0, 2.5, 5, 7.5], 'due times stay exact: rounding never accumulates');
  });

  it('an overlapping task starts every tick on time while a slow run is still going, and is never skipped for it', async () => {
    const clock = new ManualClock(0);
    const skips: number[] = [];
    const scheduler = new Scheduler(clock, { onSkip: (_task, skipped) => skips.push(skipped) });
    const task = recorder(clock, (tick) => (tick.index === 2 ? 250 : 10));
    let running = 0;
    let most = 0;
    scheduler.start({
      name: 'group',
      intervalMs: 100,
      overlapping: true,
      run: async (tick) => {
        most = Math.max(most, ++running);
        try {
          await task.run(tick);
        } finally {
          running--;
        }
      },
    });
    await clock.advance(800);
    assert.deepEqual(task.ticks.map((t) => t.index), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'the ticks a non-overlapping task would skip (3, 4) run on time');
    assert.ok(task.ticks.every((t) => t.startedAt === t.dueAt));
    assert.equal(most, 2, 'tick 3 and 4 ran beside the slow tick 2');
    assert.deepEqual(skips, []);
    await stopAll(scheduler, clock);
    const stats = scheduler.stats('group')!;
    assert.deepEqual([stats.runs, stats.skipped, stats.failures], [9, 0, 0], 'every run counted once, when it finished');
  });

  it('stop() waits for every run of an overlapping task still in flight, and counts their failures', async () => {
    const clock = new ManualClock(0);
    const errors: string[] = [];
    const scheduler = new Scheduler(clock, { onError: (_t, e) => errors.push((e as Error).message) });
    const finished: number[] = [];
    scheduler.start({
      name: 'group',
      intervalMs: 100,
      overlapping: true,
      run: (tick) => {
        if (tick.index === 1) throw new Error('tick 1 threw before returning a promise');
        return (async () => {
          await clock.sleep(tick.index === 0 ? 350 : 20);
          finished.push(tick.index);
          if (tick.index === 0) throw new Error('slow tick 0 failed');
        })();
      },
    });
    await clock.advance(220); // tick 0 still sleeping; ticks 1 and 2 done
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await clock.advance(100);
    assert.equal(stopped, false, 'tick 0 is still in flight');
    await clock.advance(50);
    await stopping;
    assert.deepEqual(finished, [2, 0]);
    assert.deepEqual(errors, ['tick 1 threw before returning a promise', 'slow tick 0 failed']);
    assert.deepEqual(scheduler.stats('group'), { runs: 3, skipped: 0, failures: 2, maxLateMs: 0 });
  });

  it('an overlapping task still skips, and counts, ticks the clock passed while the agent was not running', async () => {
    const manual = new ManualClock(0);
    // One wake-up 330 ms late: a blocked event loop, not a slow run.
    let sleeps = 0;
    const stalling: Clock = { now: () => manual.now(), wallNow: () => manual.wallNow(), sleep: (ms, signal) => manual.sleep(++sleeps === 2 ? ms + 330 : ms, signal) };
    const skips: number[] = [];
    const scheduler = new Scheduler(stalling, { onSkip: (_task, skipped) => skips.push(skipped) });
    const task = recorder(manual, () => 0);
    scheduler.start({ name: 'group', intervalMs: 100, overlapping: true, run: task.run });
    await manual.advance(800);
    await stopAll(scheduler, manual);
    assert.deepEqual(task.ticks.map((t) => t.index), [0, 1, 2, 6, 7, 8]);
    assert.deepEqual(skips, [3]);
    assert.equal(scheduler.stats('group')?.skipped, 3);
  });

  it('rejects a zero interval and a duplicate task name', () => {
    const scheduler = new Scheduler(new ManualClock());
    assert.throws(() => scheduler.start({ name: 'a', intervalMs: 0, run: async () => {} }), /interval must be > 0/);
    scheduler.start({ name: 'a', intervalMs: 10, run: async () => {} });
    assert.throws(() => scheduler.start({ name: 'a', intervalMs: 10, run: async () => {} }), /already scheduled/);
    void scheduler.stop();
  });
});
