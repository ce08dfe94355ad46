/**
 * The brokers a session may connect to (`mqtt.url`: one URL, or a cluster's nodes), which one is
 * next, and which MQTT version each one speaks.
 *
 * Failover is round-robin: after any failed attempt or lost connection the next attempt goes to
 * the next server in the list, so a dead node is left at once and is tried again only after the
 * others (when it is back, the agent returns to it at a later failure, never by dropping a good
 * connection). How long to wait before each attempt is the session's backoff (session.ts); this
 * class only says where.
 *
 * With `protocolVersion: "auto"` a server is first tried with MQTT 5. One that refuses it (CONNACK
 * 0x01 "unacceptable protocol version" in 3.1.1 framing, 0x84 in MQTT 5, or the connection closed
 * before any CONNACK, as NATS 2.9 and RabbitMQ before 3.13 do) is tried again at once with 3.1.1,
 * and what a server accepted is kept for the life of the process: a reconnect does not ask again.
 * Only a CONNACK settles it: a load balancer with no backend, or a broker at its connection limit,
 * also closes without a word, and if 3.1.1 gets no answer either, the next attempt asks for 5 again.
 */
import { brokerUrls, redactUrl } from '../config/formats.js';

export type ProtocolVersion = 4 | 5;
export type ProtocolChoice = ProtocolVersion | 'auto';

export interface BrokerServer {
  /** As configured (credentials included): what mqtt.js connects to. */
  readonly url: string;
  /** With the password masked: for logs, the health report and systemd's status line. */
  readonly shown: string;
}

export const protocolName = (version: ProtocolVersion): string => (version === 5 ? 'MQTT 5' : 'MQTT 3.1.1');

export class ServerList {
  readonly servers: readonly BrokerServer[];
  private index = 0;
  /** auto: the version each server accepted, or fell back to after refusing MQTT 5. */
  private readonly learned = new Map<string, ProtocolVersion>();
  /** auto: servers being tried with 3.1.1 after refusing 5, not yet answered. */
  private readonly tentative = new Set<string>();

  constructor(url: string, private readonly choice: ProtocolChoice) {
    const urls = brokerUrls(url).filter((u) => u !== '');
    this.servers = (urls.length > 0 ? urls : [url]).map((u) => ({ url: u, shown: redactUrl(u) }));
  }

  get size(): number {
    return this.servers.length;
  }

  /** The server of the current (or next) attempt. */
  get current(): BrokerServer {
    return this.servers[this.index]!;
  }

  /** After a failed attempt or a lost connection: the next server, round-robin. */
  advance(): BrokerServer {
    this.index = (this.index + 1) % this.servers.length;
    return this.current;
  }

  /** The version to ask `server` for now. */
  protocolFor(server: BrokerServer): ProtocolVersion {
    if (this.choice !== 'auto') return this.choice;
    if (this.tentative.has(server.url)) return 4;
    return this.learned.get(server.url) ?? 5;
  }

  /** Whether the version is chosen per server (protocolVersion "auto"). */
  get auto(): boolean {
    return this.choice === 'auto';
  }

  /**
   * `server` refused an MQTT 5 CONNECT: true when the session should try it again at once with
   * 3.1.1 (auto, and not already fallen back), false when the refusal stands (a fixed version).
   */
  refusedMqtt5(server: BrokerServer): boolean {
    if (this.choice !== 'auto' || this.learned.get(server.url) === 4 || this.tentative.has(server.url)) return false;
    this.tentative.add(server.url);
    return true;
  }

  /** `server` accepted `version`: kept, so reconnects ask for it straight away. */
  accepted(server: BrokerServer, version: ProtocolVersion): void {
    if (this.choice !== 'auto') return;
    this.learned.set(server.url, version);
    this.tentative.delete(server.url);
  }

  /** An attempt at `server` failed before any CONNACK: a 3.1.1 fallback it was on proves nothing. */
  unanswered(server: BrokerServer): void {
    this.tentative.delete(server.url);
  }
}
