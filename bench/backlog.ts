/**
 * An outage of 100,000 readings: the outbox takes them while its session has never connected (what
 * it sees during an outage: `connected` false), with resident memory sampled as they pile up; then
 * the session connects and the backlog is replayed from disk, window by window, until the last
 * PUBACK. Run in a process of its own so its RSS is its own.
 */
import { rmSync } from 'node:fs';
import { systemClock } from '../drivers/clock.js';
import { createLogger } from '../agent/log/logger.js';
import { MqttSession } from '../agent/mqtt/session.js';
import { Outbox } from '../agent/publishing/outbox.js';
import { Publisher } from '../agent/publishing/publisher.js';
import type { MeasurementConfig } from '../agent/config/types.js';
import type { Sample } from '../agent/sampling/reading.js';
import type { Quantity } from '../drivers/sensor.js';
import { benchConfig } from './bench-config.js';
import { memoryKb } from './stats.js';

const QUANTITIES: Quantity[] = ['temperature', 'pressure', 'humidity', 'altitude'];

export interface BacklogResult {
  readings: number;
  /** VmRSS when the first tenth was queued and when all were, MB. */
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  queueMb: number;
  replayPerS: number;
  /** VmRSS just before the replay (the outage's steady state) and its peak during the replay, MB. */
  rssBeforeReplayMb?: number;
  rssReplayMaxMb?: number;
}

export async function measureBacklog(url: string, readings: number, window: number): Promise<BacklogResult> {
  const config = benchConfig({ deviceId: 'backlog', url, intervalMs: 1000, sensors: [QUANTITIES], qos: 1, queue: true, window });
  config.queue.maxBytes = 1024 * 1024 * 1024;
  const logger = createLogger({ level: 'warn' });
  const session = new MqttSession(config.mqtt, logger);
  const outbox = new Outbox(session, config.queue, systemClock, logger);
  outbox.open();
  const publisher = new Publisher(config.deviceId);
  const sensorConfig = config.sensors[0]!;
  const measurementOf = (q: Quantity): MeasurementConfig => {
    const m = sensorConfig.measurements[q];
    if (!m) throw new Error(`bench config has no ${q} measurement`);
    return m;
  };
  const rss: number[] = [];
  const samples = readings / QUANTITIES.length;
  for (let seq = 1; seq <= samples; seq++) {
    const ts = Date.now();
    const sample: Sample = {
      sensor: sensorConfig.name, seq, ts,
      readings: QUANTITIES.map((q) => ({ quantity: q, value: 100 + (seq % 100) / 10, unit: measurementOf(q).unit, measurement: measurementOf(q) })),
    };
    outbox.submit(publisher.messages([sample]));
    // A turn of the event loop every few samples, as ticks would give (but ~10^4 times faster).
    if (seq % 25 === 0) await new Promise((r) => setImmediate(r));
    if (seq % (samples / 10) === 0) {
      rss.push(memoryKb('self').rssKb / 1024);
    }
  }
  const queueMb = outbox.queueBytes / 1024 / 1024;
  session.onConnect(() => outbox.pump());
  session.start();
  await session.ready();
  const rssBeforeReplayMb = memoryKb('self').rssKb / 1024;
  let rssReplayMaxMb = rssBeforeReplayMb;
  const started = performance.now();
  while (outbox.backlog > 0) {
    await new Promise((r) => setTimeout(r, 5));
    rssReplayMaxMb = Math.max(rssReplayMaxMb, memoryKb('self').rssKb / 1024);
  }
  const replayPerS = readings / ((performance.now() - started) / 1000);
  await outbox.close();
  await session.stop();
  rmSync(config.queue.dir, { recursive: true, force: true });
  return { readings, rssStartMb: rss[0]!, rssEndMb: rss.at(-1)!, rssMaxMb: Math.max(...rss), queueMb, replayPerS, rssBeforeReplayMb, rssReplayMaxMb };
}
