/**
 * Payload formats. An encoder turns a sample's readings (those whose measurement is published in
 * its format) into messages with Buffer payloads: one message per reading, as both formats here
 * do, or one for the whole sample (a grouped JSON object, InfluxDB line protocol, Sparkplug B).
 * A new format is one encoder in ENCODERS and its name in the config's `format` list.
 * - `plain`: the number as text (`100`), what dashboards and `mosquitto_sub` users expect;
 * - `json`: value, unit, time and sequence number, for consumers that need to detect gaps.
 */
import type { PayloadFormat, Qos } from '../config/types.js';
import type { Reading, Sample } from '../sampling/reading.js';
import type { OutgoingMessage } from './message.js';

/** The topic a reading of a sample is published on (its measurement's template, filled). */
export type TopicOf = (sample: Sample, reading: Reading) => string;

export interface Encoder {
  /** Append the messages for `readings` (some or all of `sample`'s) to `out`. */
  encode(sample: Sample, readings: readonly Reading[], topicOf: TopicOf, out: OutgoingMessage[]): void;
}

/** A format with one message per reading, on the reading's topic with its QoS and retain flag. */
function perReading(payload: (sample: Sample, reading: Reading) => Buffer): Encoder {
  return {
    encode(sample, readings, topicOf, out) {
      for (const reading of readings) {
        const { qos, retain } = reading.measurement;
        out.push({ topic: topicOf(sample, reading), payload: payload(sample, reading), qos, retain, ts: sample.ts, sensor: sample.sensor, seq: sample.seq });
      }
    },
  };
}

export const ENCODERS: Record<PayloadFormat, Encoder> = {
  // A number's text is ASCII: written as latin1, the cheaper copy.
  plain: perReading((_sample, reading) => Buffer.from(String(reading.value), 'latin1')),
  json: perReading((sample, reading) => Buffer.from(JSON.stringify({ value: reading.value, unit: reading.unit, ts: new Date(sample.ts).toISOString(), seq: sample.seq }))),
};

/** One message the session says itself, on the status topic. */
export interface StatusMessage {
  payload: Buffer;
  qos: Qos;
  retain: boolean;
}

/**
 * What the status topic says: `online` on every connection, and `offline` at a clean stop and as
 * the last will, which the broker publishes for an agent that dies without saying goodbye. A format
 * with its own birth and death messages (Sparkplug B's NBIRTH and NDEATH) gives its own.
 */
export interface Availability {
  topic: string;
  online: StatusMessage;
  offline: StatusMessage;
}

/** Retained `online` / `offline` at QoS 1: what availability consumers (Home Assistant) read. */
export function plainAvailability(topic: string): Availability {
  return {
    topic,
    online: { payload: Buffer.from('online'), qos: 1, retain: true },
    offline: { payload: Buffer.from('offline'), qos: 1, retain: true },
  };
}
