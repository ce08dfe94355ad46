/**
 * Every incoming message, by topic filter. Each feature adds a route (its name, its subscriptions,
 * its handler); the router subscribes to every filter once, at the highest QoS any route asks for
 * it, hands each message to every route with a matching filter (each route once), and counts what
 * no route takes. Subscriptions are made here and nowhere else; the session keeps them for its
 * reconnects.
 *
 * Acknowledgement: a handler that returns a promise holds the message's PUBACK (or PUBCOMP) until it
 * settles, and the message is acknowledged only if every such handler says true (agent/mqtt/session.ts).
 * A handler that throws is logged with its route's name and costs no other route its message.
 */
import type { Qos, SubscriptionConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { OversizedPublish } from './inbound-limit.js';
import type { MessageHandler } from './session.js';
import { topicMatches } from './topic-filter.js';

/** Where messages go that no route takes, and messages too large to be read (subscriber mode's inbox). */
export interface Fallback {
  receive: MessageHandler;
  tooLarge(topic: string, bytes: number): void;
}

/** What the router needs of the session. */
export interface Subscriber {
  subscribe(subscriptions: SubscriptionConfig[]): Promise<void>;
}

interface Route {
  name: string;
  filters: readonly string[];
  handler: MessageHandler;
}

export interface RouterStats {
  /** Messages received (those too large to be read included). */
  received: number;
  /** Messages no route's filter matched. */
  unmatched: number;
}

export class Router {
  readonly stats: RouterStats = { received: 0, unmatched: 0 };
  private readonly routes: Route[] = [];
  /** Each filter once, at the highest QoS asked for it, in the order first asked. */
  private readonly filters = new Map<string, Qos>();
  /** Filters only optional routes want (SubscriptionConfig.optional). */
  private readonly optional = new Map<string, boolean>();
  private fallback: Fallback | undefined;
  private fallbackReceive: MessageHandler | undefined;

  constructor(
    private readonly session: Subscriber,
    private readonly logger: Logger,
  ) {}

  /** Messages on `subscriptions`' filters go to `handler`. */
  route(name: string, subscriptions: readonly SubscriptionConfig[], handler: MessageHandler): void {
    if (subscriptions.length === 0) return;
    for (const { topic, qos, optional } of subscriptions) {
      this.filters.set(topic, Math.max(this.filters.get(topic) ?? 0, qos) as Qos);
      this.optional.set(topic, (this.optional.get(topic) ?? true) && optional === true);
    }
    this.routes.push({ name, filters: subscriptions.map((s) => s.topic), handler });
  }

  /** Messages no route takes, and those too large to be read, go here (they are counted either way). */
  otherwise(fallback: Fallback): void {
    this.fallback = fallback;
    this.fallbackReceive = (topic, payload) => fallback.receive(topic, payload);
  }

  /** What the routes subscribe to. */
  subscriptions(): SubscriptionConfig[] {
    return [...this.filters].map(([topic, qos]) => (this.optional.get(topic) ? { topic, qos, optional: true } : { topic, qos }));
  }

  /** Subscribe to every route's filters, in one SUBSCRIBE. */
  async subscribe(): Promise<void> {
    const subscriptions = this.subscriptions();
    if (subscriptions.length > 0) await this.session.subscribe(subscriptions);
  }

  /** For the session (MqttSession.deliverTo): every incoming message. */
  readonly dispatch = (topic: string, payload: Buffer): void | Promise<boolean> => {
    this.stats.received++;
    let pending: Array<Promise<boolean>> | undefined;
    let matched = false;
    for (const route of this.routes) {
      if (!route.filters.some((filter) => topicMatches(filter, topic))) continue;
      matched = true;
      const verdict = this.run(route.name, route.handler, topic, payload);
      if (verdict) (pending ??= []).push(verdict);
    }
    if (!matched) {
      this.stats.unmatched++;
      const verdict = this.fallbackReceive ? this.run('unmatched', this.fallbackReceive, topic, payload) : undefined;
      if (verdict) (pending ??= []).push(verdict);
    }
    if (!pending) return undefined;
    return pending.length === 1 ? pending[0]! : Promise.all(pending).then((all) => all.every((taken) => taken));
  };

  /** For the session: a PUBLISH over the size limit, whose payload was never read; only the fallback counts and logs it. */
  readonly tooLarge = ({ topic, bytes }: OversizedPublish): void => {
    this.stats.received++;
    this.fallback?.tooLarge(topic, bytes);
  };

  private run(name: string, handler: MessageHandler, topic: string, payload: Buffer): void | Promise<boolean> {
    try {
      return handler(topic, payload);
    } catch (error) {
      this.logger.error('a feature failed on a message; the others still got it', { feature: name, topic, error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }
}
