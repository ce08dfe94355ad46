/**
 * Turns the readings of one sample into MQTT messages: topic from the measurement's template,
 * payload in its format, its QoS and retain flag. Delivery (disk, window, acknowledgements) is the
 * outbox's job; this module only decides what is said where.
 */
import type { Quantity } from '../../drivers/sensor.js';
import type { MeasurementConfig } from '../config/types.js';
import type { Reading } from '../sampling/reading.js';
import { encodePayload } from './payload.js';
import type { OutgoingMessage } from './outbox.js';
import type { PublishableReading } from '../sampling/sampler.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../template.js';

export class Publisher {
  /**
   * Topics depend only on the config: each is rendered once, then found by the measurement's
   * config entry and the sensor's name (an entry may be shared by sensors cloned from one
   * template). Not by a key string built per reading: that concatenation and its hashing were a
   * tenth of a tick's JavaScript at 20 Hz (README "Performance"). The loader makes one entry per
   * quantity; an entry shared between quantities (a config built by hand) is rendered each time.
   */
  private readonly topics = new Map<MeasurementConfig, Map<string, { quantity: Quantity; topic: string }>>();

  constructor(private readonly deviceId: string) {}

  topicFor(reading: Reading, measurement: MeasurementConfig): string {
    let bySensor = this.topics.get(measurement);
    if (bySensor === undefined) this.topics.set(measurement, (bySensor = new Map()));
    const known = bySensor.get(reading.sensor);
    if (known?.quantity === reading.measurement) return known.topic;
    const topic = fillTemplate(measurement.topic, TOPIC_PLACEHOLDERS, { deviceId: this.deviceId, sensor: reading.sensor, measurement: reading.measurement }, { strict: true });
    if (known === undefined) bySensor.set(reading.sensor, { quantity: reading.measurement, topic });
    return topic;
  }

  messages(readings: readonly PublishableReading[]): OutgoingMessage[] {
    return readings.map(({ reading, measurement }) => ({
      topic: this.topicFor(reading, measurement),
      payload: encodePayload(reading, measurement.format),
      qos: measurement.qos,
      retain: measurement.retain,
      ts: reading.ts,
      sensor: reading.sensor,
      seq: reading.seq,
    }));
  }
}
