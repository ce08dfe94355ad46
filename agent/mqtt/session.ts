/**
 * The agent's one broker session (mqtt.js 5). It owns the availability protocol: the status
 * topic's `online` on every (re)connect, and its `offline` as the last will, which the broker
 * publishes if the agent dies without saying goodbye (what they say: publishing/encoders.ts).
 */
import { makeClient } from './direct-client.js';
import { mqtt } from './mqtt-lib.js';
import type { IClientOptions, IDisconnectPacket, MqttClient } from 'mqtt';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../../drivers/clock.js';
import type { MqttConfig, Qos, SubscriptionConfig } from '../config/types.js';
import { brokerAuthOptions, brokerAuthWarnings, explainBrokerError, PROTOCOL_HINT, PROTOCOL_REFUSALS } from './broker-auth.js';
import { LimitedStream, MAX_REMAINING_LENGTH, type OversizedPublish } from './inbound-limit.js';
import type { Logger } from '../log/logger.js';
import { plainAvailability, type Availability } from '../publishing/encoders.js';
import { encodeQos0Publishes, type Qos0Publish } from './publish-packets.js';
import type { Transport } from './transport.js';
import { protocolName, ServerList, type BrokerServer, type ProtocolVersion } from './server-list.js';

/**
 * Called for every message (the router's dispatch). A handler that returns a promise holds the
 * message's acknowledgement (PUBACK at QoS 1, PUBCOMP at QoS 2) until it settles: true, it is
 * sent; false, the message was not taken and stays unacknowledged, so the broker delivers it again
 * to a persistent session at the next connection (MQTT 3.1.1 §4.4, MQTT 5.0 §4.4).
 */
export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<boolean>;
/** An incoming PUBLISH over the limit: its payload was discarded unread (agent/mqtt/inbound-limit.ts). */
export type OversizedHandler = (message: OversizedPublish) => void;

/** Who takes the incoming messages: one router (agent/mqtt/router.ts). */
export interface MessageReceiver {
  dispatch: MessageHandler;
  tooLarge: OversizedHandler;
}

export interface SessionOptions {
  clock?: Clock;
  /** Largest incoming payload wanted (messages.maxBytes): bigger ones are never buffered whole. */
  inboundMaxBytes?: number;
  random?: () => number;
  /** What the status topic says (default: retained plain online/offline on mqtt.statusTopic). */
  availability?: Availability;
}

/**
 * Room beside the payload in an incoming PUBLISH that is not discarded: the longest topic MQTT
 * allows (65,535 bytes and its length), a packet identifier and some MQTT 5 properties.
 */
const PUBLISH_OVERHEAD = 2 + 65_535 + 2 + 8 * 1024;
/** A connection that lasted this long was a real one: the backoff starts again from its base. */
export const STABLE_CONNECTION_MS = 10_000;
/** Connections in a row closed by the broker this soon after it accepted them: another client has our id. */
export const SHORT_CONNECTION_MS = 3_000;
export const TAKEOVERS_BEFORE_WARNING = 3;
/** MQTT 5 DISCONNECT reason code 0x8E "Session taken over" (MQTT 5.0 §3.14.2.1). */
const SESSION_TAKEN_OVER = 0x8e;

/** The largest Remaining Length of an incoming PUBLISH taken whole, for a payload limit. */
export function inboundPacketLimit(maxPayloadBytes: number): number {
  return Math.min(MAX_REMAINING_LENGTH, maxPayloadBytes + PUBLISH_OVERHEAD);
}

export interface PublishOptions {
  qos: Qos;
  retain: boolean;
}

