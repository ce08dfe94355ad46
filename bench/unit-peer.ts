/**
 * The agent as its systemd unit runs it: `node FLAGS dist/agent/cli.js run --config FILE` (the
 * flags of the CLI's shebang, which the unit's ExecStart repeats), NOTIFY_SOCKET pointing at a
 * datagram socket with a listener (so READY and every WATCHDOG=1 ping cost what they cost under
 * systemd, and are counted), WATCHDOG_USEC from the unit's WatchdogSec, NODE_ENV from its
 * Environment=. The sensors are the simulated I2C chips `i2c.simulated` gives: the real drivers,
 * over a bus that answers in memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeNotifySocket, type FakeNotifySocket } from '../test/helpers/fake-notify-socket.js';
import { tempDir } from './bench-config.js';
import { agentNodeFlags } from './node-flags.js';

const CLI = fileURLToPath(new URL('../agent/cli.js', import.meta.url));
const UNIT = fileURLToPath(new URL('../../systemd/edge-agent.service', import.meta.url));

/** The unit's WatchdogSec, in µs as systemd hands it over (WATCHDOG_USEC). */
export function unitWatchdogUsec(unitText: string): number {
  const match = /^WatchdogSec=(\d+)\s*$/m.exec(unitText);
  if (!match) throw new Error('the systemd unit has no WatchdogSec=N line');
  return Number(match[1]) * 1_000_000;
}

/** The unit's Environment= assignments. */
export function unitEnvironment(unitText: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, key, value] of unitText.matchAll(/^Environment=(\w+)=(\S*)\s*$/gm)) env[key!] = value!;
  return env;
}

export interface UnitPeer {
  child: ChildProcess;
  notify: FakeNotifySocket;
  /** WATCHDOG=1 messages received so far. */
  pings(): number;
  stop(): Promise<void>;
}

/**
 * Start the CLI on `config` (a parsed configuration file, changed as the caller needs); resolves
 * once it said READY=1. `nodeFlags`: the shebang's unless comparing others.
 */
export async function startUnitPeer(name: string, config: Record<string, unknown>, nodeFlags: string[] = agentNodeFlags()): Promise<UnitPeer> {
  const dir = tempDir(`unit-${name}`);
  const file = join(dir, 'agent.json');
  writeFileSync(file, JSON.stringify({ ...config, queue: { ...(config.queue as object | undefined), dir: join(dir, 'queue') } }));
  const unit = readFileSync(UNIT, 'utf8');
  const notify = await startFakeNotifySocket();
  const child = spawn(process.execPath, [...nodeFlags, CLI, 'run', '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...unitEnvironment(unit), NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: String(unitWatchdogUsec(unit)) },
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    notify.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await notify.waitFor((messages) => messages.some((m) => m.split('\n').includes('READY=1')), `READY=1 from ${name}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, notify, pings: () => notify.messages().filter((m) => m.split('\n').includes('WATCHDOG=1')).length, stop };
}
