/**
 * A scripted MQTT peer, in the spirit of the playback I2C bus: it answers CONNECT, PUBLISH,
 * SUBSCRIBE and PINGREQ byte by byte (MQTT 3.1.1 §3.2, §3.4, §3.9, §3.13), and a test scripts
 * everything else, including what no honest broker would send.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

/** Splits a byte stream into MQTT control packets (fixed header, variable-length remaining length). */
export function splitPackets(socket: Socket, onPacket: (type: number, flags: number, body: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < pending.length && i <= 4; i++) {
        length += (pending[i]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((pending[i]! & 0x80) === 0) break;
      }
      if (i >= pending.length || pending.length < i + 1 + length) return;
      const body = pending.subarray(i + 1, i + 1 + length);
      onPacket(pending[0]! >> 4, pending[0]! & 0x0f, body);
      pending = pending.subarray(i + 1 + length);
    }
  });
}

export interface ScriptedBroker {
  port: number;
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): void;
}

export interface Script {
  /** MQTT 5 peers: CONNACK with an (empty) property length, SUBACK likewise. */
  mqtt5?: boolean;
  /** The CONNACK's bytes instead of the default (a refusal, MQTT 5 properties); empty: close without one. */
  connack?(connection: number, connect: Buffer): Buffer;
  /** Called once CONNACK has been sent. */
  connected?(socket: Socket, connection: number): void;
  /** SUBACK return code for a topic filter (default: the QoS asked for). */
  grant?(topic: string, qos: number): number;
  /** Called once the client's SUBSCRIBE has been answered. */
  subscribed?(socket: Socket, connection: number): void;
}

/** Remaining Length bytes (MQTT 3.1.1 §2.2.3). */
export function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** A QoS 0 PUBLISH packet (MQTT 3.1.1 §3.3). */
export function publishPacket(topic: string, payload: string | Buffer): Buffer {
  const t = Buffer.from(topic);
  const p = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(2 + t.length + p.length), Buffer.from([t.length >> 8, t.length & 0xff]), t, p]);
}

export function scriptedBroker(script: Script = {}): Promise<ScriptedBroker> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    splitPackets(socket, (type, flags, body) => {
      if (type === 1) {
        const connack = script.connack?.(connection, body) ?? Buffer.from(script.mqtt5 ? [0x20, 0x03, 0x00, 0x00, 0x00] : [0x20, 0x02, 0x00, 0x00]); // CONNACK accepted
        if (connack.length === 0) {
          socket.destroy();
          return;
        }
        socket.write(connack);
        if (connack[3] !== 0) return; // refused: the client closes
        script.connected?.(socket, connection);
      }
      if (type === 3 && ((flags >> 1) & 3) === 1) {
        const topicLength = body.readUInt16BE(0);
        socket.write(Buffer.from([0x40, 0x02, body[2 + topicLength]!, body[3 + topicLength]!])); // PUBACK
      }
      if (type === 8) {
        const codes: number[] = [];
        for (let at = script.mqtt5 ? 3 + body[2]! : 2; at < body.length; ) {
          const length = body.readUInt16BE(at);
          const topic = body.subarray(at + 2, at + 2 + length).toString('utf8');
          const qos = body[at + 2 + length]!;
          codes.push(script.grant ? script.grant(topic, qos) : qos);
          at += 3 + length;
        }
        const properties = script.mqtt5 ? [0x00] : [];
        socket.write(Buffer.from([0x90, 2 + properties.length + codes.length, body[0]!, body[1]!, ...properties, ...codes])); // SUBACK
        script.subscribed?.(socket, connection);
      }
      if (type === 12) socket.write(Buffer.from([0xd0, 0x00])); // PINGRESP
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `mqtt://127.0.0.1:${port}`,
        connections: () => connections,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    }),
  );
}
