/**
 * The outbox's side of a broker session, faked: publishes wait until the test acknowledges, fails or
 * rejects them, so ordering, the window, replay and loss accounting are checked exactly.
 */
import type { QueueConfig } from '../../agent/config/types.js';
import type { OutgoingMessage } from '../../agent/publishing/message.js';
import type { BrokerLink } from '../../agent/publishing/outbox.js';
import type { Qos0Publish } from '../../agent/mqtt/publish-packets.js';

/** A link whose publishes wait until the test acknowledges (or fails) them. */
export class FakeLink implements BrokerLink {
  connected = true;
  /** `payload` as text; `bytes` as sent. */
  readonly sent: Array<{ topic: string; payload: string; bytes: Buffer; qos: number; ack: () => void; fail: () => void; reject: (error: Error) => void }> = [];

  /** False: the connection is up but cannot take a write now (a backed-up socket). */
  takesWrites = true;
  /** Sizes of the QoS 0 batches written. */
  readonly batches: number[] = [];

  writeQos0(messages: readonly Qos0Publish[]): boolean {
    if (!this.connected || !this.takesWrites) return false;
    this.batches.push(messages.length);
    for (const { topic, payload } of messages) this.sent.push({ topic, payload: payload.toString(), bytes: payload, qos: 0, ack: () => undefined, fail: () => undefined, reject: () => undefined });
    return true;
  }

  publish(topic: string, payload: Buffer, options: { qos: 0 | 1 | 2 }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sent.push({ topic, payload: payload.toString(), bytes: payload, qos: options.qos, ack: resolve, fail: () => reject(new Error('Connection closed')), reject });
    });
  }

  /** The connection drops: every publish in flight rejects, as MqttSession makes them (abandonInFlight). */
  async drop(): Promise<void> {
    this.connected = false;
    for (const s of this.sent.splice(0)) s.fail();
    await new Promise((r) => setImmediate(r));
  }

  async ackAll(): Promise<void> {
    for (const s of this.sent.splice(0)) s.ack();
    await new Promise((r) => setImmediate(r));
  }

  /** Acknowledge window after window until nothing more is sent; what went out, in order. */
  async deliverAll(show: (s: { qos: number; payload: string }) => string = (s) => s.payload): Promise<string[]> {
    const delivered: string[] = [];
    while (this.sent.length > 0) {
      delivered.push(...this.sent.map(show));
      await this.ackAll();
    }
    return delivered;
  }
}

export function queueConfig(dir: string, overrides: Partial<QueueConfig> = {}): QueueConfig {
  return { enabled: true, dir, sync: 'interval', syncIntervalMs: 60_000, maxBytes: 1 << 20, segmentBytes: 4096, maxAgeS: 0, window: 4, qos0: 'buffer', ...overrides };
}

export function message(seq: number, qos: 0 | 1 = 1, ts = Date.UTC(2026, 10, 24, 10)): OutgoingMessage {
  return { topic: 'sensors/d/altitude', payload: Buffer.from(String(seq)), qos, retain: false, ts, sensor: 'altimeter', seq };
}

