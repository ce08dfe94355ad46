/**
 * The discovery configs the broker holds for this device, as it tells them: the feature subscribes
 * to this device's discovery topics, the broker sends what it has retained, and every later change
 * (the agent's own announcements and removals included) comes by the same subscription. So what
 * the agent once announced is known from the broker, the truth Home Assistant reads too, and not
 * from a record on disk that a new SD card or a wiped state directory would lose.
 *
 * Bounded: a broker (or a client allowed to publish there) can send any number of messages, so at
 * most `maxTopics` topics and `maxBytes` of topic text are kept; what is over is counted and left.
 */
export interface RetainedLimits {
  maxTopics: number;
  maxBytes: number;
}

export const RETAINED_LIMITS: RetainedLimits = { maxTopics: 1024, maxBytes: 256 * 1024 };

export class RetainedConfigs {
  private readonly held = new Set<string>();
  private bytes = 0;
  /** Configs not kept for the limits. */
  overflow = 0;

  constructor(private readonly limits: RetainedLimits = RETAINED_LIMITS) {}

  /** A message on one of the device's discovery topics: an empty payload removes, any other holds. */
  note(topic: string, payload: Buffer): 'held' | 'removed' | 'over' | 'known' {
    if (payload.length === 0) {
      if (this.held.delete(topic)) this.bytes -= topic.length;
      return 'removed';
    }
    if (this.held.has(topic)) return 'known';
    if (this.held.size >= this.limits.maxTopics || this.bytes + topic.length > this.limits.maxBytes) {
      this.overflow++;
      return 'over';
    }
    this.held.add(topic);
    this.bytes += topic.length;
    return 'held';
  }

  get topics(): string[] {
    return [...this.held];
  }
}
