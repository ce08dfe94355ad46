/**
 * Who owns which MQTT packet identifier on a connection.
 *
 * Two writers share one connection: mqtt.js (SUBSCRIBE, the status messages, the features' QoS 1
 * and 2 publishes) and the agent's own encoder for the readings (publish-packets.ts). A packet
 * identifier must be unique among a client's unacknowledged packets (MQTT 3.1.1 §2.3.1, MQTT 5.0
 * §2.2.1), so the 16-bit space is split in two fixed ranges: mqtt.js allocates from 1 to 16,383
 * (MqttJsPacketIds, given to it as its messageIdProvider; its default provider wraps through all
 * 65,535), the agent from 16,384 to 65,535 (AgentAcks). A PUBACK then tells by its identifier alone
 * whose it is, and the inbound framer (inbound-limit.ts) takes the agent's before mqtt.js's parser
 * sees them.
 */
import type { IClientOptions } from 'mqtt';

/** mqtt.js's packet identifier allocator (not exported from its root). */
type IMessageIdProvider = NonNullable<IClientOptions['messageIdProvider']>;

export const FIRST_AGENT_ID = 16_384;
export const LAST_AGENT_ID = 65_535;
const LAST_MQTTJS_ID = FIRST_AGENT_ID - 1;

/** mqtt.js's identifiers: 1…16,383 in turn, as its default provider does over the whole range. */
export class MqttJsPacketIds implements IMessageIdProvider {
  private nextId = 1;

  allocate(): number {
    const id = this.nextId;
    this.nextId = id === LAST_MQTTJS_ID ? 1 : id + 1;
    return id;
  }

  getLastAllocated(): number | null {
    return this.nextId === 1 ? LAST_MQTTJS_ID : this.nextId - 1;
  }

  register(_id: number): boolean {
    return true;
  }

  deallocate(_id: number): void {}

  clear(): void {}
}

/** The broker's answer to one of the agent's QoS 1 PUBLISHes: nothing on success, else why not. */
export type PublishAnswer = (error?: Error) => void;

/** PUBACK's failure reason codes (MQTT 5.0 §3.4.2.1). */
const PUBACK_REASONS: Readonly<Record<number, string>> = {
  0x80: 'Unspecified error',
  0x83: 'Implementation specific error',
  0x87: 'Not authorized',
  0x90: 'Topic Name invalid',
  0x91: 'Packet identifier in use',
  0x97: 'Quota exceeded',
  0x99: 'Payload format invalid',
};

/** A PUBACK with a reason code of 0x80 or more (MQTT 5.0 §3.4.2.1): the broker refused the message. */
export class PublishRefused extends Error {
  override readonly name = 'PublishRefused';
  constructor(readonly code: number) {
    super(`the broker refused the message: ${PUBACK_REASONS[code] ?? 'unknown reason'} (PUBACK reason code 0x${code.toString(16)})`);
  }
}

/**
 * The agent's QoS 1 PUBLISHes awaiting their PUBACK on one connection. When the connection ends
 * every one of them is answered with an error (`abandon`): its caller sends the message again on
 * the next connection, under a new identifier.
 */
export class AgentAcks {
  private readonly waiting = new Map<number, PublishAnswer>();
  private nextId = FIRST_AGENT_ID;

  /** Identifiers free for new publishes. */
  get free(): number {
    return LAST_AGENT_ID - FIRST_AGENT_ID + 1 - this.waiting.size;
  }

  /** Publishes written and not yet answered. */
  get pending(): number {
    return this.waiting.size;
  }

  static owns(id: number): boolean {
    return id >= FIRST_AGENT_ID;
  }

  /** An identifier for a new publish that `answer` is told about; the caller checked `free`. */
  allocate(answer: PublishAnswer): number {
    if (this.free === 0) throw new RangeError('no packet identifier is free');
    let id = this.nextId;
    while (this.waiting.has(id)) id = id === LAST_AGENT_ID ? FIRST_AGENT_ID : id + 1;
    this.nextId = id === LAST_AGENT_ID ? FIRST_AGENT_ID : id + 1;
    this.waiting.set(id, answer);
    return id;
  }

  /**
   * The broker's PUBACK for `id`, with its reason code (0 in MQTT 3.1.1). An identifier not waiting
   * (a broker that acknowledges twice) is ignored, as mqtt.js ignores one it does not know.
   */
  acknowledged(id: number, reasonCode: number): void {
    const answer = this.waiting.get(id);
    if (!answer) return;
    this.waiting.delete(id);
    answer(reasonCode >= 0x80 ? new PublishRefused(reasonCode) : undefined);
  }

  /** `id` was allocated for a packet that was never written: free again, nobody told. */
  release(id: number): void {
    this.waiting.delete(id);
  }

  /** The connection is gone: every publish still waiting is answered with `error`. */
  abandon(error: Error): void {
    if (this.waiting.size === 0) return;
    const answers = [...this.waiting.values()];
    this.waiting.clear();
    for (const answer of answers) answer(error);
  }
}