/** mqtt.js's options for one connection; `version` is the one this attempt asks for ("auto" tries 5 first). */
export function clientOptions(
  config: MqttConfig,
  inboundLimit = inboundPacketLimit(4096),
  availability = plainAvailability(config.statusTopic),
  version: ProtocolVersion = config.protocolVersion === 'auto' ? 5 : config.protocolVersion,
): IClientOptions {
  // MQTT 5: tell the broker the largest packet we take (MQTT 5.0 §3.1.2.11.4); it then drops what is
  // bigger instead of sending it. The session expiry keeps a persistent session (see below).
  const properties = {
    maximumPacketSize: inboundLimit + 5, // the whole packet: the fixed header's at most 5 bytes too
    ...(!config.clean ? { sessionExpiryInterval: config.sessionExpiryS } : {}),
  };
  return {
    // We call connect() once the stream builder is wrapped (MqttSession.start).
    manualConnect: true,
    clientId: config.clientId,
    keepalive: config.keepaliveS,
    clean: config.clean,
    protocolVersion: version,
    connectTimeout: config.connectTimeoutMs,
    // Reconnects are ours (exponential backoff with jitter, below): mqtt.js's timer has one period.
    reconnectPeriod: 0,
    // Nothing is published while disconnected (the outbox holds it on disk), so mqtt.js's in-memory
    // offline queue stays empty; QoS 0 must not be queued there either.
    queueQoSZero: false,
    // mqtt-packet pre-builds a Buffer for each of the 65,536 two-byte numbers on its first packet
    // (a message id, a length), held for the process's life: measured in \`npm run bench\`
    // (docs/performance.md); writing the two bytes as needed costs nothing we can measure.
    writeCache: false,
    // mqtt.js re-arms its keepalive timer at every PUBACK (a clearTimeout and a setTimeout per
    // acknowledged reading). Without it a PINGREQ goes every keepalive whatever the traffic, and a
    // dead link is still found within 1.5 keepalives: a few bytes a minute against work per reading.
    reschedulePings: false,
    // mqtt.js calls its debug logger a dozen times per packet, and the call alone was 5% of a
    // backlog replay's time in a profile; DEBUG=mqttjs* still turns it on.
    ...(process.env.DEBUG?.includes('mqttjs') ? {} : { log: () => undefined }),
    will: { topic: availability.topic, ...availability.offline },
    // MQTT 5 ends a session at disconnect unless it has an expiry (MQTT 5.0 §3.1.2.11.2), so
    // clean: false alone would not keep a subscriber's queue there.
    ...(version === 5 ? { properties } : {}),
    ...brokerAuthOptions(config),
  };
}

/** What a reconnect wait is drawn from (the mqtt.reconnect* keys). */
export type ReconnectPolicy = Pick<MqttConfig, 'reconnectPeriodMs' | 'reconnectMaxMs' | 'reconnectSpreadMs'>;
/** No wait is shorter: an agent never spins on a broker that refuses at once. */
export const RECONNECT_FLOOR_MS = 50;

/**
 * The wait before reconnect attempt `attempt` (0-based, counted since the last stable connection):
 * "full jitter" (Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015),
 * random over the whole window, never below RECONNECT_FLOOR_MS. The first window is the larger of
 * reconnectSpreadMs and reconnectPeriodMs, and it doubles with each failed attempt up to
 * reconnectMaxMs, so the longer an outage lasts, the wider a fleet's returns are spread.
 *
 * Why not "equal jitter" (half fixed, half random) as before: after a broker restart every board of
 * a fleet lost its connection in the same instant, and each first retry fell between 0.5× and 1× the
 * base period: 200 boards came back within 4 s, 68 CONNECTs in one 0.5 s bin (issue 16). A fleet
 * spreads only as wide as its windows: after an outage of 10 s or more, no second may see more than
 * 15 % of it reconnect, which needs a window of about 10 s by then (test/reconnect-spread.test.ts).
 */
export function backoffMs(attempt: number, policy: ReconnectPolicy, random: () => number = Math.random): number {
  const first = Math.max(policy.reconnectSpreadMs, policy.reconnectPeriodMs);
  const window = Math.min(policy.reconnectMaxMs, first * 2 ** Math.min(attempt, 30));
  return Math.max(RECONNECT_FLOOR_MS, Math.round(random() * window));
}

