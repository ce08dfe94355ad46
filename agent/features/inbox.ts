/**
 * Every message for the subscriber-mode features passes here, and every message no route of the
 * agent takes (agent/mqtt/router.ts), one at a time and in arrival order: the size limit first, then
 * the output set topics, the command topic and the rules. What nothing accepts is logged with its reason (rate-limited: one line per reason per interval, with
 * the count held back), counted and dropped; it changes no output and never stops the agent. Every
 * message taken is exactly one of handled or dropped[reason]: received = handled + Σ dropped.
 *
 * Acknowledgement: `receive` says, once the message has been handled or dropped, whether the
 * broker may be told it arrived. The session sends the PUBACK only then (agent/mqtt/session.ts), so
 * nothing is acknowledged that was not acted on or judged. Messages that arrive before `start()`
 * (a persistent session delivers its queue the moment it connects) wait until the outputs are
 * claimed; after `close()` (the agent stopping) they are not taken, and left unacknowledged for
 * the broker to deliver again at the next start (counted as `deferred`, not as received).
 */
import type { Clock } from '../../drivers/clock.js';
import type { Commands } from './commands.js';
import { settlesWithin, type Feature } from './feature.js';
import { LogLimiter } from '../log/log-limiter.js';
import type { Logger } from '../log/logger.js';
import { parseSetPayload, type Outputs } from './outputs.js';
import type { DropReason, Outcome, Rules } from './rules.js';

export interface InboxOptions {
  maxBytes: number;
  outputs: Outputs;
  rules: Rules;
  commands: Commands | undefined;
  logger: Logger;
  /** For the log rate limit and the stop's deadline. */
  clock: Clock;
  /** One drop line per reason per this interval (default 10 s); the counters stay exact. */
  logIntervalMs?: number;
}

export interface InboxStats {
  received: number;
  handled: number;
  dropped: Record<DropReason, number>;
  /** Not taken because the agent was stopping: left unacknowledged for the broker to deliver again. */
  deferred: number;
}

const SHOWN = 80;
const LOG_INTERVAL_MS = 10_000;

export class Inbox implements Feature {
  readonly name = 'inbox';
  readonly stats: InboxStats = { received: 0, handled: 0, dropped: { 'too-large': 0, malformed: 0, 'wrong-type': 0, refused: 0, unmatched: 0, failed: 0 }, deferred: 0 };
  private open: () => void = () => undefined;
  private queue: Promise<void>;
  private started = false;
  private closed = false;
  private readonly limiter: LogLimiter;

  constructor(private readonly options: InboxOptions) {
    this.queue = new Promise((resolve) => (this.open = resolve));
    this.limiter = new LogLimiter(options.clock, options.logIntervalMs ?? LOG_INTERVAL_MS);
  }

  /** Start handling (and handle what waited): after the outputs are claimed. */
  async start(): Promise<void> {
    if (this.closed) return;
    this.started = true;
    this.open();
  }

  /**
   * Take no more messages (those arriving now are left unacknowledged, for the broker to deliver
   * again), let the one being handled finish, and say what was held back. It waits at most half of
   * `deadlineMs`: the other half is the outputs' to reach their safe states, which stop after it.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.close();
    await settlesWithin(this.options.clock, this.drained(), deadlineMs / 2);
    this.logHeldBack();
  }

  /**
   * For the router (the subscriber mode's route, and what no route takes): queue the message; handled in order. Resolves, once it has been
   * handled or dropped, with true (acknowledge it), or with false when it was not taken because the
   * inbox closed first (leave it unacknowledged). Never rejects.
   */
  receive(topic: string, payload: Buffer): Promise<boolean> {
    if (this.closed) return Promise.resolve(this.defer(topic));
    const verdict = this.queue.then(() => (this.started ? this.take(topic, payload) : this.defer(topic)));
    // take() catches what routing throws; should anything else, the next message is still handled.
    this.queue = verdict.then(
      () => undefined,
      () => undefined,
    );
    return verdict;
  }

