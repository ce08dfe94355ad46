/**
 * Config-defined rules: a topic filter, an optional condition (with hysteresis, agent/features/conditions.ts)
 * and actions. Actions run when the condition *becomes* true (`actions`) or false (`elseActions`),
 * not on every reading, so a steady 100 ft sets the LED once and sends one acknowledgement. Without
 * a condition, every message runs `actions`.
 *
 * What comes from the network fills template values only: it never chooses a topic, an output or
 * anything that runs.
 */
import type { Clock } from '../../drivers/clock.js';
import type { ActionConfig, RuleConfig } from '../config/subscriber-types.js';
import type { SubscriptionConfig } from '../config/types.js';
import { extractValue, nextState } from './conditions.js';
import type { Logger } from '../log/logger.js';
import type { Feature } from './feature.js';
import { publishQuietly, type MessageSink } from './message-sink.js';
import type { Outputs } from './outputs.js';
import { ACTION_PLACEHOLDERS, fillTemplate } from '../template.js';
import { topicMatches } from '../mqtt/topic-filter.js';

export type DropReason = 'too-large' | 'malformed' | 'wrong-type' | 'refused' | 'unmatched' | 'failed';
export type Outcome = { handled: true } | { handled: false; reason: DropReason; detail: string };

export interface RulesOptions {
  rules: RuleConfig[];
  deviceId: string;
  outputs: Outputs;
  sink: MessageSink;
  clock: Clock;
  logger: Logger;
}

/** Longest text of a payload that goes into a template or a log line. */
const VALUE_CHARS = 200;

export class Rules implements Feature {
  readonly name = 'rules';
  readonly stats = { fired: 0, actionFailures: 0 };
  private readonly states = new Map<string, boolean>();

  constructor(private readonly options: RulesOptions) {}

  /** Rules work on messages only: nothing to bring up or down. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** The subscriptions the rules need (a filter used by two rules is subscribed once, at the higher QoS). */
  subscriptions(): SubscriptionConfig[] {
    const qos = new Map<string, SubscriptionConfig['qos']>();
    for (const rule of this.options.rules) qos.set(rule.topic, Math.max(qos.get(rule.topic) ?? 0, rule.qos) as SubscriptionConfig['qos']);
    return [...qos].map(([topic, q]) => ({ topic, qos: q }));
  }

  matches(topic: string): boolean {
    return this.options.rules.some((rule) => topicMatches(rule.topic, topic));
  }

  /** Condition state of a rule (undefined before its first usable message). */
  state(name: string): boolean | undefined {
    return this.states.get(name);
  }

  /** Run every rule whose filter matches; handled when at least one rule could read the message. */
  async handle(topic: string, payload: Buffer): Promise<Outcome> {
    const text = payload.toString('utf8');
    let outcome: Outcome = { handled: false, reason: 'unmatched', detail: 'no rule matches' };
    for (const rule of this.options.rules) {
      if (!topicMatches(rule.topic, topic)) continue;
      const extracted = extractValue(rule.condition, text);
      if ('reason' in extracted) {
        if (!outcome.handled) outcome = { handled: false, reason: extracted.reason, detail: `rule ${rule.name}: ${extracted.detail}` };
        continue;
      }
      outcome = { handled: true };
      const value = typeof extracted.value === 'string' ? extracted.value.slice(0, VALUE_CHARS) : String(extracted.value);
      if (rule.condition === null) {
        await this.run(rule, rule.actions, { topic, value, condition: 'true' });
        continue;
      }
      const before = this.states.get(rule.name);
      const after = nextState(rule.condition, extracted.value, before);
      this.states.set(rule.name, after);
      if (after === before) continue;
      this.options.logger.info(`rule ${rule.name}: condition ${after ? 'true' : 'false'}`, { topic, value });
      await this.run(rule, after ? rule.actions : rule.elseActions, { topic, value, condition: String(after) });
    }
    return outcome;
  }

  private async run(rule: RuleConfig, actions: ActionConfig[], vars: { topic: string; value: string; condition: string }): Promise<void> {
    this.stats.fired++;
    const values = { ...vars, deviceId: this.options.deviceId, rule: rule.name, ts: new Date(this.options.clock.wallNow()).toISOString() };
    for (const action of actions) {
      try {
        if (action.type === 'output') {
          const ms = action.state === 'pulse' ? action.ms : null;
          await this.options.outputs.set(action.output, action.state === 'pulse' ? 'on' : action.state, `rule ${rule.name}`, ms);
        } else if (action.type === 'log') {
          this.options.logger[action.level](fillTemplate(action.message, ACTION_PLACEHOLDERS, values), { rule: rule.name });
        } else {
          const payload = fillTemplate(action.payload, ACTION_PLACEHOLDERS, values);
          this.options.logger.info(`rule ${rule.name}: publishing to ${action.topic}`, { payload: payload.slice(0, VALUE_CHARS) });
          void publishQuietly(this.options.sink, action.topic, payload, { qos: action.qos, retain: action.retain }, (error) => {
            this.stats.actionFailures++;
            this.options.logger.warn('rule publish failed', { rule: rule.name, topic: action.topic, error });
          });
        }
      } catch (error) {
        this.stats.actionFailures++;
        this.options.logger.error('rule action failed', { rule: rule.name, action: action.type, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
