/**
 * What the agent needs of its connection to the broker, in one place. MqttSession (session.ts) is
 * the one there is; a transport that is not MQTT over mqtt.js would be another class with this
 * surface, built in agent/agent.ts instead of it. (A broker reached over WebSockets or TLS is not a
 * new transport: mqtt.js takes those URL schemes, and agent/config/formats.ts lists what the config
 * accepts.)
 */
import type { SubscriptionConfig } from '../config/types.js';
import type { MessageSink } from '../features/message-sink.js';
import type { BrokerLink } from '../publishing/outbox.js';
import type { MessageReceiver, PublishOptions } from './session.js';

export interface Transport extends BrokerLink, MessageSink {
  readonly connected: boolean;
  /** Connections made after the first one. */
  readonly reconnects: number;
  /** The broker of the current connection or attempt (a cluster node of mqtt.url), password masked. */
  readonly server: string;
  /** The last error from the broker or the network, for the health report. */
  readonly lastError: string;
  /** Start connecting; resolves at once (the agent samples whether or not the broker is there). */
  start(): void;
  /** Resolves at the first connection. */
  ready(): Promise<void>;
  /** Say goodbye (the offline status) and close, within `timeoutMs` a step. */
  stop(timeoutMs?: number): Promise<void>;
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  /** Called after every (re)connection; `name` for the log should it throw. */
  onConnect(handler: () => void, name?: string): void;
  /** Every incoming message goes to `receiver` (the router). */
  deliverTo(receiver: MessageReceiver): void;
  /** Subscribe now if connected, and again after every reconnection that lost them. */
  subscribe(subscriptions: SubscriptionConfig[]): Promise<void>;
}
