/**
 * Real brokers for the tests that must hold on every broker a fleet may use, behind one interface:
 * Mosquitto, NATS's MQTT listener (JetStream on), RabbitMQ's MQTT plugin (its own node, its own
 * epmd port: the machine's RabbitMQ and epmd are never touched) and aedes (in this process). Each
 * is started by the test on free ports with its own files, and can be killed the way the field
 * kills things (SIGKILL: no goodbye to its clients, nothing flushed) and started again.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { accepts, findBinary, freePort, startMosquitto } from './mosquitto.js';
import { tempDir } from './temp-dir.js';

export type BrokerKind = 'mosquitto' | 'nats' | 'rabbitmq' | 'aedes';

export interface TestBroker {
  readonly kind: BrokerKind;
  readonly url: string;
  readonly port: number;
  /** What each speaks: NATS 2.9, RabbitMQ 3.10 and aedes only MQTT 3.1.1. */
  readonly mqtt5: boolean;
  /** Highest QoS it takes from a publisher (NATS and RabbitMQ 3.10: 1). */
  readonly maxQos: 1 | 2;
  /** kill -9 (aedes: every client socket reset and the listener gone, nothing said). */
  kill(): Promise<void>;
  /** Start again on the same port after kill(). */
  start(): Promise<void>;
  /** Stop it and remove everything it wrote. */
  stop(): Promise<void>;
  log(): string;
}

export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean, what: () => string): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    if (!alive()) throw new Error(`${what()}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms:\n${what()}`);
}

export async function startBroker(kind: BrokerKind): Promise<TestBroker> {
  switch (kind) {
    case 'mosquitto': {
      const m = await startMosquitto();
      return { kind, url: m.url, port: m.port, mqtt5: true, maxQos: 2, kill: m.kill, start: m.resume, stop: m.stop, log: m.log };
    }
    case 'nats':
      return startNats();
    case 'rabbitmq':
      return startRabbitMq();
    case 'aedes':
      return startAedes();
  }
}

/** A child process started again and again with the same command, its output kept. */
export class Daemon {
  child: ChildProcess | undefined;
  output = '';

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  launch(): void {
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.env });
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child = child;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}

async function startNats(): Promise<TestBroker> {
  const dir = tempDir('nats');
  const [port, clientPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'nats.conf');
  // NATS's MQTT listener needs JetStream (it keeps sessions and QoS 1 messages in streams).
  writeFileSync(conf, [`server_name: edge-test-${port}`, `listen: 127.0.0.1:${clientPort}`, `jetstream { store_dir: "${dir}/js" }`, `mqtt { listen: 127.0.0.1:${port} }`, ''].join('\n'));
  const daemon = new Daemon(findBinary('nats-server'), ['-c', conf]);
  const start = async (): Promise<void> => {
    daemon.launch();
    await waitForPort(port, 15_000, () => daemon.alive, () => `nats-server exited:\n${daemon.output}`);
  };
  await start();
  return {
    kind: 'nats', url: `mqtt://127.0.0.1:${port}`, port, mqtt5: false, maxQos: 1,
    kill: () => daemon.kill(),
    start,
    stop: async () => {
      await daemon.kill();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => daemon.output,
  };
}

/**
 * RabbitMQ as a node of its own: its own name, ports, data and epmd port (ERL_EPMD_PORT), so the
 * machine's RabbitMQ and its epmd on 4369 are left alone. As root, rabbitmq-server runs the node as
 * the rabbitmq user, so its directory is handed to that user. A cold start takes about 12 s here.
 */
async function startRabbitMq(): Promise<TestBroker> {
  const dir = tempDir('rabbitmq');
  const [port, amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const node = `edgetest${port}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), [`listeners.tcp.default = 127.0.0.1:${amqpPort}`, `mqtt.listeners.tcp.default = 127.0.0.1:${port}`, 'mqtt.allow_anonymous = true', 'loopback_users = none', ''].join('\n'));
  writeFileSync(join(dir, 'env.conf'), '');
  if (userInfo().uid === 0) {
    const owner = statSync('/var/lib/rabbitmq');
    chownSync(dir, owner.uid, owner.gid);
    for (const name of readdirSync(dir)) chownSync(join(dir, name), owner.uid, owner.gid);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'env.conf'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    RABBITMQ_QUORUM_DIR: join(dir, 'quorum'),
    RABBITMQ_STREAM_DIR: join(dir, 'stream'),
  };
  const daemon = new Daemon(findBinary('rabbitmq-server'), [], env);
  /** The Erlang VM (beam.smp) of our node: rabbitmq-server runs it under another user, so the child we spawned is not it. */
  const beamPid = (): number | undefined => {
    try {
      return Number(readFileSync(join(dir, 'pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const start = async (): Promise<void> => {
    rmSync(join(dir, 'pid'), { force: true });
    daemon.launch();
    await waitForPort(port, 60_000, () => daemon.alive, () => `rabbitmq-server exited:\n${daemon.output}`);
  };
  const kill = async (): Promise<void> => {
    const pid = beamPid();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      for (let i = 0; i < 100 && alivePid(pid); i++) await new Promise((r) => setTimeout(r, 50));
    }
    await daemon.kill();
  };
  await start();
  return {
    kind: 'rabbitmq', url: `mqtt://127.0.0.1:${port}`, port, mqtt5: false, maxQos: 1,
    kill,
    start,
    stop: async () => {
      await kill();
      // The epmd our node started, on its own port: told to go the documented way.
      spawnSync('epmd', ['-kill'], { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => daemon.output,
  };
}

function alivePid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** aedes, the demo's broker, in this process: MQTT 3.1.1 only, sessions in memory. */
async function startAedes(): Promise<TestBroker> {
  const { Aedes } = await import('aedes');
  const port = await freePort();
  let server: Server | undefined;
  let broker: Awaited<ReturnType<typeof Aedes.createBroker>> | undefined;
  const sockets = new Set<Socket>();
  const start = async (): Promise<void> => {
    broker = await Aedes.createBroker();
    const s = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      broker!.handle(socket);
    });
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
  };
  const kill = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const socket of sockets) socket.resetAndDestroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    // The broker object goes with its "process": nothing it held survives, as with a real crash.
    broker?.close();
    broker = undefined;
  };
  await start();
  const address = server!.address() as AddressInfo;
  return { kind: 'aedes', url: `mqtt://127.0.0.1:${address.port}`, port: address.port, mqtt5: false, maxQos: 2, kill, start, stop: kill, log: () => '' };
}
