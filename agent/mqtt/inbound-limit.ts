/**
 * A bound on what the broker can make the agent hold in memory.
 *
 * mqtt.js's codec (mqtt-packet) buffers a whole packet before parsing it, and a PUBLISH may
 * declare up to 268,435,455 bytes (MQTT 3.1.1 §2.2.3): a broker, or anyone allowed to publish on a
 * topic the agent subscribes to, could grow the agent by a quarter of a gigabyte per message, which
 * on a 512 MB BeagleBone Black is the OOM killer. MQTT 5 lets a client announce a Maximum Packet
 * Size in CONNECT (MQTT 5.0 §3.1.2.11.4) and the session does; MQTT 3.1.1 has no such thing, and a
 * broker need not honour it anyway.
 *
 * So the bytes from the broker pass through this framer before mqtt.js sees them. It reads each
 * packet's fixed header (type and Remaining Length) and:
 *   - passes packets within the limit through untouched;
 *   - rewrites a PUBLISH over the limit as it streams in: its topic, packet identifier and (MQTT 5)
 *     properties are kept, its payload is discarded without being buffered, and mqtt.js receives
 *     the same PUBLISH with an empty payload. mqtt.js then acknowledges it as usual, so a broker
 *     does not send it again at every reconnect (closing the connection instead would have made a
 *     retained or persistent oversized message a reconnect loop). The caller is told the topic and
 *     the declared size, so the message is counted and logged as too large, never handled;
 *   - refuses what no broker may send (a packet type a server never sends, a malformed Remaining
 *     Length, an oversized control packet) by throwing MqttProtocolError: the connection is closed.
 */

import { Duplex } from 'node:stream';

/** MQTT's largest Remaining Length (four 7-bit groups, MQTT 3.1.1 §2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;
/** Control packets from a server (CONNACK, SUBACK, DISCONNECT…) are small; MQTT 5 properties included. */
export const CONTROL_PACKET_LIMIT = 65_536;
/** MQTT 5 properties of an oversized PUBLISH kept up to this size (a topic alias must survive); larger ones are dropped. */
const KEPT_PROPERTIES = 8192;

