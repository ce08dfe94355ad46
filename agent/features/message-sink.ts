/** Where the subscriber-mode features publish: the MQTT session in the agent, a list in tests. */
import type { PublishOptions } from '../mqtt/session.js';

export interface MessageSink {
  publish(topic: string, payload: string, options: PublishOptions): Promise<void>;
  /** False while the broker is away (the session); absent = always connected (tests). */
  readonly connected?: boolean;
}

/** Publish without holding up the caller; a failure is logged, never thrown. */
export function publishQuietly(sink: MessageSink, topic: string, payload: string, options: PublishOptions, onError: (error: string) => void): Promise<void> {
  return sink.publish(topic, payload, options).catch((error: unknown) => onError(error instanceof Error ? error.message : String(error)));
}
