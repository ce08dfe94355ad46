/**
 * The newest value of each measurement, for Home Assistant. Home Assistant stamps a state with the
 * time it arrives, so a backlog replayed after an outage (publishing/outbox.ts) would show hours-old
 * readings as current, one after another, in its history. Its entities therefore follow a topic of
 * their own, `{measurement topic}/latest`, which gets only readings as they are taken: retained (a
 * restarted Home Assistant sees the value at once), QoS 0, never stored nor replayed. While the
 * broker is away only the newest reading of each measurement is kept, and sent on reconnection if
 * it is younger than homeassistant.latestMaxAgeS. The measurement topics keep the full stream,
 * replayed in order, for history consumers (Telegraf, InfluxDB, `edge-agent tail`).
 */
import type { Clock } from '../../drivers/clock.js';
import type { Logger } from '../log/logger.js';
import type { PublishOptions } from '../mqtt/session.js';
import type { OutgoingMessage } from '../publishing/message.js';

/** Where Home Assistant reads a measurement published on `topic` (ha-configs.ts measurementState). */
export function latestTopic(topic: string): string {
  return `${topic}/latest`;
}

export interface LatestLink {
  readonly connected: boolean;
  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  onConnect(handler: () => void, name?: string): void;
}

const LATEST: PublishOptions = { qos: 0, retain: true };

export class LatestValues {
  /** One entry per measurement topic (bounded by the config), its latest-value topic made once: this runs every tick. */
  private readonly newest = new Map<string, { latest: string; payload: Buffer; ts: number; sent: boolean }>();
  published = 0;

  constructor(
    private readonly link: LatestLink,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
    private readonly logger: Logger,
  ) {
    link.onConnect(() => this.reconnected(), 'homeassistant-latest');
  }

  /** A tick's messages, as taken (never the replayed ones). */
  offer(messages: readonly OutgoingMessage[]): void {
    const now = this.link.connected;
    for (const m of messages) {
      let entry = this.newest.get(m.topic);
      if (entry) {
        entry.payload = m.payload;
        entry.ts = m.ts;
        entry.sent = now;
      } else this.newest.set(m.topic, (entry = { latest: latestTopic(m.topic), payload: m.payload, ts: m.ts, sent: now }));
      if (now) this.send(entry.latest, m.payload);
    }
  }

  private reconnected(): void {
    const oldest = this.clock.wallNow() - this.maxAgeMs;
    for (const value of this.newest.values()) {
      if (value.sent) continue;
      value.sent = true;
      if (value.ts >= oldest) this.send(value.latest, value.payload);
    }
  }

  private send(topic: string, payload: Buffer): void {
    this.published++;
    this.link.publish(topic, payload, LATEST).catch((error: unknown) =>
      this.logger.debug('could not publish a latest value', { topic, error: error instanceof Error ? error.message : String(error) }),
    );
  }
}
