#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1 --heap-growing-percent=10
// A 1 MB young generation (V8's default grows to 16 MB): measured by `npm run bench`, the agent's
// peak RSS drops ~15 MB and its CPU per reading does not rise (README "Performance"). env -S needs
// coreutils >= 8.30, which every distribution able to run Node 20 has (glibc >= 2.28).
// --heap-growing-percent=10: the old generation's next collection comes when it has grown 10 %
// past what was live, not V8's default factor: a replay promotes short-lived messages (in flight
// for a round trip) into it, and RSS rose ~30 MB before each collection; with it, ~6 MB, and the
// CPU per reading at 7 x 20 Hz did not change measurably (docs/performance.md).
/**
 * `edge-agent`: the entry point, and the one place that reads the environment, handles signals
 * and opens hardware (through hardware.ts). Exit statuses follow sysexits: 64 usage, 69 hardware
 * unavailable, 78 configuration (systemd's RestartPreventExitStatus=78 stops restart loops on it).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
// Each command imports what only it needs when it runs (hardware, probe, demo, tail): `run`, the
// long-lived one, then holds no code it never calls (README Performance: RSS).
import { systemClock } from '../drivers/clock.js';
import { hex } from '../drivers/i2c/i2c-bus.js';
import { ConfigError, formatProblem } from './config/config-error.js';
import { EXIT, isHardwareUnavailable } from './exit-status.js';
import { QueueDirError } from './publishing/queue-errors.js';
import { loadConfig } from './config/load-config.js';
import type { AgentConfig } from './config/types.js';
import { version } from './version.js';
import { createLogger, type Logger } from './log/logger.js';
import { createNotifier, watchdogIntervalMs } from './service/sd-notify.js';
import { Service } from './service/service.js';
import type { BatchSink } from './sampling/sample-group.js';

class UsageError extends Error {}

const COMMANDS: Record<string, { summary: string; usage: string; options: ParseArgsConfig['options'] }> = {
  run: {
    summary: 'sample the sensors and publish, and/or react to subscriptions, until stopped',
    usage: 'edge-agent run --config FILE [--broker URL] [--simulate] [--log-level LEVEL]   (SIGHUP re-reads FILE)',
    options: { config: { type: 'string', short: 'c' }, broker: { type: 'string' }, simulate: { type: 'boolean' }, 'log-level': { type: 'string' } },
  },
  'check-config': {
    summary: 'validate a configuration file and list every problem',
    usage: 'edge-agent check-config FILE',
    options: { config: { type: 'string', short: 'c' } },
  },
  read: {
    summary: 'read the sensors and print one JSON object per reading (no broker needed)',
    usage: 'edge-agent read --config FILE [--count N] [--simulate] [--record FILE]',
    options: { config: { type: 'string', short: 'c' }, count: { type: 'string', short: 'n' }, simulate: { type: 'boolean' }, record: { type: 'string' }, 'log-level': { type: 'string' } },
  },
  probe: {
    summary: 'scan an I2C bus and name the chips it recognises by their ID registers',
    usage: 'edge-agent probe [--bus N] [--config FILE] [--simulate]',
    options: { bus: { type: 'string', short: 'b' }, config: { type: 'string', short: 'c' }, simulate: { type: 'boolean' } },
  },
  tail: {
    summary: 'show live readings, status and health of every agent seen (plain lines when not a terminal)',
    usage: 'edge-agent tail [--broker URL] [FILTER…]   (default filter sensors/#)',
    options: { broker: { type: 'string' } },
  },
  demo: {
    summary: 'the classic scenario on simulated hardware: a Pi publishes altitude, a BeagleBone Black and a Udoo Neo receive it',
    usage: 'edge-agent demo [--broker URL] [--duration SECONDS] [--fleet N]   (--fleet: N simulated boards, 1…1000, to load-test a broker)',
    options: { broker: { type: 'string' }, duration: { type: 'string', short: 'd' }, fleet: { type: 'string' }, backoff: { type: 'string' } },
  },
};

function mainHelp(): string {
  const lines = ['usage: edge-agent COMMAND [OPTIONS]', '', 'commands:'];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(13)} ${command.summary}`);
  lines.push('', "Run 'edge-agent COMMAND --help' for a command's options.", 'Environment: EDGE_AGENT_* variables override config keys (see README).');
  return lines.join('\n');
}

type Values = Record<string, string | boolean | undefined>;

function parse(command: string, argv: string[]): { values: Values; positionals: string[] } {
  const spec = COMMANDS[command]!;
  try {
    const parsed = parseArgs({ args: argv, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\nusage: ${spec.usage}`);
  }
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number ≥ 0, got '${value}'`);
  return n;
}

function configFrom(values: Values, positionals: string[], command: string): AgentConfig {
  const file = (values.config as string | undefined) ?? positionals[0];
  if (!file) throw new UsageError(`a configuration file is needed\nusage: ${COMMANDS[command]!.usage}`);
  const logLevel = values['log-level'] as string | undefined;
  return loadConfig({
    file,
    env: process.env,
    args: {
      ...(values.broker !== undefined ? { broker: values.broker as string } : {}),
      ...(values.simulate ? { simulated: true } : {}),
      ...(logLevel !== undefined ? { logLevel } : {}),
    },
  });
}

/** The agent's own stop deadline (5 s, agent.ts) and some room. */
const STOP_BACKSTOP_MS = 8000;

