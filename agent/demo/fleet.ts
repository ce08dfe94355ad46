/**
 * `edge-agent demo --fleet N`: N simulated boards in one process, to load-test a broker and to
 * measure how a fleet comes back after the broker restarts (issue 16; bench/reconnect-spread.ts).
 * Each board is a real Agent built from the Raspberry Pi example config (config/raspberry-pi.json)
 * with its own device and client id (fleet-0001, fleet-0002…) and the simulated altimeter, and its
 * queue off: a reading taken while the broker is away is dropped and counted, so a board holds no
 * backlog in memory and writes nothing to disk (about 0.2 MB of RSS per board, docs/usage.md).
 */
import { systemClock, type Clock } from '../../drivers/clock.js';
import { Agent } from '../agent.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log/logger.js';
import { configPath, startEmbeddedBroker } from './demo.js';

export const FLEET_MAX = 1000;
/** Seconds between summary lines. */
export const SUMMARY_INTERVAL_S = 5;

export interface FleetOptions {
  size: number;
  /** Use this broker instead of the embedded one. */
  broker?: string;
  /** Stop after this many seconds; otherwise run until `until` resolves. */
  durationS?: number;
  /** Stop when this resolves (the CLI: SIGINT or SIGTERM). */
  until?: Promise<void>;
  /** EDGE_AGENT_* variables for every board (broker credentials, reconnect keys…). */
  env?: Record<string, string | undefined>;
  /**
   * "equal-jitter": the reconnect schedule before issue 16 (each wait between half and all of its
   * window, from a 1 s base, no spread window), so `npm run bench` can show before and after.
   */
  backoff?: 'full-jitter' | 'equal-jitter';
  write?: (line: string) => void;
  clock?: Clock;
}

export function boardId(index: number): string {
  return `fleet-${String(index + 1).padStart(4, '0')}`;
}

/** The draws of equal jitter from full jitter's formula: never below half the window. */
const equalJitterRandom = (): number => 0.5 + Math.random() / 2;

export async function runFleet(options: FleetOptions): Promise<void> {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const clock = options.clock ?? systemClock;
  const embedded = options.broker ? undefined : await startEmbeddedBroker();
  const url = options.broker ?? embedded!.url;
  const equal = options.backoff === 'equal-jitter';
  write(`edge-agent demo: a fleet of ${options.size} simulated boards (${boardId(0)}…${boardId(options.size - 1)}), broker ${embedded ? `embedded (aedes) at ${url}` : url}${equal ? ', old equal-jitter reconnects' : ''}. Ctrl-C to stop.\n`);

  // Only errors from the boards: a fleet's warnings (a lost broker) would be one line per board.
  const logger = (id: string) => createLogger({ level: 'error', sink: { write }, prefix: `[${id}] ` });
  const agents: Agent[] = [];
  for (let i = 0; i < options.size; i++) {
    const id = boardId(i);
    const env = {
      ...options.env,
      EDGE_AGENT_DEVICE_ID: id,
      EDGE_AGENT_MQTT_CLIENT_ID: id,
      EDGE_AGENT_QUEUE_ENABLED: 'false',
      ...(equal ? { EDGE_AGENT_MQTT_RECONNECT_SPREAD_MS: '0', EDGE_AGENT_MQTT_RECONNECT_PERIOD_MS: '1000' } : {}),
    };
    const config = loadConfig({ file: configPath('raspberry-pi'), env, args: { broker: url, simulated: true } });
    const agent = new Agent({ config, logger: logger(id), clock, ...(equal ? { random: equalJitterRandom } : {}) });
    agents.push(agent);
    await agent.start();
  }

  const delivered = (): number => agents.reduce((sum, a) => sum + (a.delivery?.stats.acknowledged ?? 0), 0);
  const summary = (readingsPerS: number): string => {
    const connected = agents.filter((a) => a.link?.connected).length;
    const reconnects = agents.reduce((sum, a) => sum + (a.link?.reconnects ?? 0), 0);
    const rssMb = process.memoryUsage.rss() / 2 ** 20;
    return `fleet: ${connected}/${agents.length} connected, ${readingsPerS.toFixed(0)} readings/s, ${reconnects} reconnects, rss ${rssMb.toFixed(0)} MB\n`;
  };

  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    options.until?.then(() => resolve());
    if (options.durationS !== undefined) clock.sleep(options.durationS * 1000, stop.signal).then(() => resolve(), () => undefined);
  });
  void stopped.then(() => stop.abort());
  let last = { at: clock.now(), delivered: delivered() };
  while (!stop.signal.aborted) {
    await clock.sleep(SUMMARY_INTERVAL_S * 1000, stop.signal).catch(() => undefined);
    if (stop.signal.aborted) break;
    const now = { at: clock.now(), delivered: delivered() };
    write(summary(((now.delivered - last.delivered) * 1000) / Math.max(1, now.at - last.at)));
    last = now;
  }

  write('edge-agent demo: stopping the fleet\n');
  // Together: each agent's stop is bounded (5 s), so the fleet's is too.
  await Promise.all(agents.map((agent) => agent.stop()));
  await embedded?.close();
  write(`edge-agent demo: fleet stopped, ${delivered()} readings delivered\n`);
}
