/**
 * The health report: one retained JSON document on its own topic (never the status topic, whose
 * plain online/offline is for availability consumers), every `health.intervalS`, while the broker
 * is there. Its shape is a stable, documented format (README, "Health"): fields are only ever added.
 */
import type { Clock } from '../../drivers/clock.js';
import type { HealthConfig } from '../config/types.js';
import type { PublishOptions } from '../mqtt/session.js';
import type { OutboxStats } from '../publishing/outbox.js';
import type { SamplerStats } from '../sampling/sampler.js';
import { Scheduler, type SchedulerHooks } from '../sampling/scheduler.js';
import type { Feature } from './feature.js';

export interface HealthSources {
  deviceId: string;
  startedAt: number;
  now: number;
  wallNow: number;
  connected: boolean;
  /** The broker connected to (or being tried), password masked. */
  server?: string;
  reconnects: number;
  outbox: { stats: OutboxStats; backlog: number; queueBytes: number; queueRecords: number } | undefined;
  sensors: ReadonlyArray<{ name: string; stats: SamplerStats }>;
  lastError: string;
}

export interface HealthReport {
  deviceId: string;
  ts: string;
  uptimeS: number;
  connected: boolean;
  /** The broker (one of mqtt.url's servers) connected to, or being tried when not connected. */
  server: string | null;
  reconnects: number;
  readings: {
    taken: number;
    published: number;
    acknowledged: number;
    buffered: number;
    dropped: { queueFull: number; expired: number; offline: number; refused: number; diskFull: number };
    /** Records found torn on disk at start (a power cut mid-write). */
    lost: number;
  };
  queue: { bytes: number; records: number };
  sensors: Record<string, { samples: number; errors: number; retries: number; reinits: number; resets: number; rejected: number; skipped: number; lastError: string | null }>;
  lastError: string | null;
}

export function healthReport(s: HealthSources): HealthReport {
  const stats = s.outbox?.stats;
  return {
    deviceId: s.deviceId,
    ts: new Date(s.wallNow).toISOString(),
    uptimeS: Math.floor((s.now - s.startedAt) / 1000),
    connected: s.connected,
    server: s.server || null,
    reconnects: s.reconnects,
    readings: {
      taken: stats?.submitted ?? 0,
      published: stats?.sent ?? 0,
      acknowledged: stats?.acknowledged ?? 0,
      buffered: s.outbox?.backlog ?? 0,
      dropped: { ...(stats?.dropped ?? { queueFull: 0, expired: 0, offline: 0, refused: 0, diskFull: 0 }) },
      lost: stats?.lost ?? 0,
    },
    queue: { bytes: s.outbox?.queueBytes ?? 0, records: s.outbox?.queueRecords ?? 0 },
    sensors: Object.fromEntries(
      s.sensors.map(({ name, stats: st }) => [
        name,
        { samples: st.samples, errors: st.errors, retries: st.retries, reinits: st.reinits, resets: st.resets, rejected: st.rejected, skipped: st.skipped, lastError: st.lastError || null },
      ]),
    ),
    lastError: s.lastError || null,
  };
}

/** What the health feature reads its figures from. */
export interface HealthOptions {
  config: HealthConfig;
  deviceId: string;
  session: {
    readonly connected: boolean;
    readonly server?: string;
    readonly reconnects: number;
    readonly lastError: string;
    publish(topic: string, payload: string, options: PublishOptions): Promise<void>;
  };
  clock: Clock;
  /** Monotonic ms at which the agent started. */
  startedAt: number;
  outbox: () => HealthSources['outbox'];
  sensors: () => HealthSources['sensors'];
  /** A feature that failed to start, if any ('' when none did). */
  featureError: () => string;
  /** How a late or failing report is logged (the agent's, shared with its sampling tasks). */
  hooks: SchedulerHooks;
}

export class Health implements Feature {
  readonly name = 'health';
  private scheduler: Scheduler | undefined;
  /** Ends a report's wait for its acknowledgement at stop: a broker that never answers must not hold the stop. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: HealthOptions) {}

  report(): HealthReport {
    const { session, clock, sensors } = this.options;
    const samplers = sensors();
    return healthReport({
      deviceId: this.options.deviceId,
      startedAt: this.options.startedAt,
      now: clock.now(),
      wallNow: clock.wallNow(),
      connected: session.connected,
      ...(session.server !== undefined ? { server: session.server } : {}),
      reconnects: session.reconnects,
      outbox: this.options.outbox(),
      sensors: samplers,
      lastError: session.lastError || this.options.featureError() || [...samplers].reverse().find((s) => s.stats.lastError)?.stats.lastError || '',
    });
  }

  async start(): Promise<void> {
    const intervalMs = this.options.config.intervalS * 1000;
    this.scheduler = new Scheduler(this.options.clock, this.options.hooks);
    this.scheduler.start({ name: 'health', intervalMs, run: () => this.publish(intervalMs) });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.scheduler?.stop();
  }

  private async publish(intervalMs: number): Promise<void> {
    const { session, clock, config } = this.options;
    if (!session.connected) return; // retained: the next one after reconnecting says it all
    // Bounded by the interval: a broker that never acknowledges must not stop the reports.
    const answered = new AbortController();
    await Promise.race([
      session.publish(config.topic, JSON.stringify(this.report()), { qos: 1, retain: true }).catch(() => undefined),
      clock.sleep(intervalMs, AbortSignal.any([answered.signal, this.stopping.signal])).catch(() => undefined),
    ]);
    answered.abort();
  }
}
