/**
 * Payload formats. An encoder turns a sample's readings (those whose measurement is published in
 * its format) into messages with Buffer payloads: one message per reading, as both formats here
 * do, or one for the whole sample (a grouped JSON object, InfluxDB line protocol, Sparkplug B).
 * A new format is one encoder in ENCODERS and its name in the config's `format` list.
 * - `plain`: the number as text (`100`), what dashboards and `mosquitto_sub` users expect;
 * - `json`: value, unit, time and sequence number, for consumers that need to detect gaps.
 * A sensor with layout `per-sample` goes to SAMPLE_ENCODER instead: one JSON object per sample.
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

/** Where a per-sample sensor's one message goes, and how: fixed by the sensor's config (publisher.ts). */
export interface SampleDestination {
  topic: string;
  qos: Qos;
  retain: boolean;
}

/**
 * Layout `per-sample`: the whole sample as one JSON object, `{"ts":1764028800000,"seq":7,
 * "temperature":21.5,"pressure":101325}`, as Tasmota's `tele/<topic>/SENSOR` message and Telegraf's
 * JSON serializer group a reading's fields. `ts` is epoch milliseconds (UTC): a number any
 * consumer parses without a date parser, exact, and cheaper to write than ISO 8601 text. Units
 * are not repeated in every message: they are the configuration's, and Home Assistant discovery
 * and the docs say them. The measurements' names are the quantities (never `ts` or `seq`), in the
 * readings' order; their values are already rounded (sampling/units.ts). A value that is not
 * finite (which the range check refuses before it gets here) is left out rather than written as
 * JSON's `null` or as the invalid `NaN`; a sample with nothing left gives no message.
 */
export const SAMPLE_ENCODER = {
  encode(sample: Sample, readings: readonly Reading[], to: SampleDestination, out: OutgoingMessage[]): void {
    // Built as text: the keys are fixed names and the values numbers, so nothing needs escaping,
    // and one string is cheaper per tick than an object for JSON.stringify to walk.
    let fields = '';
    for (const reading of readings) if (Number.isFinite(reading.value)) fields += `,"${reading.quantity}":${reading.value}`;
    if (fields === '') return;
    const payload = Buffer.from(`{"ts":${sample.ts},"seq":${sample.seq}${fields}}`, 'latin1');
    out.push({ topic: to.topic, payload, qos: to.qos, retain: to.retain, ts: sample.ts, sensor: sample.sensor, seq: sample.seq });
  },
};
