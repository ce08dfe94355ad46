/**
 * Drift-free periodic tasks. Tick k of a task is due at `start + k × interval` on the monotonic
 * clock, so lateness never accumulates: a late wake-up shortens the next wait instead of
 * shifting every later tick. A run that overruns its tick does not pile up: the ticks it ran
 * over are skipped and counted, and the task resumes at the next tick still in the future.
 * A task that declares `overlapping` is not waited for: each tick starts a run when it is due,
 * whether or not earlier runs have finished, and the task itself decides what a run does while
 * another is still going (a SampleGroup reads only its members that are not still reading).
 */
import type { Clock } from '../../drivers/clock.js';

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
  /**
   * Start each tick's run when it is due even if the last one has not finished. Then only a late
   * wake-up (a blocked event loop) skips ticks, never a slow run. Default false: runs never overlap.
   */
  readonly overlapping?: boolean;
  /** What the run resolves to is the task's own business (a SampleGroup says whether it read). */
  run(tick: Tick): Promise<unknown>;
}

export interface TaskStats {
  /** Runs finished (with or without an error). */
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
  /** Runs of an overlapping task not finished yet: stop() waits for them too. */
  inFlight: Set<Promise<void>>;
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
    const entry: Running = { task, stats, done: Promise.resolve(), inFlight: new Set() };
    entry.done = this.loop(entry);
    this.running.set(task.name, entry);
  }

  stats(name: string): TaskStats | undefined {
    const entry = this.running.get(name);
    return entry ? { ...entry.stats } : undefined;
  }

  /** Stop scheduling; resolves when every run in flight has finished. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('scheduler stopped'));
    await Promise.all([...this.running.values()].map(async (r) => {
      await r.done;
      await Promise.all(r.inFlight);
    }));
  }

  private async loop(entry: Running): Promise<void> {
    const { task, stats } = entry;
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
          return; // aborted while waiting: nothing of this loop's in flight (stop() waits for overlapping runs)
        }
      }
      const startedAt = this.clock.now();
      if (wait > 0) wakeLateMs = learnWakeLateness(wakeLateMs, startedAt - dueAt);
      stats.maxLateMs = Math.max(stats.maxLateMs, startedAt - dueAt);
      const tick: Tick = { index, dueAt, startedAt };
      if (task.overlapping) {
        this.launch(entry, tick);
      } else {
        try {
          await task.run(tick);
        } catch (error) {
          this.failed(task, stats, error);
        }
        stats.runs++;
      }
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

  /** Start an overlapping task's run and let the loop go on to the next tick. */
  private launch(entry: Running, tick: Tick): void {
    const { task, stats, inFlight } = entry;
    let started: Promise<unknown>;
    try {
      started = task.run(tick);
    } catch (error) {
      started = Promise.reject(error); // a run that throws before its first await fails the same way
    }
    const run = started.then(
      () => {
        stats.runs++;
        inFlight.delete(run);
      },
      (error: unknown) => {
        this.failed(task, stats, error);
        stats.runs++;
        inFlight.delete(run);
      },
    );
    inFlight.add(run);
  }

  private failed(task: PeriodicTask, stats: TaskStats, error: unknown): void {
    stats.failures++;
    this.hooks.onError?.(task.name, error);
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
