/**
 * Turns readings into MQTT publishes: topic from the measurement's template, payload in its
 * format, its QoS and retain flag. Publishing never blocks sampling; acknowledgements (QoS ≥ 1)
 * are tracked so the counters say what the broker really has.
 */
import type { MeasurementConfig } from './config/types.js';
import type { Logger } from './logger.js';
import type { MqttSession } from './mqtt-session.js';
import { encodePayload } from './payload.js';
import type { Reading } from './reading.js';
import { renderTopic } from './topic.js';

export interface PublisherStats {
  published: number;
  acknowledged: number;
  failed: number;
  inFlight: number;
}

export class Publisher {
  readonly stats: PublisherStats = { published: 0, acknowledged: 0, failed: 0, inFlight: 0 };
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly session: MqttSession,
    private readonly deviceId: string,
    private readonly logger: Logger,
  ) {}

  topicFor(reading: Reading, measurement: MeasurementConfig): string {
    return renderTopic(measurement.topic, { deviceId: this.deviceId, sensor: reading.sensor, measurement: reading.measurement });
  }

  publish(reading: Reading, measurement: MeasurementConfig): void {
    const topic = this.topicFor(reading, measurement);
    const payload = encodePayload(reading, measurement.format);
    this.stats.published++;
    this.stats.inFlight++;
    const sent = this.session
      .publish(topic, payload, { qos: measurement.qos, retain: measurement.retain })
      .then(
        () => {
          this.stats.acknowledged++;
        },
        (error: unknown) => {
          this.stats.failed++;
          this.logger.warn('publish failed', { topic, seq: reading.seq, error: error instanceof Error ? error.message : String(error) });
        },
      )
      .finally(() => {
        this.stats.inFlight--;
        this.inFlight.delete(sent);
      });
    this.inFlight.add(sent);
  }

  /** Wait (bounded) for publishes still awaiting the broker's acknowledgement. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = Promise.allSettled([...this.inFlight]).then(() => true);
    const result = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return result;
  }
}
