/**
 * The real Scheduler on the system clock at 100 Hz. Jitter: |actual − scheduled| start of each
 * tick. Drift: whether lateness grows over the run; ticks are due at start + n × interval, so the
 * median lateness of the last 100 ticks should equal that of the first 100 (a loop that sleeps
 * `interval` after each run would drift by its own cost on every tick instead).
 */
import { systemClock } from '../drivers/clock.js';
import { Scheduler } from '../agent/sampling/scheduler.js';
import { distribution, median, type Distribution } from './stats.js';

export interface TimingResult {
  ticks: number;
  intervalMs: number;
  lateness: Distribution;
  /** Median lateness of the last 100 ticks minus that of the first 100, ms. */
  driftMs: number;
  /** Time the last tick was due minus start + index × interval: 0 by construction if drift-free. */
  scheduleErrorMs: number;
  skipped: number;
}

export async function measureTiming(ticks: number, intervalMs: number): Promise<TimingResult> {
  const scheduler = new Scheduler(systemClock);
  const late: number[] = [];
  let first = 0;
  let scheduleErrorMs = 0;
  await new Promise<void>((resolve) => {
    scheduler.start({
      name: 'timing',
      intervalMs,
      run: async (tick) => {
        if (tick.index === 0) first = tick.dueAt;
        // Both ways: a timer can fire a fraction of a millisecond early (libuv counts whole ms).
        late.push(Math.abs(tick.startedAt - tick.dueAt));
        if (late.length === ticks) {
          scheduleErrorMs = tick.dueAt - (first + tick.index * intervalMs);
          resolve();
        }
      },
    });
  });
  const skipped = scheduler.stats('timing')?.skipped ?? 0;
  await scheduler.stop();
  return {
    ticks,
    intervalMs,
    lateness: distribution(late),
    driftMs: median(late.slice(-100)) - median(late.slice(0, 100)),
    scheduleErrorMs,
    skipped,
  };
}
