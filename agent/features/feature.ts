/**
 * What the agent runs besides sampling and publishing: health, Home Assistant discovery, log-only
 * subscriptions and, in subscriber mode, outputs, inputs, rules, commands and their inbox. One
 * contract for all of them:
 * - built: the feature wires itself (its routes on the router, what it does on each connection),
 *   touching neither hardware nor the network, before the session connects (a persistent session
 *   delivers its queue at once);
 * - `start()`: it comes up (claims pins, schedules reports), after the session has started;
 * - `stop(ms)`: it goes down within `ms`, in the reverse order of starting; called for a feature
 *   whose start failed too (what it claimed before failing is released).
 * One failing feature never stops the agent: a start or stop that throws is logged with the
 * feature's name, and the agent and the other features carry on without it.
 */
import type { Clock } from '../../drivers/clock.js';
import type { Logger } from '../log/logger.js';

export interface Feature {
  /** For logs: `feature=outputs`. */
  readonly name: string;
  start(): Promise<void>;
  stop(deadlineMs: number): Promise<void>;
}

/** Waits for `work` at most `ms` on the clock; true if it settled in time (its failure is not ours to report here). */
export async function settlesWithin(clock: Clock, work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const done = await Promise.race([
    work.then(() => true, () => true),
    clock.sleep(ms, timer.signal).then(() => false, () => true),
  ]);
  timer.abort();
  return done;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The features of one agent, started in order and stopped in reverse, each on its own. */
export class Features {
  /** Features whose start failed, and why: the agent runs without them. */
  readonly failed = new Map<string, string>();

  constructor(
    readonly list: readonly Feature[],
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const feature of this.list) {
      try {
        await feature.start();
      } catch (error) {
        this.failed.set(feature.name, messageOf(error));
        this.logger.error('a feature failed to start; the agent carries on without it', { feature: feature.name, error: messageOf(error) });
      }
    }
  }

  /** Stop every feature, the last started first, all within `deadlineMs`. */
  async stop(deadlineMs: number): Promise<void> {
    const until = this.clock.now() + deadlineMs;
    for (const feature of [...this.list].reverse()) {
      const ms = Math.max(50, until - this.clock.now());
      let stopping: Promise<void>;
      try {
        stopping = feature.stop(ms).catch((error: unknown) => this.logger.error('a feature failed to stop', { feature: feature.name, error: messageOf(error) }));
      } catch (error) {
        this.logger.error('a feature failed to stop', { feature: feature.name, error: messageOf(error) });
        continue;
      }
      if (!(await settlesWithin(this.clock, stopping, ms))) this.logger.warn('stop: a step did not finish in time; going on', { step: feature.name, ms: Math.round(ms) });
    }
  }

  /** Why the first feature that failed to start did, for the health report; '' when none did. */
  get lastError(): string {
    const [first] = this.failed;
    return first ? `${first[0]} failed to start: ${first[1]}` : '';
  }
}
