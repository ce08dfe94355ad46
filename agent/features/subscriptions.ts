/**
 * Subscriber role, first cut: take the configured subscriptions and log what arrives, one line
 * per message. Payloads come from the network, so they are shown bounded and quoted, never
 * interpreted.
 */
import type { SubscriptionConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { MqttSession } from '../mqtt/session.js';
import { topicMatches } from '../mqtt/topic-filter.js';

const SHOWN_BYTES = 200;

export interface SubscriberStats {
  received: number;
  unmatched: number;
}

export class Subscriber {
  readonly stats: SubscriberStats = { received: 0, unmatched: 0 };

  constructor(
    private readonly subscriptions: SubscriptionConfig[],
    private readonly session: MqttSession,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.session.onMessage((topic, payload) => this.handle(topic, payload));
    await this.session.subscribe(this.subscriptions);
  }

  handle(topic: string, payload: Buffer): void {
    if (!this.subscriptions.some((s) => topicMatches(s.topic, topic))) {
      this.stats.unmatched++;
      return;
    }
    this.stats.received++;
    const text = payload.subarray(0, SHOWN_BYTES).toString('utf8');
    this.logger.info('received', { topic, payload: payload.length > SHOWN_BYTES ? `${text}…` : text });
  }
}
