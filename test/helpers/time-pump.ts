/**
 * Runs an agent's ManualClock against a real broker. Simulated time decides what the agent does
 * (sampling ticks, reconnect backoff, queue syncs, health reports); the pump moves it in small
 * steps and gives the event loop a real turn between steps, so sockets are read and written and a
 * broker's answers arrive. Real time only bounds how long a test waits for the broker: nothing is
 * asserted about it.
 */
import type { ManualClock } from '../../drivers/clock.js';

/** One real turn of the event loop with its timers: long enough for a loopback round trip to move on. */
const realTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

export class TimePump {
  constructor(
    readonly clock: ManualClock,
    /** Simulated milliseconds per step. */
    private readonly stepMs = 10,
  ) {}

  /** Let `ms` of simulated time pass. */
  async run(ms: number): Promise<void> {
    for (const end = this.clock.now() + ms; this.clock.now() < end; ) {
      await this.clock.advance(Math.min(this.stepMs, end - this.clock.now()));
      await realTurn();
    }
  }

  /** Let time pass until `done()`; throws, naming `what`, after `maxMs` of simulated time or `realMs` of waiting. */
  async until(what: string, done: () => boolean, { maxMs = 120_000, realMs = 30_000, detail = (): string => '' } = {}): Promise<void> {
    const startedAt = this.clock.now();
    const realStart = Date.now();
    while (!done()) {
      if (this.clock.now() - startedAt > maxMs || Date.now() - realStart > realMs) {
        throw new Error(`${what}: not after ${Math.round(this.clock.now() - startedAt)} ms of simulated time (${Date.now() - realStart} ms real) ${detail()}`);
      }
      await this.clock.advance(this.stepMs);
      await realTurn();
    }
  }

  /** Let time pass until `work` settles, and return what it gave. */
  async settle<T>(what: string, work: Promise<T>, options: { maxMs?: number; realMs?: number } = {}): Promise<T> {
    let settled = false;
    const watched = work.finally(() => (settled = true));
    watched.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    await this.until(what, () => settled, options);
    return watched;
  }
}
