/**
 * The agent's one broker session (mqtt.js 5). It owns the availability protocol: a retained
 * `online` on the status topic on every (re)connect, and a retained `offline` last will that the
 * broker publishes if the agent dies without saying goodbye.
 */
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { redactUrl } from './config/formats.js';
import type { MqttConfig, Qos, SubscriptionConfig } from './config/types.js';
import { brokerAuthOptions, brokerAuthWarnings, explainBrokerError } from './broker-auth.js';
import type { Logger } from './logger.js';
import { encodeQos0Publishes, type Qos0Publish } from './publish-packets.js';

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface PublishOptions {
  qos: Qos;
  retain: boolean;
}

export const ONLINE = 'online';
export const OFFLINE = 'offline';

export function clientOptions(config: MqttConfig): IClientOptions {
  return {
    clientId: config.clientId,
    keepalive: config.keepaliveS,
    clean: config.clean,
    protocolVersion: config.protocolVersion,
    connectTimeout: config.connectTimeoutMs,
    // Reconnects are ours (exponential backoff with jitter, below): mqtt.js's timer has one period.
    reconnectPeriod: 0,
    // Nothing is published while disconnected (the outbox holds it on disk), so mqtt.js's in-memory
    // offline queue stays empty; QoS 0 must not be queued there either.
    queueQoSZero: false,
    // mqtt.js calls its debug logger a dozen times per packet, and the call alone was 5% of a
    // backlog replay's time in a profile; DEBUG=mqttjs* still turns it on.
    ...(process.env.DEBUG?.includes('mqttjs') ? {} : { log: () => undefined }),
    will: { topic: config.statusTopic, payload: Buffer.from(OFFLINE), qos: 1, retain: true },
    // MQTT 5 ends a session at disconnect unless it has an expiry (MQTT 5.0 §3.1.2.11.2), so
    // clean: false alone would not keep a subscriber's queue there.
    ...(config.protocolVersion === 5 && !config.clean ? { properties: { sessionExpiryInterval: config.sessionExpiryS } } : {}),
    ...brokerAuthOptions(config),
  };
}

