/**
 * Log-only subscriptions (`subscriptions[]`): what arrives on them is logged, one line per message.
 * Payloads come from the network, so they are shown bounded and quoted, never interpreted.
 */
import type { SubscriptionConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Router } from '../mqtt/router.js';
import type { Feature } from './feature.js';

const SHOWN_BYTES = 200;

export class LogSubscriptions implements Feature {
  readonly name = 'subscriptions';

  /** Takes the configured subscriptions' messages (the router subscribes). */
  constructor(
    subscriptions: SubscriptionConfig[],
    router: Router,
    private readonly logger: Logger,
  ) {
    router.route(this.name, subscriptions, (topic, payload) => this.log(topic, payload));
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  private log(topic: string, payload: Buffer): void {
    const text = payload.subarray(0, SHOWN_BYTES).toString('utf8');
    this.logger.info('received', { topic, payload: payload.length > SHOWN_BYTES ? `${text}…` : text });
  }
}