function loggerFor(level: AgentConfig['log']['level']): Logger {
  const journal = Boolean(process.env.JOURNAL_STREAM);
  return createLogger({ level, journal, ...(journal ? {} : { now: systemClock.wallNow }) });
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('run', argv);
  if (values.help) return help('run');
  // Under systemd: sd_notify, the watchdog and SIGHUP reloads (agent/service/service.ts).
  const notifier = createNotifier({ env: process.env, onError: (error) => service.logger?.warn('systemd notify failed', { error: error.message }) });
  const service: Service = new Service({
    load: () => configFrom(values, positionals, 'run'),
    logger: (config) => loggerFor(config.log.level),
    notifier,
    watchdogMs: watchdogIntervalMs(process.env, process.pid),
  });
  let signalled = false;
  const stop = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    service.logger?.info('signal received', { signal });
    // The agent bounds each step of its stop (5 s in all); this backstop holds even if something
    // unforeseen does not, so systemd never has to escalate to SIGKILL after TimeoutStopSec.
    void systemClock.sleep(STOP_BACKSTOP_MS).then(() => {
      service.logger?.error('stop overran its deadline; exiting anyway', { deadlineMs: STOP_BACKSTOP_MS });
      process.exit(EXIT.failure);
    });
    void service.stop().then(() => process.exit(EXIT.ok));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    service.reload().catch((error: unknown) => {
      service.logger?.error('reload failed and the previous configuration could not be restarted', { error: error instanceof Error ? error.message : String(error) });
      process.exit(EXIT.failure);
    });
  });
  await service.start();
  return new Promise<number>(() => undefined); // runs until a signal
}

async function read(argv: string[]): Promise<number> {
  const { values, positionals } = parse('read', argv);
  if (values.help) return help('read');
  const config = configFrom(values, positionals, 'read');
  const count = positiveInt(values.count as string | undefined, 'count', 1);
  const logger = loggerFor(config.log.level);
  const record = values.record as string | undefined;
  const { openHardware } = await import('./hardware.js');
  const { Sampling } = await import('./sampling/sampling.js');
  const hardware = await openHardware(config, systemClock, record ? { recordTo: record } : {});
  let failures = 0;
  try {
    // The pipeline `run` uses (sampling/sampling.ts): the same retries, range check, units,
    // filters and rounding; a sample that fails is counted by its sampler and logged by it.
    const print: BatchSink = (samples) => {
      for (const { sensor, ts, readings } of samples) {
        for (const r of readings) process.stdout.write(JSON.stringify({ sensor, measurement: r.quantity, value: r.value, unit: r.unit, ts: new Date(ts).toISOString() }) + '\n');
      }
    };
    const { samplers } = new Sampling(hardware.sensors, systemClock, print, logger);
    for (const sampler of samplers) await sampler.init(); // a sensor that cannot come up ends the command
    const interval = Math.min(...samplers.map((s) => s.intervalMs));
    for (let i = 0; i < count; i++) {
      if (i > 0) await systemClock.sleep(interval);
      for (const sampler of samplers) {
        const taken = sampler.stats.samples;
        await sampler.run();
        if (sampler.stats.samples === taken) failures++;
      }
    }
  } finally {
    for (const { sensor } of hardware.sensors) await sensor.halt().catch(() => undefined);
    await hardware.close();
    if (record) logger.info('transcript written', { file: record });
  }
  return failures > 0 ? EXIT.failure : EXIT.ok;
}

async function probeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('probe', argv);
  if (values.help) return help('probe');
  let config: AgentConfig;
  if (values.config !== undefined || positionals[0] !== undefined) {
    config = configFrom(values, positionals, 'probe');
  } else {
    // No config: the simulated bus gets the classic altimeter at 0x76; a real bus is just opened.
    config = loadConfig({ text: JSON.stringify(PROBE_DEFAULT), env: {}, args: values.simulate ? { simulated: true } : {} });
  }
  if (values.bus !== undefined) config = { ...config, i2c: { ...config.i2c, bus: positiveInt(values.bus as string, 'bus', 1) } };
  const { openBus } = await import('./hardware.js');
  const { probe } = await import('../drivers/probe.js');
  const bus = await openBus(config, systemClock);
  try {
    const found = await probe(bus);
    const where = config.i2c.simulated ? 'simulated bus' : `/dev/i2c-${config.i2c.bus}`;
    if (found.length === 0) process.stdout.write(`no known chip found on ${where}\n`);
    for (const chip of found) {
      process.stdout.write(`${where} ${hex(chip.address)}: ${chip.chip} (id ${hex(chip.id)})${chip.supported ? '' : ' — not supported yet'}\n`);
    }
  } finally {
    await bus.close();
  }
  return EXIT.ok;
}