  /**
   * For the router: a message over the size limit whose payload was discarded unread
   * (agent/mqtt/inbound-limit.ts). Counted and logged in its turn, as too large; the session has it
   * acknowledged at once (it would be as large next time), also while stopping.
   */
  tooLarge(topic: string, bytes: number): void {
    this.queue = this.queue.then(() => {
      this.stats.received++;
      this.drop('too-large', `a message of ${bytes} bytes is over messages.maxBytes (${this.options.maxBytes}); it was not read`, topic, bytes, undefined);
    });
  }

  /**
   * Take no more messages: those already queued are still handled, unless the inbox never started
   * (a failed start), in which case they are left for the broker too.
   */
  close(): void {
    this.closed = true;
    this.open();
  }

  /** Resolves when every queued message has been handled. */
  drained(): Promise<void> {
    return this.queue;
  }

  /** One closing line per reason whose lines were held back since its last line. */
  logHeldBack(): void {
    for (const { cause, suppressed } of this.limiter.pending()) {
      if (cause === 'deferred') this.options.logger.info('messages left unacknowledged since the last line', { count: suppressed });
      else this.options.logger.info('messages dropped since the last line for this reason', { reason: cause, count: suppressed });
    }
  }

  private defer(topic: string): false {
    this.stats.deferred++;
    this.limiter.hit('deferred', ({ suppressed }) =>
      this.options.logger.info('message left unacknowledged for the broker to deliver again: the agent is stopping', { topic, ...(suppressed > 0 ? { suppressed } : {}) }),
    );
    return false;
  }

  private async take(topic: string, payload: Buffer): Promise<true> {
    this.stats.received++;
    let outcome: Outcome;
    try {
      outcome = await this.route(topic, payload);
    } catch (error) {
      // A bug of ours, not the message's: still counted, still one line (the message text is local).
      outcome = { handled: false, reason: 'failed', detail: `internal error: ${error instanceof Error ? error.message : 'unknown error'}` };
    }
    if (outcome.handled) {
      this.stats.handled++;
      return true;
    }
    const text = payload.subarray(0, SHOWN).toString('utf8');
    this.drop(outcome.reason, outcome.detail, topic, payload.length, payload.length > SHOWN ? `${text}…` : text);
    return true;
  }

  private drop(reason: DropReason, detail: string, topic: string, bytes: number, shown: string | undefined): void {
    this.stats.dropped[reason]++;
    const log = reason === 'unmatched' ? this.options.logger.debug : this.options.logger.warn;
    this.limiter.hit(reason, ({ suppressed }) => log(`dropped: ${detail}`, { reason, topic, bytes, payload: shown, ...(suppressed > 0 ? { suppressed } : {}) }));
  }

  private async route(topic: string, payload: Buffer): Promise<Outcome> {
    const { maxBytes, outputs, rules, commands } = this.options;
    if (payload.length > maxBytes) return { handled: false, reason: 'too-large', detail: `payload of ${payload.length} bytes is over messages.maxBytes (${maxBytes})` };
    const output = outputs.bySetTopic(topic);
    if (output !== undefined) {
      const set = parseSetPayload(payload.toString('utf8'));
      if (!set) return { handled: false, reason: 'malformed', detail: `output ${output} takes ON, OFF, TOGGLE or {"state":"ON","ms":500}` };
      try {
        await outputs.set(output, set.command, 'set topic', set.ms);
      } catch (error) {
        return { handled: false, reason: 'failed', detail: error instanceof Error ? error.message : String(error) };
      }
      return { handled: true };
    }
    if (commands && topic === commands.topic) return commands.handle(payload);
    if (rules.matches(topic)) return rules.handle(topic, payload);
    return { handled: false, reason: 'unmatched', detail: 'no rule, output or command topic matches' };
  }
}