/**
 * The wait before reconnect attempt `attempt` (0-based): doubling from `baseMs` up to `capMs`, then
 * "equal jitter" (half fixed, half random) so a fleet that lost the same broker does not return in
 * one thundering herd, while no wait is ever shorter than half the schedule.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class MqttSession {
  private client: MqttClient | undefined;
  private readonly handlers: MessageHandler[] = [];
  private readonly connectHandlers: Array<() => void> = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private stopping = false;
  private subscriptions: SubscriptionConfig[] = [];
  /** The error last logged, to log a repeated one once; cleared on connect. */
  private repeatedError = '';
  /** The last broker error seen, kept for the health report. */
  lastError = '';
  private firstConnect: Promise<void> | undefined;
  connects = 0;
  /** Between mqtt.js's 'connect' (its resends done) and 'close'. */
  private up = false;
  /** Subscriptions the broker refused (SUBACK 0x80 and above, e.g. an ACL denial). */
  subscriptionsRefused = 0;

  constructor(
    private readonly config: MqttConfig,
    private readonly logger: Logger,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * Start connecting. Resolves at once: the agent samples whether or not the broker is there;
   * `ready()` waits for the first connection.
   */
  start(): void {
    const url = redactUrl(this.config.url);
    for (const warning of brokerAuthWarnings(this.config)) this.logger.warn(warning);
    this.logger.info('connecting', { url, clientId: this.config.clientId, protocol: this.config.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1' });
    const client = mqtt.connect(this.config.url, clientOptions(this.config));
    this.client = client;
    this.firstConnect = new Promise((resolve) => client.once('connect', () => resolve()));

    client.on('connect', (connack) => {
      this.up = true;
      this.connects++;
      this.repeatedError = '';
      this.logger.info('connected', { url, sessionPresent: connack.sessionPresent });
      client.publish(this.config.statusTopic, ONLINE, { qos: 1, retain: true }, (error) => {
        if (error) this.logger.warn('could not publish online status', { error: error.message });
      });
      // A broker that kept our session has our subscriptions; otherwise (re)subscribe. The first
      // connection of a process always subscribes: a kept session holds the subscriptions of the
      // config it was made with, and a rule added since would never be subscribed.
      if (this.subscriptions.length > 0 && (!connack.sessionPresent || this.connects === 1)) void this.sendSubscribe(this.subscriptions);
      this.attempts = 0;
      for (const handler of this.connectHandlers) handler();
    });
    client.on('close', () => {
      this.up = false;
      this.scheduleReconnect(client, url);
    });
    client.on('error', (error) => {
      // mqtt.js repeats the same error on every retry; say it once until something changes.
      this.lastError = error.message;
      if (error.message === this.repeatedError) return;
      this.repeatedError = error.message;
      const { kind, hint } = explainBrokerError(error);
      const message = kind === 'auth' ? 'broker refused the credentials, will retry' : kind === 'tls' ? 'TLS handshake failed, will retry' : 'broker connection error';
      this.logger.error(message, { url, error: error.message, hint });
    });
    client.on('message', (topic, payload) => {
      for (const handler of this.handlers) handler(topic, payload);
    });
  }

  private scheduleReconnect(client: MqttClient, url: string): void {
    if (this.stopping || this.reconnectTimer || this.config.reconnectPeriodMs === 0) return;
    const wait = backoffMs(this.attempts++, this.config.reconnectPeriodMs, this.config.reconnectMaxMs);
    if (this.attempts === 1) this.logger.warn('broker unreachable, will retry', { url, retryMs: wait });
    else this.logger.debug('reconnecting later', { url, attempt: this.attempts, retryMs: wait });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopping) client.reconnect();
    }, wait);
  }

  /** Called after every successful (re)connect, once `online` has been queued. */
  onConnect(handler: () => void): void {
    this.connectHandlers.push(handler);
  }

  /** Connections made over the session's life (the first included). */
  get reconnects(): number {
    return Math.max(0, this.connects - 1);
  }

  ready(): Promise<void> {
    if (!this.firstConnect) throw new Error('session not started');
    return this.firstConnect;
  }

  onMessage(handler: MessageHandler): void {
    this.handlers.push(handler);
  }

  /** Resolves when the broker has acknowledged (QoS ≥ 1) or the packet is written (QoS 0). */
  async publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    await this.requireClient().publishAsync(topic, payload, options);
  }

  /**
   * Write a tick's QoS 0 messages to the broker in one socket write (agent/publish-packets.ts says
   * why). False, with nothing written, when the connection cannot take them now: not connected,
   * closing, or the socket still backed up from earlier writes (the caller then queues them on disk
   * rather than pile them up in memory behind a slow link).
   */
  writeQos0(messages: readonly Qos0Publish[]): boolean {
    const client = this.client;
    // Not `client.connected`: mqtt.js sets it at CONNACK, then resends the last connection's
    // unacknowledged packets in order and holds new publishes until it emits 'connect'.
    if (!client || !this.up || client.disconnecting) return false;
    const stream = client.stream;
    if (!stream.writable || stream.writableNeedDrain) return false;
    stream.write(encodeQos0Publishes(messages, this.config.protocolVersion));
    return true;
  }

  async subscribe(subscriptions: SubscriptionConfig[]): Promise<void> {
    this.subscriptions = [...this.subscriptions, ...subscriptions];
    if (this.connected) await this.sendSubscribe(subscriptions);
  }

  private async sendSubscribe(subscriptions: SubscriptionConfig[]): Promise<void> {
    const map = Object.fromEntries(subscriptions.map((s) => [s.topic, { qos: s.qos }]));
    let grants: Array<{ topic: string; qos: number }>;
    try {
      grants = await this.requireClient().subscribeAsync(map);
    } catch (error) {
      // mqtt.js 5 rejects the whole SUBSCRIBE when the broker refuses any topic in it
      // (handlers/ack.js); the SUBACK it carries says which, in the order sent.
      const granted = (error as { packet?: { granted?: unknown } } | null)?.packet?.granted;
      if (!Array.isArray(granted)) {
        this.logger.error('subscribe failed', { error: error instanceof Error ? error.message : String(error) });
        return;
      }
      grants = Object.keys(map).map((topic, i) => ({ topic, qos: Number(granted[i]) }));
    }
    for (const grant of grants) {
      // 0x80 and above is a refusal: 128 in MQTT 3.1.1, 0x87 "not authorized" in MQTT 5 (an ACL denial).
      if (grant.qos >= 0x80) {
        this.subscriptionsRefused++;
        this.logger.error('subscription refused by the broker', { topic: grant.topic, reasonCode: grant.qos, hint: 'check the broker\'s ACL for this user and topic' });
      } else this.logger.info('subscribed', { topic: grant.topic, qos: grant.qos });
    }
  }

  /** Say `offline` ourselves (a clean stop is not a failure, but consumers should know), then close. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      const offline = client.publishAsync(this.config.statusTopic, OFFLINE, { qos: 1, retain: true });
      await Promise.race([offline.catch(() => undefined), delay(timeoutMs)]);
    }
    await Promise.race([client.endAsync(), delay(timeoutMs)]);
    if (client.connected || !client.disconnected) client.end(true);
    this.logger.info('disconnected');
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error('session not started');
    return this.client;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
