/**
 * The discovery configs the broker holds for this device, as it tells them: the feature subscribes
 * to this device's discovery topics, the broker sends what it has retained, and every later change
 * (the agent's own announcements and removals included) comes by the same subscription. So what
 * the agent once announced is known from the broker, the truth Home Assistant reads too, and not
 * from a record on disk that a new SD card or a wiped state directory would lose.
 *
 * Bounded: a broker (or a client allowed to publish there) can send any number of messages, so at
 * most `maxTopics` topics and `maxBytes` of topic text are kept; what is over is counted and left.
 *
 * Only configs that say they are this device's are held (its `edge-agent_<deviceId>` identifier in
 * `device.identifiers`, as every version of the agent writes it): another tool that happens to use
 * the same node id (a monitor named after the host, as the device often is) keeps its entities.
 */
export interface RetainedLimits {
  maxTopics: number;
  maxBytes: number;
}

export const RETAINED_LIMITS: RetainedLimits = { maxTopics: 1024, maxBytes: 256 * 1024 };

/** Whether a discovery payload names `identifier` among its device's identifiers (full or abbreviated keys). */
export function claimsDevice(payload: Buffer, identifier: string): boolean {
  let config: unknown;
  try {
    config = JSON.parse(payload.toString('utf8'));
  } catch {
    return false;
  }
  if (typeof config !== 'object' || config === null) return false;
  const fields = config as Record<string, unknown>;
  const device = Object.hasOwn(fields, 'device') ? fields.device : Object.hasOwn(fields, 'dev') ? fields.dev : undefined;
  if (typeof device !== 'object' || device === null) return false;
  const ids = Object.hasOwn(device, 'identifiers') ? (device as Record<string, unknown>).identifiers : Object.hasOwn(device, 'ids') ? (device as Record<string, unknown>).ids : undefined;
  return ids === identifier || (Array.isArray(ids) && ids.includes(identifier));
}

export class RetainedConfigs {
  private readonly held = new Set<string>();
  private bytes = 0;
  /** Configs not kept for the limits. */
  overflow = 0;

  /** `owner`: the device identifier a config must carry to be held; undefined holds every config. */
  constructor(
    private readonly limits: RetainedLimits = RETAINED_LIMITS,
    private readonly owner?: string,
  ) {}

  /** A message on one of the device's discovery topics: an empty payload or another device's config removes, this device's holds. */
  note(topic: string, payload: Buffer): 'held' | 'removed' | 'over' | 'known' | 'foreign' {
    if (payload.length === 0 || (this.owner !== undefined && !claimsDevice(payload, this.owner))) {
      if (this.held.delete(topic)) this.bytes -= topic.length;
      return payload.length === 0 ? 'removed' : 'foreign';
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
