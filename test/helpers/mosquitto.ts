/**
 * A real Mosquitto for one test: its own config file, a free port on 127.0.0.1, no persistence
 * unless asked. Tests never use the machine's broker on 1883.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { tempDir } from './temp-dir.js';

export function findBinary(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} not found: install it (apt-get install -y mosquitto mosquitto-clients)`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  /** What the broker logged (for failure messages). */
  log(): string;
  stop(): Promise<void>;
  /** Start again on the same port with the same config (for outage tests). */
  restart(): Promise<void>;
  /** Stop the broker (an outage) without removing its directory; `resume` starts it again. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** kill -9: no goodbye to its clients, nothing more saved; `resume` starts it again. */
  kill(): Promise<void>;
}

export interface MosquittoOptions {
  /** Extra mosquitto.conf lines for this listener (TLS, passwords, ACL…). */
  config?: string[];
  persistence?: boolean;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = findBinary('mosquitto');
  const dir = tempDir('mosquitto');
  // Started as root, mosquitto drops to its own user: it must be able to write its database here,
  // or a restart silently forgets every persistent session (and the test would blame the agent).
  if (options.persistence) chmodSync(dir, 0o777);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      'per_listener_settings false',
      `listener ${port} 127.0.0.1`,
      ...(options.config ?? ['allow_anonymous true']),
      `persistence ${options.persistence ? 'true' : 'false'}`,
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    const proc = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}:\n${output}`);
      if (await accepts(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`mosquitto did not listen on ${port} within 5 s:\n${output}`);
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    kill,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    log: () => output,
    restart: async () => {
      await halt();
      await launch();
    },
    pause: halt,
    resume: launch,
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One broker for the tests of a describe block: started before them, stopped after. Read
 * `.broker` inside a test (it does not exist before the block's `before` hook has run).
 */
export function useMosquitto(options: MosquittoOptions = {}): { readonly broker: Mosquitto } {
  let broker: Mosquitto | undefined;
  before(async () => {
    broker = await startMosquitto(options);
  });
  after(async () => {
    await broker?.stop();
  });
  return {
    get broker(): Mosquitto {
      if (!broker) throw new Error('the broker starts in a before hook: use it inside a test');
      return broker;
    },
  };
}
