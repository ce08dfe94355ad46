/**
 * Drift-free periodic tasks. Tick k of a task is due at `start + k × interval` on the monotonic
 * clock, so lateness never accumulates: a late wake-up shortens the next wait instead of
 * shifting every later tick. A run that overruns its tick does not pile up: the ticks it ran
 * over are skipped and counted, and the task resumes at the next tick still in the future.
 */
import type { Clock } from '../drivers/clock.js';

export interface Tick {
  /** Index of this tick since the task started (skipped ticks consume indices). */
  index: number;
  /** When the tick was due, monotonic ms. */
  dueAt: number;
  /** When it actually started, monotonic ms. */
  startedAt: number;
}

export interface PeriodicTask {
  name: string;
  intervalMs: number;
  run(tick: Tick): Promise<void>;
}

export interface TaskStats {
  runs: number;
  skipped: number;
  failures: number;
  /** Largest lateness of a tick's start, ms. */
  maxLateMs: number;
}

export interface SchedulerHooks {
  onSkip?(task: string, skipped: number, tick: Tick): void;
  onError?(task: string, error: unknown): void;
}

interface Running {
  task: PeriodicTask;
  stats: TaskStats;
  done: Promise<void>;
}

export class Scheduler {
  private readonly running = new Map<string, Running>();
  private readonly abort = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly hooks: SchedulerHooks = {},
  ) {}

  /** Start a task now: its first tick is due immediately. */
  start(task: PeriodicTask): void {
    if (!(task.intervalMs > 0)) throw new RangeError(`task ${task.name}: interval must be > 0 ms, got ${task.intervalMs}`);
    if (this.running.has(task.name)) throw new Error(`task ${task.name} is already scheduled`);
    const stats: TaskStats = { runs: 0, skipped: 0, failures: 0, maxLateMs: 0 };
    const entry: Running = { task, stats, done: Promise.resolve() };
    entry.done = this.loop(task, stats);
    this.running.set(task.name, entry);
  }

  stats(name: string): TaskStats | undefined {
    const entry = this.running.get(name);
    return entry ? { ...entry.stats } : undefined;
  }

  /** Stop scheduling; resolves when every run in flight has finished. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('scheduler stopped'));
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private async loop(task: PeriodicTask, stats: TaskStats): Promise<void> {
    const signal = this.abort.signal;
    const interval = task.intervalMs;
    const start = this.clock.now();
    let index = 0;
    let wakeLateMs = 0;
    while (!signal.aborted) {
      const dueAt = start + index * interval;
      // Aim a timer at the due time less how late timers have been waking up (the kernel's wake-up
      // and Node's timer dispatch: a steady fraction of a millisecond here, more on a slower
      // board), and in whole milliseconds: Node's timers drop a delay's fraction, which started
      // ticks up to 1 ms early. Together a tick starts within about half a millisecond of its
      // due time, either way (README "Performance", jitter). Due times stay on the grid.
      const wait = Math.round(dueAt - this.clock.now() - wakeLateMs);
      if (wait > 0) {
        try {
          await this.clock.sleep(wait, signal);
        } catch {
          return; // aborted while waiting: nothing in flight
        }
      }
      const startedAt = this.clock.now();
      if (wait > 0) wakeLateMs = learnWakeLateness(wakeLateMs, startedAt - dueAt);
      stats.maxLateMs = Math.max(stats.maxLateMs, startedAt - dueAt);
      const tick: Tick = { index, dueAt, startedAt };
      try {
        await task.run(tick);
      } catch (error) {
        stats.failures++;
        this.hooks.onError?.(task.name, error);
      }
      stats.runs++;
      // The first tick not yet past: a run that finished exactly on the next tick keeps it.
      const elapsedTicks = Math.ceil((this.clock.now() - start) / interval);
      const next = Math.max(index + 1, elapsedTicks);
      const skipped = next - index - 1;
      if (skipped > 0) {
        stats.skipped += skipped;
        this.hooks.onSkip?.(task.name, skipped, tick);
      }
      index = next;
    }
  }
}

/**
 * A running average of how late a timer wakes, from each tick that slept. A sample counts for at
 * most a millisecond either way, so the estimate stays within ±1 ms and one stall (a GC pause, a
 * busy core) moves it by 1/16 ms at most: ticks never start more than that millisecond early on
 * its account, on top of however early the timer itself fires.
 */
export function learnWakeLateness(estimateMs: number, lateMs: number): number {
  const sample = Math.min(1, Math.max(-1, lateMs));
  return estimateMs + (sample - estimateMs) / 16;
}