export class MqttSession implements Transport {
  private client: MqttClient | undefined;
  private receiver: MessageReceiver | undefined;
  private readonly connectHandlers: Array<{ name: string; handler: () => void }> = [];
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly availability: Availability;
  /** Largest Remaining Length of an incoming PUBLISH taken whole. */
  readonly inboundLimit: number;
  private reconnectWait: AbortController | undefined;
  private attempts = 0;
  private stopping = false;
  private subscriptions: SubscriptionConfig[] = [];
  /** A SUBSCRIBE was lost with its connection: send it again at the next one, session or not. */
  private subscribePending = false;
  /** The error last logged, to log a repeated one once; cleared on connect. */
  private repeatedError = '';
  /** The last broker error seen, kept for the health report. */
  lastError = '';
  private firstConnect: Promise<void> | undefined;
  connects = 0;
  /** Between mqtt.js's 'connect' (its resends done) and 'close'. */
  private up = false;
  private connectedAt = 0;
  /** Subscriptions the broker refused (SUBACK 0x80 and above, e.g. an ACL denial). */
  subscriptionsRefused = 0;
  /** What the current connection attempt has seen. */
  private attempt = { tcp: false, connack: false, error: false, takenOver: false };
  /** Connections in a row that the broker closed soon after accepting them. */
  private shortConnections = 0;
  private takeoverReported = false;
  private unansweredReported = false;
  /** Oversized PUBLISHes handed to mqtt.js without their payload, oldest first (see inbound-limit.ts). */
  private readonly stripped: OversizedPublish[] = [];
  /** Incoming PUBLISHes whose payload was discarded unread for their size. */
  oversized = 0;
  /** The brokers (mqtt.url's list), whose turn it is, and the MQTT version each speaks. */
  private readonly servers: ServerList;
  /** Where the current connection (or attempt) goes, and with which MQTT version. */
  private target: BrokerServer;
  private version: ProtocolVersion;
  /** The client of that connection was made for (a new one is made when either changes). */
  private made = { url: '', version: 0 };
  /** Refused MQTT 5 under protocolVersion "auto": the next attempt, at once, is 3.1.1 on the same server. */
  private fallback = false;
  /** The current connection's CONNACK said the broker has no shared subscriptions (MQTT 5, 0x2A = 0). */
  private sharedUnavailable = false;
  private sharedWarned = false;
  private sharedNoted = false;
  private resolveFirst: (() => void) | undefined;

  constructor(
    private readonly config: MqttConfig,
    private readonly logger: Logger,
    options: SessionOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.availability = options.availability ?? plainAvailability(config.statusTopic);
    this.inboundLimit = inboundPacketLimit(options.inboundMaxBytes ?? 4096);
    this.servers = new ServerList(config.url, config.protocolVersion);
    this.target = this.servers.current;
    this.version = this.servers.protocolFor(this.target);
  }

  /** The broker of the current connection, or of the attempt under way (password masked). */
  get server(): string {
    return this.target.shown;
  }

