/**
 * A message as a record of the disk queue (the segment log frames it with its length and CRC).
 * Binary, so a payload may be any bytes, and compact, since an SD card writes every byte of it:
 *
 *   offset 0   1 byte    version: 1
 *          1   1 byte    QoS (bits 0–1), retain (bit 2)
 *          2   8 bytes   sample time, epoch ms (float64, big-endian)
 *         10   8 bytes   sequence number (float64, big-endian: exact to 2^53)
 *         18   2 bytes   sensor name length n (big-endian), then n bytes of UTF-8
 *              2 bytes   topic length t (big-endian), then t bytes of UTF-8
 *              the rest  payload
 *
 * Records written before payloads were bytes are JSON objects ({"t","p","q","r","ts","s","n"},
 * starting with "{", which no binary record does): they are still read, so a queue left by an
 * earlier version is delivered after an upgrade.
 */
import type { Qos } from '../config/types.js';
import type { OutgoingMessage } from './message.js';

const VERSION = 1;
const FIXED = 18;

export function encodeRecord(message: OutgoingMessage): Buffer {
  const sensorBytes = Buffer.byteLength(message.sensor);
  const topicBytes = Buffer.byteLength(message.topic);
  if (sensorBytes > 0xffff || topicBytes > 0xffff) throw new RangeError(`a queue record's sensor name and topic are at most 65535 bytes each: ${message.topic.slice(0, 60)}`);
  const record = Buffer.allocUnsafe(FIXED + 2 + sensorBytes + 2 + topicBytes + message.payload.length);
  record[0] = VERSION;
  record[1] = message.qos | (message.retain ? 4 : 0);
  record.writeDoubleBE(message.ts, 2);
  record.writeDoubleBE(message.seq, 10);
  let at = FIXED;
  record.writeUInt16BE(sensorBytes, at);
  at += 2 + record.write(message.sensor, at + 2);
  record.writeUInt16BE(topicBytes, at);
  at += 2 + record.write(message.topic, at + 2);
  message.payload.copy(record, at);
  return record;
}

/** The layout of records written before version 1. */
interface JsonRecord {
  t: string;
  p: string;
  q: Qos;
  r: 0 | 1;
  ts: number;
  s: string;
  n: number;
}

export function decodeRecord(record: Buffer): OutgoingMessage {
  if (record[0] === 0x7b) {
    const s = JSON.parse(record.toString('utf8')) as JsonRecord;
    return { topic: s.t, payload: Buffer.from(s.p), qos: s.q, retain: s.r === 1, ts: s.ts, sensor: s.s, seq: s.n };
  }
  if (record[0] !== VERSION || record.length < FIXED + 4) throw new RangeError(`not a queue record (version ${record[0]}, ${record.length} bytes)`);
  const sensorEnd = FIXED + 2 + record.readUInt16BE(FIXED);
  if (sensorEnd + 2 > record.length) throw new RangeError(`a queue record cut short (${record.length} bytes)`);
  const topicEnd = sensorEnd + 2 + record.readUInt16BE(sensorEnd);
  if (topicEnd > record.length) throw new RangeError(`a queue record cut short (${record.length} bytes)`);
  const sensor = record.toString('utf8', FIXED + 2, sensorEnd);
  const topic = record.toString('utf8', sensorEnd + 2, topicEnd);
  return {
    topic,
    // A view, not a copy: the segment log's read-ahead chunks are never reused.
    payload: record.subarray(topicEnd),
    qos: (record[1]! & 3) as Qos,
    retain: (record[1]! & 4) !== 0,
    ts: record.readDoubleBE(2),
    sensor,
    seq: record.readDoubleBE(10),
  };
}
