/**
 * A tick's QoS 0 PUBLISH packets, encoded into one buffer for one socket write.
 *
 * At the sampling rates of a board (tens of readings a second) an agent's cost is wake-ups and
 * writes, not bytes: mqtt.js's publish() builds a packet object, writes each packet to the socket
 * in four pieces, and the caller pays a promise per message on top. One buffer for the whole tick
 * does the same on the wire for about an eighth less CPU per reading, side by side (README
 * "Performance"). QoS 0 only: there is no packet identifier to allocate and no acknowledgement to
 * track, so mqtt.js keeps no state about these packets (its 'packetsend' event does not see them).
 *
 * Wire format: MQTT 3.1.1 §3.3 and MQTT 5.0 §3.3 (which adds a Property Length, here 0).
 */

export interface Qos0Publish {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** MQTT's Remaining Length is at most four 7-bit groups (MQTT 3.1.1 §2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : 4;
}

/** The packets for `messages`, in order, as one buffer. Throws if a packet would exceed MQTT's limits. */
export function encodeQos0Publishes(messages: readonly Qos0Publish[], protocolVersion: number): Buffer {
  const properties = protocolVersion === 5 ? 1 : 0; // Property Length 0: no properties
  const lengths = new Array<number>(messages.length);
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    const { topic, payload } = messages[i]!;
    const topicBytes = Buffer.byteLength(topic);
    if (topicBytes > 0xffff) throw new RangeError(`MQTT topic is ${topicBytes} bytes, over the 65535 a topic may have: ${topic.slice(0, 60)}…`);
    const remaining = 2 + topicBytes + properties + payload.length;
    if (remaining > MAX_REMAINING_LENGTH) throw new RangeError(`MQTT packet for ${topic} would be ${remaining} bytes, over MQTT's limit of ${MAX_REMAINING_LENGTH}`);
    lengths[i] = remaining;
    total += 1 + varintSize(remaining) + remaining;
  }
  const buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const { topic, payload, retain } = messages[i]!;
    buffer[at++] = retain ? 0x31 : 0x30; // PUBLISH, DUP 0, QoS 0
    let remaining = lengths[i]!;
    do {
      let byte = remaining & 0x7f;
      remaining >>>= 7;
      if (remaining > 0) byte |= 0x80;
      buffer[at++] = byte;
    } while (remaining > 0);
    const topicBytes = buffer.write(topic, at + 2);
    buffer.writeUInt16BE(topicBytes, at);
    at += 2 + topicBytes;
    if (properties) buffer[at++] = 0;
    at += payload.copy(buffer, at);
  }
  return buffer;
}
