/**
 * Turns the readings of one sample into MQTT messages: topic from the measurement's template,
 * payload in its format, its QoS and retain flag. Delivery (disk, window, acknowledgements) is the
 * outbox's job; this module only decides what is said where.
 */
import type { Reading } from './reading.js';
import { encodePayload } from './payload.js';
import type { OutgoingMessage } from './outbox.js';
import type { PublishableReading } from './sampler.js';
import { renderTopic } from './topic.js';

export class Publisher {
  /** Topics depend only on the config: render each once, not on every sample. */
  private readonly topics = new Map<string, string>();

  constructor(private readonly deviceId: string) {}

  topicFor(reading: Reading, template: string): string {
    const key = `${reading.sensor}\u0000${reading.measurement}\u0000${template}`;
    let topic = this.topics.get(key);
    if (topic === undefined) {
      topic = renderTopic(template, { deviceId: this.deviceId, sensor: reading.sensor, measurement: reading.measurement });
      this.topics.set(key, topic);
    }
    return topic;
  }

  messages(readings: readonly PublishableReading[]): OutgoingMessage[] {
    return readings.map(({ reading, measurement }) => ({
      topic: this.topicFor(reading, measurement.topic),
      payload: encodePayload(reading, measurement.format),
      qos: measurement.qos,
      retain: measurement.retain,
      ts: reading.ts,
      sensor: reading.sensor,
      seq: reading.seq,
    }));
  }
}