const PROBE_DEFAULT = {
  board: 'generic',
  role: 'publisher',
  deviceId: 'probe',
  sensors: [{ name: 'altimeter', driver: 'bmp280', address: '0x76' }],
};

async function checkConfig(argv: string[]): Promise<number> {
  const { values, positionals } = parse('check-config', argv);
  if (values.help) return help('check-config');
  const config = configFrom(values, positionals, 'check-config');
  process.stdout.write(`${(values.config as string | undefined) ?? positionals[0]}: valid (${config.board}, ${config.role}, device ${config.deviceId}, ${config.sensors.length} sensor(s), ${config.subscriptions.length} subscription(s), ${config.outputs.length} output(s), ${config.inputs.length} input(s), ${config.rules.length} rule(s))\n`);
  return EXIT.ok;
}

async function tail(argv: string[]): Promise<number> {
  const { values, positionals } = parse('tail', argv);
  if (values.help) return help('tail');
  const broker = (values.broker as string | undefined) ?? process.env.EDGE_AGENT_MQTT_URL ?? 'mqtt://localhost:1883';
  const filters = positionals.length > 0 ? positionals : ['sensors/#'];
  const until = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const { runTail } = await import('./tail/tail.js');
  await runTail({
    broker,
    filters,
    screen: process.stdout.isTTY === true,
    write: (text) => process.stdout.write(text),
    columns: () => process.stdout.columns ?? 100,
    until,
    onError: (message) => process.stderr.write(`edge-agent tail: ${message}\n`),
  });
  return EXIT.ok;
}

async function demo(argv: string[]): Promise<number> {
  const { values } = parse('demo', argv);
  if (values.help) return help('demo');
  const durationS = values.duration === undefined ? undefined : positiveInt(values.duration as string, 'duration', 0);
  const broker = values.broker !== undefined ? { broker: values.broker as string } : {};
  const duration = durationS !== undefined ? { durationS } : {};
  if (values.fleet === undefined && values.backoff !== undefined) throw new UsageError(`--backoff goes with --fleet\nusage: ${COMMANDS.demo!.usage}`);
  if (values.fleet !== undefined) {
    const { runFleet, FLEET_MAX } = await import('./demo/fleet.js');
    const size = positiveInt(values.fleet as string, 'fleet', 0);
    if (size < 1 || size > FLEET_MAX) throw new UsageError(`--fleet must be from 1 to ${FLEET_MAX} boards, got '${values.fleet as string}'\nusage: ${COMMANDS.demo!.usage}`);
    // Not in the usage line: the reconnect schedule before issue 16, for the bench's before/after.
    const backoff = values.backoff as string | undefined;
    if (backoff !== undefined && backoff !== 'full-jitter' && backoff !== 'equal-jitter') throw new UsageError(`--backoff must be full-jitter or equal-jitter, got '${backoff}'`);
    const until = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await runFleet({ size, ...broker, ...duration, until, env: process.env, ...(backoff !== undefined ? { backoff } : {}) });
    return EXIT.ok;
  }
  const { runDemo } = await import('./demo/demo.js');
  await runDemo({ ...broker, ...duration });
  return EXIT.ok;
}

function help(command: string): number {
  const spec = COMMANDS[command]!;
  process.stdout.write(`${spec.summary}\n\nusage: ${spec.usage}\n`);
  return EXIT.ok;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await run(rest);
      case 'read':
        return await read(rest);
      case 'probe':
        return await probeCommand(rest);
      case 'check-config':
        return await checkConfig(rest);
      case 'demo':
        return await demo(rest);
      case 'tail':
        return await tail(rest);
      case '--version':
      case 'version':
        process.stdout.write(`${version()}\n`);
        return EXIT.ok;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(mainHelp() + '\n');
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command '${command}'\n\n${mainHelp()}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`edge-agent: ${error.message}\n`);
      return EXIT.usage;
    }
    return reportFatal(error);
  }
}

/**
 * Why the command stops, through the logger at error level: under systemd every line then carries
 * `<3>`, so `journalctl -p warning` shows why the service failed (plain stderr is journaled at
 * info), and on a terminal it reads as the log lines before it. One line per problem.
 */
function reportFatal(error: unknown): number {
  const log = loggerFor('info');
  if (error instanceof ConfigError) {
    const config = log.child('config');
    config.error(error.message.split('\n')[0]!);
    for (const problem of error.problems) config.error(formatProblem(problem));
    return EXIT.config;
  }
  if (error instanceof QueueDirError) {
    log.child('queue').error(error.message, { hint: error.hint });
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isHardwareUnavailable(error)) {
    log.child('hardware').error(message);
    return EXIT.unavailable;
  }
  log.error(message);
  return EXIT.failure;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`edge-agent: ${String(error)}\n`);
    process.exitCode = EXIT.failure;
  },
);
