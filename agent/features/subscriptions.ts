/**
 * Log-only subscriptions (`subscriptions[]`): what arrives on them is logged, one line per message.
 * Payloads come from the network, so they are shown bounded and quoted, never interpreted.
 */
import type { SubscriptionConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Router } from '../mqtt/router.js';

const SHOWN_BYTES = 200;

export class LogSubscriptions {
  constructor(
    private readonly subscriptions: SubscriptionConfig[],
    private readonly router: Router,
    private readonly logger: Logger,
  ) {}

  /** Take the configured subscriptions' messages (the router subscribes). */
  attach(): void {
    this.router.route('subscriptions', this.subscriptions, (topic, payload) => this.log(topic, payload));
  }

  private log(topic: string, payload: Buffer): void {
    const text = payload.subarray(0, SHOWN_BYTES).toString('utf8');
    this.logger.info('received', { topic, payload: payload.length > SHOWN_BYTES ? `${text}…` : text });
  }
}
