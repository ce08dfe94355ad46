/**
 * The agent's own pipeline at its maximum rate: InstantSensor → Scheduler → Sampler → Publisher →
 * Outbox → MqttSession → the broker, QoS 1, until `readings` are acknowledged. The scheduler's
 * interval is far below what the pipeline can do, and its sleeps last one turn of the event loop
 * (a 1 ms timer would cap the run at the timer's rate, not the pipeline's); the sensor holds the next
 * sample back while a window's worth is unacknowledged (in flight or queued), exactly as the raw
 * QoS 1 loop does, so both are measured at the same depth of pipelining.
 */
import { rmSync } from 'node:fs';
import { systemClock, type Clock } from '../drivers/clock.js';
import { createLogger } from '../agent/log/logger.js';
import { MqttSession } from '../agent/mqtt/session.js';
import { Outbox } from '../agent/publishing/outbox.js';
import { Publisher } from '../agent/publishing/publisher.js';
import { Sampler } from '../agent/sampling/sampler.js';
import { Scheduler } from '../agent/sampling/scheduler.js';
import type { Quantity } from '../drivers/sensor.js';
import { benchConfig } from './bench-config.js';
import { InstantSensor } from './instant-sensor.js';

/** Real time, but a sleep ends at the next turn of the event loop. */
const freeRunning: Clock = {
  now: systemClock.now,
  wallNow: systemClock.wallNow,
  sleep: (_ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) reject(signal.reason);
      else setImmediate(resolve);
    }),
};

const QUANTITIES: Quantity[] = ['temperature', 'pressure', 'humidity', 'altitude'];

export interface PipelineOptions {
  url: string;
  queue: boolean;
  readings: number;
  window: number;
  /** "always" = fdatasync per sample (the strictest setting). */
  sync?: 'always' | 'interval';
}

export async function pipelineRate(options: PipelineOptions): Promise<number> {
  const config = benchConfig({ deviceId: `tp-${options.queue ? 'queue' : 'direct'}`, url: options.url, intervalMs: 1000, sensors: [QUANTITIES], qos: 1, queue: options.queue, window: options.window });
  if (options.sync) config.queue.sync = options.sync;
  const logger = createLogger({ level: 'warn' });
  const session = new MqttSession(config.mqtt, logger);
  const outbox = new Outbox(session, config.queue, systemClock, logger);
  outbox.open();
  session.onConnect(() => outbox.pump());
  session.start();
  await session.ready();

  const publisher = new Publisher(config.deviceId);
  // Unacknowledged readings: the backlog counts those in flight too (they stay on disk until their
  // PUBACK). Counting them twice halves the window, and a client with nothing to send when a PUBACK
  // arrives meets Mosquitto's Nagle-delayed PUBACKs and its own 40 ms delayed ACK.
  const full = (): boolean => Math.max(outbox.inFlightCount, outbox.backlog) >= options.window;
  const gate = (): Promise<void> | undefined => {
    if (!full()) return undefined;
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (full()) setImmediate(check);
        else resolve();
      };
      setImmediate(check);
    });
  };
  const sensor = new InstantSensor(QUANTITIES, gate);
  const sampler = new Sampler(config.sensors[0]!, sensor, systemClock, (sample) => outbox.submit(publisher.messages([sample])), logger);
  const scheduler = new Scheduler(freeRunning);

  const started = performance.now();
  let finished = 0;
  await new Promise<void>((resolve) => {
    scheduler.start({
      name: 'max-rate',
      intervalMs: 1e-6,
      run: async () => {
        if (outbox.stats.acknowledged >= options.readings) {
          if (!finished) finished = performance.now();
          resolve();
          // Let the stop signal in: a run that never waits would starve the event loop.
          await new Promise((r) => setImmediate(r));
          return;
        }
        await sampler.run();
      },
    });
  });
  const rate = outbox.stats.acknowledged / ((finished - started) / 1000);
  await scheduler.stop();
  await outbox.drain(5000);
  await outbox.close();
  await session.stop();
  rmSync(config.queue.dir, { recursive: true, force: true });
  return rate;
}
