/**
 * Home Assistant MQTT discovery: the retained configs of ha-configs.ts, announced on every
 * connection and again when Home Assistant says `online` on `{prefix}/status` (after a short random
 * delay, so a fleet does not answer in one burst). What was announced before and is not wanted any
 * more (a measurement, output or input taken out of the config, the layout changed, or Home
 * Assistant turned off: `announce` false) is removed with an empty retained config. The broker says
 * what is there (ha-retained.ts): the feature subscribes to this device's discovery topics, waits
 * `settleMs` after connecting for the retained ones, and clears the rest before it announces (an
 * entity moved to a new topic must be gone from the old one first: Home Assistant refuses a
 * unique_id it already has).
 */
import { readFileSync, rmSync } from 'node:fs';
import type { Clock } from '../../drivers/clock.js';
import type { Quantity } from '../../drivers/sensor.js';
import type { AgentConfig } from '../config/types.js';
import { LogLimiter } from '../log/log-limiter.js';
import type { Logger } from '../log/logger.js';
import type { Router } from '../mqtt/router.js';
import type { Transport } from '../mqtt/transport.js';
import type { Feature } from './feature.js';
import { deviceIdentifier, deviceTopic, discoveryMessages, entities, type DiscoveryMessage, type Origin } from './ha-configs.js';
import { escapeName, legacyObjectId } from './ha-ids.js';
import { RetainedConfigs, type RetainedLimits } from './ha-retained.js';

export { discoveryMessages, entities, expireAfterS, measurementState, type DiscoveryMessage } from './ha-configs.js';

/** The configs to remove: on the broker for this device, not wanted now. */
export function removals(retained: readonly string[], current: readonly DiscoveryMessage[]): DiscoveryMessage[] {
  const now = new Set(current.map((m) => m.topic));
  return retained.filter((topic) => !now.has(topic)).map((topic) => ({ topic, config: null }));
}

/**
 * The topics the agent up to 0.1 announced on (`{prefix}/{component}/{object id}/config`, ids not
 * one-to-one): those of this config, and those it remembered in its state file. Subscribed to like
 * the others, so the ones the broker still holds are removed before the new topics are announced.
 */