const PUBLISH = 3;
const PUBREL = 6;
/** Packet types a server sends: CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP, DISCONNECT (5), AUTH (5). */
const FROM_SERVER = new Set([2, 3, 4, 5, 6, 7, 9, 11, 13]);
const FROM_SERVER_V5 = new Set([...FROM_SERVER, 14, 15]);
const TYPE_NAMES = ['reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

export class MqttProtocolError extends Error {
  override readonly name = 'MqttProtocolError';
}

export interface OversizedPublish {
  topic: string;
  /** The packet's declared Remaining Length. */
  bytes: number;
}

export interface InboundLimitOptions {
  /** Largest Remaining Length of a PUBLISH passed on whole. */
  maxPublishBytes: number;
  protocolVersion: number;
  onOversized(publish: OversizedPublish): void;
}

type State =
  | { at: 'header' }
  | { at: 'pass'; left: number }
  | { at: 'publish-header'; first: number; remaining: number }
  | { at: 'discard'; left: number };

export class InboundLimit {
  private state: State = { at: 'header' };
  /** Bytes of a fixed header, or of an oversized PUBLISH's variable header, read so far. */
  private held: number[] = [];
  private heldBuffer: Buffer | undefined;
  private heldLength = 0;
  private readonly allowed: ReadonlySet<number>;

  constructor(private readonly options: InboundLimitOptions) {
    if (!(options.maxPublishBytes >= 0 && options.maxPublishBytes <= MAX_REMAINING_LENGTH)) throw new RangeError(`maxPublishBytes must be 0…${MAX_REMAINING_LENGTH}`);
    this.allowed = options.protocolVersion === 5 ? FROM_SERVER_V5 : FROM_SERVER;
  }

  /**
   * The bytes to hand on for `chunk`, in order. A chunk of packets within the limit comes back as
   * itself (no copy). Throws MqttProtocolError on what no server may send.
   */
  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    /** Start of a run of bytes passed through as they are. */
    let runFrom = -1;
    const endRun = (to: number): void => {
      if (runFrom >= 0 && to > runFrom) out.push(runFrom === 0 && to === chunk.length ? chunk : chunk.subarray(runFrom, to));
      runFrom = -1;
    };
    while (at < chunk.length) {
      const state = this.state;
      switch (state.at) {
        case 'pass': {
          const n = Math.min(state.left, chunk.length - at);
          if (runFrom < 0) runFrom = at;
          at += n;
          state.left -= n;
          if (state.left === 0) this.state = { at: 'header' };
          break;
        }
        case 'discard': {
          endRun(at);
          const n = Math.min(state.left, chunk.length - at);
          at += n;
          state.left -= n;
          if (state.left === 0) this.state = { at: 'header' };
          break;
        }
        case 'header': {
          // A header read whole inside this chunk is decided in place; one split across chunks is
          // held (at most 5 bytes) until its Remaining Length is known.
          const start = at;
          const header = this.readFixedHeader(chunk, at);
          at = header.next;
          if (!header.done) {
            endRun(start);
            break;
          }
          const { first, remaining } = header;
          const type = first >> 4;
          if (!this.allowed.has(type)) throw new MqttProtocolError(`the broker sent packet type ${type} (${TYPE_NAMES[type]}), which a server never sends`);
          // The flags are fixed for every type but PUBLISH (MQTT 3.1.1 §2.2.2, MQTT 5.0 §2.1.3);
          // mqtt-packet reports other flags as an error and then reads on, out of step for good.
          const flags = first & 0x0f;
          if (type === PUBLISH ? (flags & 0x06) === 0x06 : flags !== (type === PUBREL ? 0x02 : 0x00)) {
            throw new MqttProtocolError(`the broker sent a ${TYPE_NAMES[type]} packet with flags ${flags.toString(2).padStart(4, '0')}`);
          }
          if (type === PUBLISH && remaining > this.options.maxPublishBytes) {
            endRun(start);
            this.held = [];
            this.state = { at: 'publish-header', first, remaining };
            break;
          }
          if (type !== PUBLISH && remaining > CONTROL_PACKET_LIMIT) throw new MqttProtocolError(`the broker sent a ${TYPE_NAMES[type]} packet of ${remaining} bytes`);
          if (header.split) {
            // Its first bytes were held from an earlier chunk: hand them on, then this one's.
            endRun(start);
            out.push(Buffer.from(header.bytes));
          } else if (runFrom < 0) runFrom = start;
          this.state = remaining > 0 ? { at: 'pass', left: remaining } : { at: 'header' };
          break;
        }
        case 'publish-header': {
          at = this.readPublishHeader(chunk, at, state, out);
          break;
        }
      }
    }
    endRun(chunk.length);
    return out;
  }

  /** Read the fixed header from `at`, continuing one held from the last chunk. */
  private readFixedHeader(chunk: Buffer, at: number): { done: false; next: number } | { done: true; next: number; first: number; remaining: number; split: boolean; bytes: number[] } {
    const split = this.held.length > 0;
    const bytes = this.held;
    while (at < chunk.length) {
      bytes.push(chunk[at++]!);
      if (bytes.length === 1) continue;
      const byte = bytes[bytes.length - 1]!;
      if (byte & 0x80) {
        if (bytes.length === 5) throw new MqttProtocolError('the broker sent a Remaining Length of more than four bytes');
        continue;
      }
      let remaining = 0;
      for (let i = bytes.length - 1; i >= 1; i--) remaining = remaining * 128 + (bytes[i]! & 0x7f);
      this.held = [];
      return { done: true, next: at, first: bytes[0]!, remaining, split, bytes };
    }
    return { done: false, next: at };
  }

  /**
   * Collect an oversized PUBLISH's variable header (topic, packet identifier, MQTT 5 properties),
   * then hand mqtt.js that header with no payload and discard the rest as it arrives.
   */
  private readPublishHeader(chunk: Buffer, at: number, state: { first: number; remaining: number }, out: Buffer[]): number {
    const qos = (state.first >> 1) & 3;
    if (qos === 3) throw new MqttProtocolError('the broker sent a PUBLISH with QoS 3');
    const v5 = this.options.protocolVersion === 5;
    // How many bytes of variable header we need, as far as we know yet; grows as lengths are read.
    for (;;) {
      const need = this.publishHeaderNeed(qos, v5);
      if (need.bytes > state.remaining) throw new MqttProtocolError(`the broker sent a PUBLISH whose header is longer than its ${state.remaining} bytes`);
      if (need.complete) break;
      const take = Math.min(need.bytes - this.heldLength, chunk.length - at);
      if (take === 0) return at;
      this.hold(chunk.subarray(at, at + take));
      at += take;
      if (this.heldLength < need.bytes) return at;
    }
    const vh = this.heldBuffer!.subarray(0, this.heldLength);
    const topicLength = vh.readUInt16BE(0);
    const topic = vh.subarray(2, 2 + topicLength).toString('utf8');
    let kept: Buffer = vh;
    if (v5) {
      // Properties longer than we keep were not read (publishHeaderNeed stopped at their length):
      // they go with the payload, and the PUBLISH handed on says it has none.
      const idEnd = 2 + topicLength + (qos > 0 ? 2 : 0);
      if (readVarint(vh, idEnd).value > KEPT_PROPERTIES) kept = Buffer.concat([vh.subarray(0, idEnd), Buffer.from([0])]);
    }
    // The same first byte (type, DUP, QoS, RETAIN as sent), a Remaining Length for what is kept.
    out.push(Buffer.concat([Buffer.from([state.first]), encodeVarint(kept.length), kept]));
    const left = state.remaining - vh.length;
    this.heldBuffer = undefined;
    this.heldLength = 0;
    this.state = left > 0 ? { at: 'discard', left } : { at: 'header' };
    this.options.onOversized({ topic, bytes: state.remaining });
    return at;
  }

  /** Bytes of variable header needed so far, and whether that is all of it. */
  private publishHeaderNeed(qos: number, v5: boolean): { bytes: number; complete: boolean } {
    const have = this.heldLength;
    const vh = this.heldBuffer;
    if (have < 2) return { bytes: 2, complete: false };
    const idEnd = 2 + vh!.readUInt16BE(0) + (qos > 0 ? 2 : 0);
    if (!v5) return { bytes: idEnd, complete: have >= idEnd };
    if (have < idEnd + 1) return { bytes: idEnd + 1, complete: false };
    // The property length is a varint of 1–4 bytes: read it byte by byte.
    let size = 1;
    while (size <= 4 && idEnd + size <= have && vh![idEnd + size - 1]! & 0x80) size++;
    if (size > 4) throw new MqttProtocolError('the broker sent a PUBLISH with a malformed property length');
    if (idEnd + size > have) return { bytes: idEnd + size, complete: false };
    const { value } = readVarint(vh!, idEnd);
    if (value > KEPT_PROPERTIES) return { bytes: idEnd + size, complete: true };
    const end = idEnd + size + value;
    return { bytes: end, complete: have >= end };
  }

  private hold(bytes: Buffer): void {
    const needed = this.heldLength + bytes.length;
    if (!this.heldBuffer || this.heldBuffer.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, 2 * (this.heldBuffer?.length ?? 64)));
      this.heldBuffer?.copy(grown, 0, 0, this.heldLength);
      this.heldBuffer = grown;
    }
    bytes.copy(this.heldBuffer, this.heldLength);
    this.heldLength = needed;
  }
}

