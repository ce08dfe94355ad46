/**
 * The classic scenario in one command, no hardware and no broker needed: an embedded broker
 * (aedes, demo only) on a free local port, a Raspberry Pi publishing the simulated altimeter as
 * drone01, and a BeagleBone Black and a Udoo Neo printing what they receive, labelled by board.
 * The agents are the real ones, built from the example configs in config/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../../drivers/clock.js';
import { Agent } from '../agent.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log/logger.js';

export interface DemoOptions {
  /** Use this broker instead of the embedded one. */
  broker?: string;
  /** Stop after this many seconds; otherwise run until SIGINT/SIGTERM. */
  durationS?: number;
  /** Where demo lines go (default stdout). */
  write?: (line: string) => void;
  clock?: Clock;
}

const BOARDS = ['raspberry-pi', 'beaglebone-black', 'udoo-neo'] as const;

export function configPath(board: string): string {
  return fileURLToPath(new URL(`../../../config/${board}.json`, import.meta.url));
}

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

/** The demo's broker (also the fleet's when no --broker is given): aedes on a free local port. */
export async function startEmbeddedBroker(): Promise<EmbeddedBroker> {
  // Loaded only here: a board running the agent against its real broker never needs it.
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const clock = options.clock ?? systemClock;
  const embedded = options.broker ? undefined : await startEmbeddedBroker();
  const url = options.broker ?? embedded!.url;
  write(`edge-agent demo: broker ${embedded ? `embedded (aedes) at ${url}` : url}; simulated hardware. Ctrl-C to stop.\n`);

  // The demo's queues are its own, and gone when it ends: nothing is left in the user's state directory.
  const stateDir = mkdtempSync(join(tmpdir(), 'edge-agent-demo-'));
  const agents = BOARDS.map((board) => {
    const env = { EDGE_AGENT_QUEUE_DIR: join(stateDir, board) };
    const config = loadConfig({ file: configPath(board), env, args: { broker: url, simulated: true } });
    const label = `${board} ${config.deviceId}`.padEnd(24);
    const logger = createLogger({ level: 'info', sink: { write }, prefix: `[${label}] ` });
    return new Agent({ config, logger, clock, logReadings: true });
  });

  // Subscribers first, so they see the first reading.
  for (const agent of [...agents].reverse()) {
    await agent.start();
    await agent.connected();
  }

  const duration = new AbortController();
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (options.durationS !== undefined) clock.sleep(options.durationS * 1000, duration.signal).then(done, () => undefined);
  });
  duration.abort();

  write('edge-agent demo: stopping\n');
  for (const agent of agents) await agent.stop();
  await embedded?.close();
  rmSync(stateDir, { recursive: true, force: true });
}
