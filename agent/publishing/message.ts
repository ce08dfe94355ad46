/** A message for the broker, as encoders make it and the outbox keeps, sends and replays it. */
import type { Qos } from '../config/types.js';

export interface OutgoingMessage {
  topic: string;
  /** Bytes: a format may be text (plain, JSON) or binary. */
  payload: Buffer;
  qos: Qos;
  retain: boolean;
  /** Sample time, epoch ms: for the age limit, and kept through replay. */
  ts: number;
  sensor: string;
  seq: number;
}
