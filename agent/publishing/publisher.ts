/**
 * Turns a tick's samples into MQTT messages: each reading goes to its measurement's format's
 * encoder (encoders.ts), which gives the topic, the payload, its QoS and retain flag; a sensor with
 * layout `per-sample` has its whole sample encoded as one message (SAMPLE_ENCODER). Delivery
 * (disk, window, acknowledgements) is the outbox's job; this module only decides what is said where.
 */
import type { Quantity } from '../../drivers/sensor.js';
import { DEFAULT_SAMPLE_TOPIC } from '../config/sensor-schema.js';
import type { MeasurementConfig, PayloadFormat, Qos, SensorConfig } from '../config/types.js';
import type { Reading, Sample } from '../sampling/reading.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../template.js';
import { ENCODERS, SAMPLE_ENCODER, type SampleDestination, type TopicOf } from './encoders.js';
import type { OutgoingMessage } from './message.js';

export class Publisher {
  /**
   * Topics depend only on the config: each is rendered once, then found by the measurement's
   * config entry and the sensor's name (an entry may be shared by sensors cloned from one
   * template). Not by a key string built per reading: that concatenation and its hashing were a
   * tenth of a tick's JavaScript at 20 Hz (README "Performance"). The loader makes one entry per
   * quantity; an entry shared between quantities (a config built by hand) is rendered each time.
   */
  private readonly topics = new Map<MeasurementConfig, Map<string, { quantity: Quantity; topic: string }>>();

  /** The per-sample sensors by name: where their one message per sample goes. */
  private readonly perSample = new Map<string, SampleDestination>();

  /** `sensors`: their layouts (absent or per-measurement: one message per reading). */
  constructor(private readonly deviceId: string, sensors: readonly SensorConfig[] = []) {
    for (const sensor of sensors) {
      if (sensor.layout === 'per-sample') this.perSample.set(sensor.name, sampleDestination(deviceId, sensor));
    }
  }

  readonly topicOf: TopicOf = (sample, reading) => {
    let bySensor = this.topics.get(reading.measurement);
    if (bySensor === undefined) this.topics.set(reading.measurement, (bySensor = new Map()));
    const known = bySensor.get(sample.sensor);
    if (known?.quantity === reading.quantity) return known.topic;
    const topic = fillTemplate(reading.measurement.topic, TOPIC_PLACEHOLDERS, { deviceId: this.deviceId, sensor: sample.sensor, measurement: reading.quantity }, { strict: true });
    if (known === undefined) bySensor.set(sample.sensor, { quantity: reading.quantity, topic });
    return topic;
  };

  /** The messages of `samples`, in order: sample by sample, reading by reading. */
  messages(samples: readonly Sample[]): OutgoingMessage[] {
    const out: OutgoingMessage[] = [];
    for (const sample of samples) {
      const { readings } = sample;
      if (readings.length === 0) continue;
      const destination = this.perSample.size === 0 ? undefined : this.perSample.get(sample.sensor);
      if (destination !== undefined) {
        SAMPLE_ENCODER.encode(sample, readings, destination, out);
        continue;
      }
      const format = oneFormat(readings);
      if (format !== undefined) ENCODERS[format].encode(sample, readings, this.topicOf, out);
      else for (const reading of readings) ENCODERS[reading.measurement.format].encode(sample, [reading], this.topicOf, out); // formats mixed: keep the readings' order
    }
    return out;
  }
}

/** The format all `readings` are published in; undefined when they mix formats. A loop, not every(): no closure per sample. */
function oneFormat(readings: readonly Reading[]): PayloadFormat | undefined {
  const format = readings[0]!.measurement.format;
  for (let i = 1; i < readings.length; i++) if (readings[i]!.measurement.format !== format) return undefined;
  return format;
}

/**
 * A per-sample sensor's topic, QoS and retain flag, from its config, not from the readings a
 * sample happens to hold (filters hold some back): every message of the sensor is said alike. The
 * highest QoS of its enabled measurements, so none is delivered with less care than it asked
 * for; retained if any of them is, so a retained measurement's last value stays on the broker.
 */
function sampleDestination(deviceId: string, sensor: SensorConfig): SampleDestination {
  let qos: Qos = 0;
  let retain = false;
  for (const m of Object.values(sensor.measurements)) {
    if (m === undefined || !m.enabled) continue;
    if (m.qos > qos) qos = m.qos;
    retain ||= m.retain;
  }
  return { topic: sampleTopic(deviceId, sensor), qos, retain };
}

/** The topic a per-sample sensor's messages go to (Home Assistant's discovery reads it too). */
export function sampleTopic(deviceId: string, sensor: SensorConfig): string {
  return fillTemplate(sensor.sampleTopic ?? DEFAULT_SAMPLE_TOPIC, TOPIC_PLACEHOLDERS, { deviceId, sensor: sensor.name }, { strict: true });
}
