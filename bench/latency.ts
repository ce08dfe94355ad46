/**
 * Reading taken on a publisher agent → handled by a subscriber agent, through the broker. The
 * sensor stamps each read (performance.now()); the subscriber's "received" log line is the
 * observable reaction (until rules and outputs land, it is what a subscriber does), stamped by a
 * logger that records instead of printing. Both agents share this process and its clock.
 */
import { Agent } from '../agent/agent.js';
import type { LogFields, Logger } from '../agent/logger.js';
import { benchConfig } from './bench-config.js';
import { instantHardware } from './instant-sensor.js';
import { distribution, type Distribution } from './stats.js';

const WARMUP = 20;

function reactionLogger(onReceived: (payload: string) => void): Logger {
  const logger: Logger = {
    error: () => {},
    warn: () => {},
    info: (message: string, fields?: LogFields) => {
      if (message === 'received' && typeof fields?.payload === 'string') onReceived(fields.payload);
    },
    debug: () => {},
    child: () => logger,
    enabled: (level) => level !== 'debug',
  };
  return logger;
}

export async function measureLatency(url: string, samples: number, intervalMs: number): Promise<Distribution> {
  const latencies: number[] = [];
  let readTimes: number[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscriberConfig = benchConfig({ deviceId: 'lat-sub', url, intervalMs, sensors: [], qos: 0, queue: false, role: 'subscriber', subscriptions: [{ topic: 'bench/lat-pub/#', qos: 0 }] });
  const subscriber = new Agent({
    config: subscriberConfig,
    logger: reactionLogger((payload) => {
      const at = performance.now();
      const seq = (JSON.parse(payload) as { seq: number }).seq;
      const readAt = readTimes[seq - 1];
      // The first samples may wait in the queue for the publisher's connection: not steady state.
      if (readAt !== undefined && seq > WARMUP && latencies.length < samples) latencies.push(at - readAt);
      if (latencies.length === samples) done();
    }),
  });
  await subscriber.start();
  await subscriber.connected();
  await new Promise((r) => setTimeout(r, 200)); // the SUBACK

  const publisherConfig = benchConfig({ deviceId: 'lat-pub', url, intervalMs, sensors: [['altitude', 'temperature', 'pressure']], qos: 0, queue: true, format: 'json' });
  // Altitude alone, as the classic scenario publishes it (the config rules want its inputs measured).
  for (const q of ['temperature', 'pressure'] as const) {
    const m = publisherConfig.sensors[0]!.measurements[q];
    if (m) m.enabled = false;
  }
  const hardware = instantHardware(publisherConfig, [['temperature', 'pressure', 'altitude']], undefined, true);
  readTimes = hardware.instant[0]!.readTimes;
  const publisher = new Agent({ config: publisherConfig, logger: reactionLogger(() => {}), hardware });
  await publisher.start();
  await Promise.race([finished, new Promise((r) => setTimeout(r, samples * intervalMs * 3 + 5000))]);
  await publisher.stop();
  await subscriber.stop();
  return distribution(latencies);
}
