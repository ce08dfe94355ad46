/**
 * Reading taken on a publisher agent → the subscriber agent's output pin changes, through the
 * broker. The publisher's altitude alternates across a rule's threshold, so every reading flips
 * the subscriber's LED (a rule with an else branch, on a simulated GPIO whose history stamps each
 * electrical change with the same clock the sensor stamps its reads with: both agents share this
 * process). A change is matched to the last read before it, so the interval (20 ms) bounds what
 * can be attributed; the changes counted show that none were missed.
 */
import { Agent } from '../agent/agent.js';
import { rmSync } from 'node:fs';
import { loadConfig } from '../agent/config/load-config.js';
import { createLogger } from '../agent/log/logger.js';
import { systemClock } from '../drivers/clock.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { benchConfig, tempDir } from './bench-config.js';
import { instantHardware } from './instant-sensor.js';
import { distribution, type Distribution } from './stats.js';

const WARMUP = 20;
const THRESHOLD_M = 125;

export interface LatencyResult extends Distribution {
  readings: number;
  changes: number;
}

export async function measureLatency(url: string, samples: number, intervalMs: number): Promise<LatencyResult> {
  const logger = createLogger({ level: 'error' });
  const gpio = new SimulatedGpio({ clock: systemClock });
  const subscriberConfig = loadConfig({
    file: 'bench:lat-sub',
    text: JSON.stringify({
      deviceId: 'lat-sub',
      board: 'raspberry-pi',
      role: 'subscriber',
      mqtt: { url },
      queue: { dir: tempDir('lat-sub') },
      health: { intervalS: 0 },
      gpio: { simulated: true },
      outputs: [{ name: 'led', pin: '17' }],
      rules: [
        {
          name: 'high',
          topic: 'bench/lat-pub/s0/altitude',
          condition: { atLeast: THRESHOLD_M },
          actions: [{ type: 'output', output: 'led', state: 'on' }],
          elseActions: [{ type: 'output', output: 'led', state: 'off' }],
        },
      ],
    }),
  });
  const subscriber = new Agent({ config: subscriberConfig, logger, gpio });
  await subscriber.start();
  await subscriber.connected();
  await new Promise((r) => setTimeout(r, 200)); // the SUBACK

  const publisherConfig = benchConfig({ deviceId: 'lat-pub', url, intervalMs, sensors: [['altitude', 'temperature', 'pressure']], qos: 0, queue: true });
  // Altitude alone, as the classic scenario publishes it (the config rules want its inputs measured).
  for (const q of ['temperature', 'pressure'] as const) {
    const m = publisherConfig.sensors[0]!.measurements[q];
    if (m) m.enabled = false;
  }
  const hardware = instantHardware(publisherConfig, [['temperature', 'pressure', 'altitude']], undefined, true, (n) => (n % 2 === 0 ? THRESHOLD_M + 5 : THRESHOLD_M - 5));
  const reads = hardware.instant[0]!.readTimes;
  const publisher = new Agent({ config: publisherConfig, logger, hardware });
  const firstChange = gpio.history.length;
  await publisher.start();
  const until = performance.now() + (samples + WARMUP) * intervalMs * 3 + 5000;
  while (reads.length < samples + WARMUP + 2 && performance.now() < until) await new Promise((r) => setTimeout(r, intervalMs));
  await publisher.stop();
  await new Promise((r) => setTimeout(r, 100));
  await subscriber.stop();
  for (const dir of [publisherConfig.queue.dir, subscriberConfig.queue.dir]) rmSync(dir, { recursive: true, force: true });

  const latencies: number[] = [];
  let r = 0;
  const changes = gpio.history.slice(firstChange);
  for (const change of changes) {
    while (r + 1 < reads.length && reads[r + 1]! <= change.at) r++;
    // The first readings may wait in the queue for the publisher's connection: not steady state.
    if (r >= WARMUP && reads[r]! <= change.at && latencies.length < samples) latencies.push(change.at - reads[r]!);
  }
  return { ...distribution(latencies), readings: reads.length, changes: changes.length };
}