export function legacyTopics(config: AgentConfig, remembered: readonly string[]): string[] {
  const { prefix } = config.homeassistant;
  const mine = entities(config)
    .filter((e) => e.key.component !== 'button' && e.key.path[0] !== 'health')
    .map((e) => `${prefix}/${e.key.component}/${legacyObjectId(config.deviceId, e.key.path)}/config`);
  const valid = remembered.filter((t) => t.startsWith(`${prefix}/`) && !/[+#\u0000]/.test(t) && t.split('/').length === prefix.split('/').length + 3);
  return [...new Set([...mine, ...valid.slice(0, 256)])];
}

export interface DiscoveryOptions {
  config: AgentConfig;
  session: Transport;
  router: Router;
  logger: Logger;
  origin: Origin;
  /** False when Home Assistant is off in the config: only remove what was announced before. */
  announce: boolean;
  /** Where the agent up to 0.1 remembered what it announced (read once, then deleted). */
  legacyStateFile: string;
  clock: Clock;
  /** Delay before answering Home Assistant's birth message, ms (default: random 0.5–5 s). */
  delayMs?: () => number;
  /** Wait after connecting for the broker's retained configs, ms (default 3000). */
  settleMs?: number;
  limits?: RetainedLimits;
  /** What each sensor's chip measures, once it has been identified. */
  measured?: (sensor: string) => readonly Quantity[] | undefined;
}

/**
 * Built before the session connects: its routes (the device's discovery topics, Home Assistant's
 * status) are subscribed with the others, and it announces on every connection.
 */
export class HomeAssistantDiscovery implements Feature {
  readonly name = 'homeassistant';
  private readonly statusTopic: string;
  private readonly retained: RetainedConfigs;
  private readonly lines: LogLimiter;
  private readonly legacyFile: string | undefined;
  /** The wait before answering a birth message; a later one starts it again. */
  private birthWait: AbortController | undefined;
  private readonly stopping = new AbortController();
  /** The first connection's wait for the retained configs, then their removal. */
  private settled: Promise<void> | undefined;
  announcements = 0;
  removed = 0;

  constructor(private readonly options: DiscoveryOptions) {
    const { config, router, session } = options;
    const { prefix } = config.homeassistant;
    this.statusTopic = `${prefix}/status`;
    this.retained = new RetainedConfigs(options.limits, deviceIdentifier(config.deviceId));
    this.lines = new LogLimiter(options.clock, 60_000);
    const remembered = this.remembered();
    this.legacyFile = remembered === undefined ? undefined : options.legacyStateFile;
    const node = escapeName(config.deviceId);
    const filters = [`${prefix}/+/${node}/+/config`, deviceTopic(prefix, node), ...legacyTopics(config, remembered ?? [])];
    // With Home Assistant off, the sweep is a courtesy: a broker whose ACL keeps this user out of the
    // discovery prefix (Home Assistant never used) has nothing to remove and is no error.
    const optional = !options.announce;
    router.route(this.name, filters.map((topic) => ({ topic, qos: 1 as const, optional })), (topic, payload) => this.note(topic, payload));
    if (options.announce) router.route(`${this.name}-status`, [{ topic: this.statusTopic, qos: 1 }], (_topic, payload) => this.birth(payload));
    session.onConnect(() => void this.connected(), this.name);
  }

  /** Computed when used: sensors identified since the start count. */
  get messages(): DiscoveryMessage[] {
    if (!this.options.announce) return [];
    return discoveryMessages(this.options.config, this.options.origin, entities(this.options.config, this.options.measured));
  }

  /** Nothing to bring up: it works on connections and on the broker's messages. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.birthWait?.abort();
    this.stopping.abort();
  }

  private note(topic: string, payload: Buffer): void {
    if (this.retained.note(topic, payload) !== 'over') return;
    this.lines.hit('over', ({ suppressed }) =>
      this.options.logger.warn('too many retained discovery configs for this device: the rest are left alone', { topic, kept: this.retained.topics.length, over: this.retained.overflow, ...(suppressed ? { suppressed } : {}) }),
    );
  }

  /** Home Assistant says `online` on its status topic when it (re)starts: announce again. */
  private birth(payload: Buffer): void {
    if (payload.toString('utf8').trim() !== 'online') return;
    this.birthWait?.abort();
    const wait = new AbortController();
    this.birthWait = wait;
    const delay = this.options.delayMs?.() ?? 500 + Math.random() * 4500;
    this.options.logger.info('Home Assistant is online: announcing again', { inMs: Math.round(delay) });
    this.options.clock.sleep(delay, wait.signal).then(
      () => void this.announce(),
      () => undefined, // a later birth message, or the agent stopping
    );
  }

  /**
   * On every connection: the first time, wait for the retained configs and remove what is not
   * wanted; then announce. A broker restarted without persistence has lost the retained configs,
   * and announcing costs a few small messages.
   */
  async connected(): Promise<void> {
    this.settled ??= this.options.clock.sleep(this.options.settleMs ?? 3000, this.stopping.signal).then(
      () => this.sweep(),
      () => undefined,
    );
    await this.settled;
    if (this.options.announce && !this.stopping.signal.aborted) await this.announce();
  }

  /** Remove every config the broker holds for this device that is not wanted now. */
  private async sweep(): Promise<void> {
    const gone = removals(this.retained.topics, this.messages);
    for (const m of gone) await this.publish(m);
    this.removed += gone.length;
    if (gone.length > 0) this.options.logger.info('Home Assistant entities removed', { count: gone.length, topics: gone.map((m) => m.topic).join(' ') });
    if (this.legacyFile !== undefined) rmSync(this.legacyFile, { force: true });
  }

  async announce(): Promise<void> {
    const messages = this.messages;
    for (const m of messages) await this.publish(m);
    this.announcements++;
    this.options.logger.info('Home Assistant discovery announced', { entities: messages.length, layout: this.options.config.homeassistant.discovery, prefix: this.options.config.homeassistant.prefix });
    // Taken out since the last announcement (a chip identified as measuring less): the broker says.
    if (this.settled !== undefined) await this.sweep();
  }

  private async publish(m: DiscoveryMessage): Promise<void> {
    const payload = m.config === null ? '' : JSON.stringify(m.config);
    // Not held any more, whenever the broker's copy of the removal comes back.
    if (m.config === null) this.retained.note(m.topic, Buffer.alloc(0));
    await this.options.session.publish(m.topic, payload, { qos: 1, retain: true }).catch((error: unknown) =>
      this.options.logger.warn('could not publish a discovery config', { topic: m.topic, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** The topics the agent up to 0.1 remembered; undefined when there is no such file. */
  private remembered(): string[] | undefined {
    let text: string;
    try {
      text = readFileSync(this.options.legacyStateFile, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(text) as { topics?: unknown };
      return Array.isArray(parsed.topics) ? parsed.topics.filter((t): t is string => typeof t === 'string') : [];
    } catch {
      return [];
    }
  }
}
