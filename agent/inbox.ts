/**
 * Every message the subscriber-mode features receive passes here, one at a time and in arrival
 * order: the size limit first, then the output set topics, the command topic and the rules. What
 * nothing accepts is logged with its reason, counted and dropped; it changes no output and never
 * stops the agent. Messages that arrive before `start()` (a persistent session delivers its queue
 * the moment it connects) wait until the outputs are claimed.
 */
import type { SubscriptionConfig } from './config/types.js';
import type { Commands } from './commands.js';
import type { Logger } from './logger.js';
import { parseSetPayload, type Outputs } from './outputs.js';
import type { DropReason, Outcome, Rules } from './rules.js';
import { topicMatches } from './topic.js';

export interface InboxOptions {
  maxBytes: number;
  outputs: Outputs;
  rules: Rules;
  commands: Commands | undefined;
  /** Log-only subscriptions (agent/subscriber.ts logs them): not "unmatched". */
  logOnly: SubscriptionConfig[];
  /** Topic filters another feature of the agent handles (Home Assistant's status): not "unmatched". */
  elsewhere?: readonly string[];
  logger: Logger;
}

export interface InboxStats {
  received: number;
  handled: number;
  dropped: Record<DropReason, number>;
}

const SHOWN = 80;

export class Inbox {
  readonly stats: InboxStats = { received: 0, handled: 0, dropped: { 'too-large': 0, malformed: 0, 'wrong-type': 0, refused: 0, unmatched: 0, failed: 0 } };
  private open: () => void = () => undefined;
  private queue: Promise<void>;
  private closed = false;

  constructor(private readonly options: InboxOptions) {
    this.queue = new Promise((resolve) => (this.open = resolve));
  }

  /** Start handling (and handle what waited). */
  start(): void {
    this.open();
  }

  /** For MqttSession.onMessage: queue the message; handled in order. */
  receive(topic: string, payload: Buffer): void {
    if (this.closed) return; // shutting down: a persistent session will deliver it next time
    this.queue = this.queue.then(() => this.handle(topic, payload)).catch((error: unknown) =>
      this.options.logger.error('message handling failed', { topic, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Take no more messages (those queued are still handled). */
  close(): void {
    this.closed = true;
  }

  /** Resolves when every queued message has been handled. */
  drained(): Promise<void> {
    return this.queue;
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    this.stats.received++;
    const outcome = await this.route(topic, payload);
    if (outcome.handled) {
      this.stats.handled++;
      return;
    }
    this.stats.dropped[outcome.reason]++;
    const text = payload.subarray(0, SHOWN).toString('utf8');
    const log = outcome.reason === 'unmatched' ? this.options.logger.debug : this.options.logger.warn;
    log(`dropped: ${outcome.detail}`, { reason: outcome.reason, topic, bytes: payload.length, payload: payload.length > SHOWN ? `${text}…` : text });
  }

  private async route(topic: string, payload: Buffer): Promise<Outcome> {
    const { maxBytes, outputs, rules, commands, logOnly } = this.options;
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
    if (logOnly.some((s) => topicMatches(s.topic, topic))) return { handled: true };
    if (this.options.elsewhere?.some((filter) => topicMatches(filter, topic))) return { handled: true };
    return { handled: false, reason: 'unmatched', detail: 'no rule, output or command topic matches' };
  }
}
