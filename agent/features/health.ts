/**
 * The health report: one retained JSON document on its own topic (never the status topic, whose
 * plain online/offline is for availability consumers). Its shape is a stable, documented format
 * (README, "Health"): fields are only ever added.
 */
import type { SamplerStats } from '../sampling/sampler.js';
import type { OutboxStats } from '../publishing/outbox.js';

export interface HealthSources {
  deviceId: string;
  startedAt: number;
  now: number;
  wallNow: number;
  connected: boolean;
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
