/**
 * Time is passed in, never read from globals, so the scheduler, drivers and retries can be tested
 * with a manual clock and no unit test really sleeps.
 */
export interface Clock {
  /** Monotonic milliseconds (unaffected by NTP steps): scheduling, timeouts, conversion times. */
  now(): number;
  /** Wall-clock epoch milliseconds: only for the UTC timestamps on readings. */
  wallNow(): number;
  /** Resolves after `ms`; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The sleeps waiting on each signal, cancelled together when it aborts. One 'abort' listener per
 * signal, not one per sleep: a scheduler sleeps on one long-lived signal every tick, and adding and
 * removing an EventTarget listener each time was about half of the scheduler's own cost per tick
 * (measured at 20 Hz, README "Performance").
 */
const sleepsBySignal = new WeakMap<AbortSignal, Set<() => void>>();

function sleepsOn(signal: AbortSignal): Set<() => void> {
  let sleeps = sleepsBySignal.get(signal);
  if (!sleeps) {
    const cancels = new Set<() => void>();
    signal.addEventListener('abort', () => {
      for (const cancel of cancels) cancel();
      cancels.clear();
    }, { once: true });
    sleepsBySignal.set(signal, cancels);
    sleeps = cancels;
  }
  return sleeps;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (!signal) {
        setTimeout(resolve, Math.max(0, ms));
        return;
      }
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const sleeps = sleepsOn(signal);
      const cancel = (): void => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        sleeps.delete(cancel);
        resolve();
      }, Math.max(0, ms));
      sleeps.add(cancel);
    }),
};

interface Sleeper {
  at: number;
  order: number;
  resolve: () => void;
}

/** Let every promise chain that can run, run (including chains that go through an I/O turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told to. `advance` wakes sleepers in deadline order and lets their
 * continuations run before moving on, so code that sleeps in a loop sees every intermediate time.
 */
export class ManualClock implements Clock {
  private time: number;
  private readonly wallOffset: number;
  private sleepers: Sleeper[] = [];
  private counter = 0;

  constructor(start = 0, wallStart = Date.UTC(2026, 10, 24, 10, 0, 0)) {
    this.time = start;
    this.wallOffset = wallStart - start;
  }

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.time + this.wallOffset;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      // The abort listener goes when the sleep ends either way: a loop that sleeps on one
      // long-lived signal must not pile up listeners (Node warns at 11).
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        at: this.time + Math.max(0, ms),
        order: this.counter++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** How many sleeps are pending: lets a test wait until the code under test has gone to sleep. */
  get pending(): number {
    return this.sleepers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const next = this.earliestDue(target);
      if (!next) break;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      this.time = Math.max(this.time, next.at);
      next.resolve();
      await settle();
    }
    this.time = target;
    await settle();
  }

  private earliestDue(limit: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (s.at > limit) continue;
      if (!best || s.at < best.at || (s.at === best.at && s.order < best.order)) best = s;
    }
    return best;
  }
}