function readVarint(buffer: Buffer, at: number): { value: number; size: number } {
  let value = 0;
  let multiplier = 1;
  let size = 0;
  for (;;) {
    const byte = buffer[at + size]!;
    value += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    size++;
    if (!(byte & 0x80)) return { value, size };
  }
}

function encodeVarint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

/**
 * `inner` (the broker connection) with its inbound bytes passed through an InboundLimit. Writes go
 * straight to `inner`; closing either side closes both. A protocol violation destroys the stream
 * with the MqttProtocolError, which mqtt.js reports as a connection error.
 */
export class LimitedStream extends Duplex {
  private readonly limit: InboundLimit;

  constructor(
    readonly inner: Duplex,
    options: InboundLimitOptions,
  ) {
    super({ allowHalfOpen: false });
    this.limit = new InboundLimit(options);
    inner.on('data', (chunk: Buffer) => {
      let pieces: Buffer[];
      try {
        pieces = this.limit.feed(chunk);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      let more = true;
      for (const piece of pieces) more = this.push(piece) && more;
      if (!more) inner.pause();
    });
    inner.once('end', () => this.push(null));
    inner.once('error', (error) => this.destroy(error));
    inner.once('close', () => this.destroy());
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inner.write(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    // mqtt-packet corks the stream around each packet's pieces: hand them on as one write.
    this.inner.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }
}