  /** The MQTT version of the current connection or attempt. */
  get protocol(): string {
    return protocolName(this.version);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * Start connecting. Resolves at once: the agent samples whether or not the broker is there;
   * `ready()` waits for the first connection.
   */
  start(): void {
    for (const warning of brokerAuthWarnings(this.config)) this.logger.warn(warning);
    this.firstConnect = new Promise((resolve) => (this.resolveFirst = resolve));
    if (this.servers.size > 1) this.logger.info('servers', { urls: this.servers.servers.map((s) => s.shown).join(', '), failover: 'the next one after a failure' });
    this.connectTo(this.servers.current);
  }

  /**
   * A connection to `server`. mqtt.js's own `servers` option is not used: it moves to the next
   * server on every stream it builds, knows nothing of our backoff (reconnectPeriod is 0: the
   * reconnects are ours), and keeps one set of options (the MQTT version, the TLS server name) for
   * all of them. So the session picks the server and version itself, and makes a new client when
   * either changes; with one server and one version it reconnects the same client, as always.
   */
  private connectTo(server: BrokerServer): void {
    this.target = server;
    this.version = this.servers.protocolFor(server);
    const url = server.shown;
    const previous = this.client;
    if (previous && this.made.url === server.url && this.made.version === this.version) {
      previous.reconnect();
      return;
    }
    // The previous client's connection is closed already; end() stops its timers, and its late
    // events are ignored (each handler checks that its client is still ours).
    previous?.end(true);
    this.made = { url: server.url, version: this.version };
    this.logger.info('connecting', { url, clientId: this.config.clientId, protocol: protocolName(this.version) });
    const client = makeClient(server.url, clientOptions(this.config, this.inboundLimit, this.availability, this.version), mqtt.connect);
    this.client = client;
    const ours = (): boolean => this.client === client;
    this.limitInbound(client, this.version);

    client.on('connect', (connack) => {
      if (!ours()) return;
      this.up = true;
      this.connects++;
      this.connectedAt = this.clock.now();
      this.attempt.connack = true;
      this.repeatedError = '';
      this.unansweredReported = false;
      this.servers.accepted(server, this.version);
      this.resolveFirst?.();
      this.logger.info('connected', { url, protocol: protocolName(this.version), sessionPresent: connack.sessionPresent });
      // MQTT 5.0 §3.2.2.3.13: Shared Subscription Available; absent means they are.
      this.sharedUnavailable = connack.properties?.sharedSubscriptionAvailable === false;
      this.sharedWarned = false;
      this.warnShared(this.subscriptions);
      const { topic, online } = this.availability;
      client.publish(topic, online.payload, { qos: online.qos, retain: online.retain }, (error) => {
        if (error && client.connected) this.logger.warn('could not publish online status', { error: error.message });
      });
      // A broker that kept our session has our subscriptions; otherwise (re)subscribe. The first
      // connection of a process always subscribes: a kept session holds the subscriptions of the
      // config it was made with, and a rule added since would never be subscribed.
      const resubscribe = !connack.sessionPresent || this.connects === 1 || this.subscribePending;
      if (this.subscriptions.length > 0 && resubscribe) void this.sendSubscribe(this.subscriptions);
      for (const { name, handler } of this.connectHandlers) {
        try {
          handler();
        } catch (error) {
          this.logger.error('a feature failed on connecting; the others went on', { feature: name, error: error instanceof Error ? error.message : String(error) });
        }
      }
    });
    client.on('close', () => {
      if (!ours()) return;
      const wasUp = this.up;
      this.up = false;
      this.stripped.length = 0;
      this.abandonInFlight(client);
      this.judgeConnection(wasUp);
      this.scheduleReconnect();
    });
    client.on('disconnect', (packet: IDisconnectPacket) => {
      if (!ours()) return;
      // MQTT 5: the broker says why it closes the connection (MQTT 5.0 §3.14.2.1).
      const reasonCode = packet.reasonCode ?? 0;
      if (reasonCode === SESSION_TAKEN_OVER) this.attempt.takenOver = true;
      else this.logger.warn('the broker closed the connection', { reasonCode: `0x${reasonCode.toString(16)}`, reason: packet.properties?.reasonString });
    });
    client.on('error', (error) => {
      if (!ours()) return;
      this.attempt.error = true;
      const code = (error as { code?: unknown }).code;
      if (!this.up && this.version === 5 && typeof code === 'number' && PROTOCOL_REFUSALS.has(code) && this.servers.refusedMqtt5(server)) {
        this.fallback = true;
        this.logger.info('the broker refused MQTT 5: trying MQTT 3.1.1 (protocolVersion auto)', { url, reasonCode: code });
        return;
      }
      // While connected, an error that is neither the socket's (a string code) nor a refusal (a
      // number) comes from mqtt.js's parser, which reports a malformed packet and then reads on
      // out of step. Close the connection: the reconnect starts from a clean stream.
      if (this.up && (error as { code?: unknown }).code === undefined) client.stream.destroy();
      // mqtt.js repeats the same error on every retry; say it once until something changes.
      this.lastError = error.message;
      if (error.message === this.repeatedError) return;
      this.repeatedError = error.message;
      const { kind, hint } = explainBrokerError(error);
      const message =
        kind === 'auth' ? 'broker refused the credentials, will retry'
        : kind === 'tls' ? 'TLS handshake failed, will retry'
        : kind === 'protocol' ? 'broker refused the MQTT protocol version, will retry'
        : 'broker connection error';
      this.logger.error(message, { url: this.target.shown, error: error.message, hint });
    });
    // mqtt.js emits 'message' and then calls handleMessage, and sends the acknowledgement when that
    // calls back; called back with an error it sends none and goes on with the next packet
    // (mqtt.js 5 lib/handlers/publish.js for QoS 1, lib/handlers/pubrel.js for QoS 2). It reads no
    // further packet meanwhile: the messages of one connection are taken one at a time.
    const verdicts = new WeakMap<object, Promise<boolean>>();
    client.on('message', (topic, payload, packet) => {
      const stripped = this.stripped[0];
      // mqtt.js handles packets in arrival order, so the first stripped PUBLISH is the next one
      // with an empty payload on its topic (an MQTT 5 topic alias leaves its topic empty here).
      // Counted and dropped by its handlers as too large, it is acknowledged at once.
      if (stripped && payload.length === 0 && (stripped.topic === topic || stripped.topic === '')) {
        this.stripped.shift();
        this.oversized++;
        this.receiver?.tooLarge({ topic, bytes: stripped.bytes });
        return;
      }
      const verdict = this.receiver?.dispatch(topic, payload);
      if (verdict) verdicts.set(packet, verdict);
    });
    client.handleMessage = (packet, callback) => {
      const verdict = verdicts.get(packet);
      verdicts.delete(packet);
      if (!verdict) return callback();
      verdict.then(
        (taken) => callback(taken ? undefined : new Error('message not taken: left unacknowledged')),
        () => callback(new Error('message not taken: left unacknowledged')),
      );
    };
    client.connect();
  }

  /**
   * Put an InboundLimit between each connection and mqtt.js's parser. mqtt.js builds a connection's
   * stream with the builder it was given (direct-client.ts's for TCP and TLS, mqtt.connect's for WebSocket) and keeps
   * it in a field that its typings call private: wrapping it is the one place to see the bytes
   * before its parser buffers a whole packet. test/broker-hostile.test.ts proves it is in place.
   */
  private limitInbound(client: MqttClient, protocolVersion: ProtocolVersion): void {
    const holder = client as unknown as { streamBuilder?: (client: MqttClient) => Duplex };
    const build = holder.streamBuilder;
    if (typeof build !== 'function') {
      this.logger.warn('this mqtt.js version builds connections another way: incoming packets are not size-limited', { hint: 'report this; pin mqtt to 5.16' });
      return;
    }
    holder.streamBuilder = (c) => {
      const inner = build(c);
      const attempt = { tcp: false, connack: false, error: false, takenOver: false };
      this.attempt = attempt;
      inner.once('connect', () => (attempt.tcp = true));
      return new LimitedStream(inner, {
        maxPublishBytes: this.inboundLimit,
        protocolVersion,
        onOversized: (message) => {
          if (this.stripped.length < 1000) this.stripped.push(message);
        },
      });
    };
  }

  /**
   * The connection is gone: every publish it left unacknowledged is taken back from mqtt.js, so its
   * caller's promise rejects now and the outbox sends it again on the next connection. Left in
   * mqtt.js (a reconnect gives it new, empty stores), it would never settle and would hold its
   * window place for good; and its packet identifier could be reused by a later publish, whose
   * acknowledgement would then go to the wrong caller. QoS 2 in its PUBREL phase too: sent again
   * as a new PUBLISH, at least once (README "Reliability").
   */
  private abandonInFlight(client: MqttClient): void {
    for (const [id, pending] of Object.entries(client.outgoing)) {
      if (pending.cmd === 'publish' || pending.cmd === 'pubrel') client.removeOutgoingMessage(Number(id));
    }
  }

  /**
   * What the connection that just closed says. A broker that closes a connection seconds after
   * accepting it, again and again, while we see no error, has let another client take our client id
   * (MQTT 3.1.1 §3.1.4: the server disconnects the existing client): two boards from one SD card
   * image, say. Each would throw the other out every second, forever, wiping a persistent session
   * each time; instead the backoff keeps growing until a connection lasts, and the log says why.
   */
  private judgeConnection(wasUp: boolean): void {
    const attempt = this.attempt;
    if (!wasUp) {
      this.shortConnections = 0; // the broker is not there: not a fight over our id
      if (attempt.tcp && !attempt.connack && !attempt.error && !this.stopping) {
        // NATS 2.9 and RabbitMQ before 3.13 close an MQTT 5 connection without a word.
        if (this.version === 5 && this.servers.refusedMqtt5(this.target)) {
          this.fallback = true;
          this.logger.info('the broker closed an MQTT 5 connection without answering: trying MQTT 3.1.1 (protocolVersion auto)', { url: this.target.shown });
        } else this.unanswered();
      }
      return;
    }
    const lived = this.clock.now() - this.connectedAt;
    if (lived >= STABLE_CONNECTION_MS) {
      this.attempts = 0;
      this.shortConnections = 0;
      this.takeoverReported = false;
      return;
    }
    if (this.stopping || attempt.error || lived >= SHORT_CONNECTION_MS) {
      this.shortConnections = 0;
      return;
    }
    this.shortConnections++;
    if ((attempt.takenOver || this.shortConnections >= TAKEOVERS_BEFORE_WARNING) && !this.takeoverReported) {
      this.takeoverReported = true;
      this.lastError = `another client uses client id ${this.config.clientId}`;
      this.logger.error('another client is using this client id: the broker keeps closing our connection right after accepting it', {
        clientId: this.config.clientId,
        closedAfterMs: Math.round(lived),
        times: attempt.takenOver ? 'session taken over (MQTT 5 reason 0x8e)' : this.shortConnections,
        hint: 'give each board its own mqtt.clientId (or deviceId): was this SD card cloned? Backing off meanwhile',
      });
    }
  }

  /** The broker accepted the TCP connection and closed it without answering CONNECT. */
  private unanswered(): void {
    if (this.unansweredReported) return;
    this.unansweredReported = true;
    const v5 = this.version === 5;
    this.lastError = 'the broker closed the connection without answering CONNECT';
    this.logger.error('the broker closed the connection without answering CONNECT', {
      protocol: v5 ? 'MQTT 5' : 'MQTT 3.1.1',
      hint: v5 ? `${PROTOCOL_HINT} (RabbitMQ before 3.13 closes an MQTT 5 connection this way); or the broker's log says why it refused us` : 'the broker\'s log says why it refused us (a listener for another protocol? a connection limit?)',
    });
  }

  /**
   * The next attempt. With a list of servers it goes to the next one (server-list.ts), and the
   * backoff counts rounds of the list rather than attempts: each round tries every server once, a
   * round's waits are those of one attempt of a single server, and they grow from round to round.
   * So a dead node costs one short wait, not the doubling; a cluster that is all down is retried no
   * faster than one broker would be, per server. A refused MQTT 5 under "auto" is retried at once.
   */
  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectWait) return;
    if (this.fallback) {
      this.fallback = false;
      this.connectTo(this.target);
      return;
    }
    if (!this.up) this.servers.unanswered(this.target);
    if (this.config.reconnectPeriodMs === 0) return;
    const failed = this.target.shown;
    const next = this.servers.size > 1 ? this.servers.advance() : this.target;
    const round = Math.floor(this.attempts++ / this.servers.size);
    const wait = backoffMs(round, this.config, this.random);
    const switching = next !== this.target ? { next: next.shown } : {};
    if (this.attempts === 1) this.logger.warn('broker unreachable, will retry', { url: failed, ...switching, retryMs: wait });
    else this.logger.debug('reconnecting later', { url: failed, ...switching, attempt: this.attempts, retryMs: wait });
    const abort = new AbortController();
    this.reconnectWait = abort;
    this.clock.sleep(wait, abort.signal).then(
      () => {
        this.reconnectWait = undefined;
        if (!this.stopping) this.connectTo(next);
      },
      () => undefined, // stopped while waiting
    );
  }

  /** Shared subscriptions on a broker whose CONNACK said it has none: granted, and then silent. */
  private warnShared(subscriptions: readonly SubscriptionConfig[]): void {
    const shared = subscriptions.filter((s) => s.topic.startsWith('$share/')).map((s) => s.topic);
    if (shared.length === 0) return;
    if (this.version === 4 && !this.sharedNoted) {
      // MQTT 3.1.1 has no way to ask: said once, as a fact about brokers, not a fault seen.
      this.sharedNoted = true;
      this.logger.info('shared subscriptions over MQTT 3.1.1: a broker without them (NATS 2.9, RabbitMQ 3.10, aedes) grants the filter and delivers nothing', { filters: shared.join(' '), hint: 'docs/clusters.md lists which brokers have them' });
    }
    if (!this.sharedUnavailable || this.sharedWarned) return;
    this.sharedWarned = true;
    this.logger.warn('the broker has no shared subscriptions (MQTT 5 CONNACK: Shared Subscription Available = 0): these filters will deliver nothing', {
      url: this.target.shown,
      filters: shared.join(' '),
      hint: 'subscribe without $share/<group>/ (every board then gets every message), or use a broker that has them (docs/clusters.md)',
    });
  }

  /** Called after every successful (re)connect, once `online` has been queued; `name` is for the log should it throw. */
  onConnect(handler: () => void, name = 'agent'): void {
    this.connectHandlers.push({ name, handler });
  }

  /** Connections made over the session's life (the first included). */
  get reconnects(): number {
    return Math.max(0, this.connects - 1);
  }

  ready(): Promise<void> {
    if (!this.firstConnect) throw new Error('session not started');
    return this.firstConnect;
  }

  /** Every incoming message goes to `receiver`, and so do the PUBLISHes over the size limit, whose payload was never read. */
  deliverTo(receiver: MessageReceiver): void {
    this.receiver = receiver;
  }

  /**
   * Resolves when the broker has acknowledged (QoS ≥ 1) or the packet is written (QoS 0); rejects
   * if the connection is lost first (the caller decides whether to send it again).
   */
  /**
   * Rejects at once while not connected: mqtt.js would park the packet in a store that the next
   * reconnect (a new client, after a server switch) replaces, and its promise would never settle.
   * What must survive an outage goes through the outbox; the features publish again on connecting.
   */
  async publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.requireClient();
    if (!this.up || client.disconnecting) throw new Error('not connected to the broker');
    await client.publishAsync(topic, payload, options);
  }

  /**
   * Write a tick's QoS 0 messages to the broker in one socket write (agent/mqtt/publish-packets.ts says
   * why). False, with nothing written, when the connection cannot take them now: not connected,
   * closing, or the socket still backed up from earlier writes (the caller then queues them on disk
   * rather than pile them up in memory behind a slow link).
   */
  writeQos0(messages: readonly Qos0Publish[]): boolean {
    const client = this.client;
    // Not `client.connected`: mqtt.js sets it at CONNACK, then resends the last connection's
    // unacknowledged packets in order and holds new publishes until it emits 'connect'.
    if (!client || !this.up || client.disconnecting) return false;
    const stream = client.stream as Duplex;
    if (!stream.writable || stream.writableNeedDrain) return false;
    const bytes = encodeQos0Publishes(messages, this.version);
    // Straight to the socket when nothing of mqtt.js's waits in the limiter in front of it (it
    // corks around each packet it writes): one stream layer less per tick, the order unchanged.
    if (stream instanceof LimitedStream && stream.writableLength === 0 && !stream.writableCorked && !stream.inner.writableNeedDrain) stream.inner.write(bytes);
    else stream.write(bytes);
    return true;
  }

  async subscribe(subscriptions: SubscriptionConfig[]): Promise<void> {
    this.subscriptions = [...this.subscriptions, ...subscriptions];
    if (this.up) this.warnShared(this.subscriptions);
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
        // No SUBACK: the connection went first. The next one subscribes again.
        this.subscribePending = true;
        this.logger.warn('subscribe not acknowledged, will subscribe again on reconnecting', { error: error instanceof Error ? error.message : String(error) });
        return;
      }
      grants = Object.keys(map).map((topic, i) => ({ topic, qos: Number(granted[i]) }));
    }
    this.subscribePending = false;
    for (const grant of grants) {
      // 0x80 and above is a refusal: 128 in MQTT 3.1.1, 0x87 "not authorized" in MQTT 5 (an ACL denial).
      if (grant.qos >= 0x80) {
        this.subscriptionsRefused++;
        if (subscriptions.some((s) => s.topic === grant.topic && s.optional)) this.logger.info('optional subscription refused by the broker', { topic: grant.topic, reasonCode: grant.qos });
        else this.logger.error('subscription refused by the broker', { topic: grant.topic, reasonCode: grant.qos, hint: 'check the broker\'s ACL for this user and topic' });
      } else this.logger.info('subscribed', { topic: grant.topic, qos: grant.qos });
    }
  }

  /**
   * Say `offline` ourselves (a clean stop is not a failure, but consumers should know), then close.
   * Bounded by `timeoutMs` for each step whatever the broker does (or does not) answer.
   */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    this.reconnectWait?.abort();
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      const { topic, offline: goodbye } = this.availability;
      const offline = client.publishAsync(topic, goodbye.payload, { qos: goodbye.qos, retain: goodbye.retain });
      await this.within(offline, timeoutMs);
    }
    await this.within(client.endAsync(), timeoutMs);
    if (client.connected || !client.disconnected) client.end(true);
    this.logger.info('disconnected');
  }

  /** Wait for `step`, at most `ms` (its failure is not ours to report here). */
  private async within(step: Promise<unknown>, ms: number): Promise<void> {
    const timer = new AbortController();
    await Promise.race([step.catch(() => undefined), this.clock.sleep(ms, timer.signal).catch(() => undefined)]);
    timer.abort();
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error('session not started');
    return this.client;
  }
}
