/**
 * A tick's PUBLISH packets, QoS 0 and QoS 1, encoded into one buffer for one socket write.
 *
 * At the sampling rates of a board (tens of readings a second) an agent's cost is wake-ups and
 * writes, not bytes: mqtt.js's publish() builds a packet object, keeps it in its outgoing store,
 * writes each packet to the socket in four pieces through its codec's stream, and the caller pays a
 * promise per message on top; each PUBACK then goes through mqtt.js's parser and store again. The
 * readings the outbox sends skip all of it: one buffer for the tick, and the PUBACKs of the QoS 1
 * ones taken by the inbound framer under identifiers mqtt.js never uses (packet-ids.ts).
 * docs/performance.md measures what that saves.
 *
 * Wire format: MQTT 3.1.1 §3.3 and MQTT 5.0 §3.3 (which adds a Property Length, here 0). A QoS 1
 * packet carries its identifier after the topic; DUP is 0, because a message sent again after a lost
 * connection goes under a new identifier as a new PUBLISH (§4.4 allows it for QoS 1).
 */

export interface WirePublish {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: 0 | 1 | 2;
}

/** MQTT's Remaining Length is at most four 7-bit groups (MQTT 3.1.1 §2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : 4;
}

/**
 * The packets for `messages`, in order, as one buffer; `packetIds[i]` is the identifier of
 * `messages[i]` if it is QoS 1. Throws if a packet would exceed MQTT's limits, or for QoS 2 (which
 * needs the PUBREC/PUBREL/PUBCOMP exchange, left to mqtt.js).
 */
export function encodePublishes(messages: readonly WirePublish[], protocolVersion: number, packetIds?: ArrayLike<number>): Buffer {
  const properties = protocolVersion === 5 ? 1 : 0; // Property Length 0: no properties
  const lengths = new Array<number>(messages.length);
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    const { topic, payload, qos } = messages[i]!;
    if (qos > 1) throw new RangeError(`the agent's encoder writes QoS 0 and 1, not ${qos}`);
    if (qos === 1 && !(packetIds && packetIds[i]! > 0 && packetIds[i]! <= 0xffff)) throw new RangeError(`a QoS 1 PUBLISH needs a packet identifier: ${topic.slice(0, 60)}`);
    const topicBytes = Buffer.byteLength(topic);
    if (topicBytes > 0xffff) throw new RangeError(`MQTT topic is ${topicBytes} bytes, over the 65535 a topic may have: ${topic.slice(0, 60)}…`);
    const remaining = 2 + topicBytes + (qos === 1 ? 2 : 0) + properties + payload.length;
    if (remaining > MAX_REMAINING_LENGTH) throw new RangeError(`MQTT packet for ${topic} would be ${remaining} bytes, over MQTT's limit of ${MAX_REMAINING_LENGTH}`);
    lengths[i] = remaining;
    total += 1 + varintSize(remaining) + remaining;
  }
  const buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const { topic, payload, retain, qos } = messages[i]!;
    buffer[at++] = 0x30 | (qos << 1) | (retain ? 1 : 0); // PUBLISH, DUP 0
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
    if (qos === 1) at = buffer.writeUInt16BE(packetIds![i]!, at);
    if (properties) buffer[at++] = 0;
    at += payload.copy(buffer, at);
  }
  return buffer;
}
