/**
 * `npm run bench`: one run of every measurement of issue 8 against a Mosquitto of its own, printed
 * as tables with ratios and a pass/miss per target, and written to bench/results.json.
 * BENCH_QUICK=1 shortens the long windows (for trying changes; not for the README's figures).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import type { BacklogResult } from './backlog.js';
import { INSTALL_HINT, findCollectd } from './collectd.js';
import { measureLatency } from './latency.js';
import { PEER, measureLoads } from './load.js';
import { agentNodeFlags } from './node-flags.js';
import { rawQos0Rate, rawQos1Rate, rawRoundTrip } from './raw-client.js';
import { evaluate, formatLoads, formatTable, type BenchResults } from './report.js';
import { formatSpread, measureReconnectSpread } from './reconnect-spread.js';
import { measureStartup } from './startup.js';
import type { TimingResult } from './timing.js';

const QUICK = process.env.BENCH_QUICK === '1';
const WINDOW = 100;
const COUNT = 50_000;
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

function childJson<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    // The agent's own code (scheduler, outbox): run it with the flags it ships with.
    const child = spawn(process.execPath, [...agentNodeFlags(), PEER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`bench peer ${args[0]} exited with ${code}`))));
  });
}

function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match?.[1] ?? cpus()[0]?.model ?? 'unknown';
}

async function main(): Promise<void> {
  const started = performance.now();
  const broker = await startMosquitto();
  log(`broker on port ${broker.port}`);
  if (!findCollectd()) log(INSTALL_HINT);
  try {
    const ticks = QUICK ? 1000 : 10_000;
    // The timing run shares the machine with the realistic loads and the latency test (a board has
    // other work to do), but not with the bench starting processes: several Node.js start-ups at
    // once hold both cores for a second or more, which is the bench's doing, not the scheduler's,
    // and is 1% of the run. The latency test runs in this process and starts none.
    let timing: Promise<TimingResult> | undefined;
    const loads = await measureLoads(QUICK ? 10 : 60, QUICK ? 2 : 5, log, () => {
      log(`timing: ${ticks} scheduler ticks at 100 Hz, alongside the realistic load and the latency test`);
      timing = childJson<TimingResult>(['timing', String(ticks), '10']);
    });
    log('latency: 500 readings at 50 Hz to a subscriber agent\'s output pin, then the raw round trip');
    const pipelineLatency = await measureLatency(broker.url, 500, 20);
    const rawLatency = await rawRoundTrip(broker.url, 500, 20, 0);
    // Again through a broker that disables Nagle on its sockets (README Performance says why).
    const nodelay = await startMosquitto({ config: ['allow_anonymous true', 'set_tcp_nodelay true'] });
    const nodelayLatency = await measureLatency(nodelay.url, 500, 20);
    const nodelayRaw = await rawRoundTrip(nodelay.url, 500, 20, 0);
    await nodelay.stop();
    log('waiting for the timing run');
    const timingResult = await timing!;
    log('start-up: 3 runs of the CLI');
    const startupMs = await measureStartup(broker.url, 3);

    log(`baseline: raw mqtt.js, ${COUNT} messages at QoS 0 and at QoS 1 (window ${WINDOW})`);
    const qos0PerS = await rawQos0Rate(broker.url, COUNT);
    const qos1PerS = await rawQos1Rate(broker.url, COUNT, WINDOW);
    log('throughput: the agent pipeline, queue off, on, and on with sync "always"');
    // In a process of its own, with the flags the agent ships with (the raw loop runs as a user's would).
    const pipeline = (readings: number, queue: 'on' | 'off', sync: 'always' | 'interval'): Promise<number> =>
      childJson<number>(['pipeline', broker.url, String(readings), String(WINDOW), queue, sync]);
    const directPerS = await pipeline(COUNT, 'off', 'interval');
    const queuePerS = await pipeline(COUNT, 'on', 'interval');
    const queueAlwaysPerS = await pipeline(COUNT / 5, 'on', 'always');
    log('backlog: 100,000 readings queued during an outage, then replayed');
    const backlog = await childJson<BacklogResult>(['backlog', broker.url, '100000', String(WINDOW)]);
    // A broker of its own: this one is killed and restarted under a fleet of 200 boards.
    const reconnect = await measureReconnectSpread(QUICK ? 50 : 200, log, QUICK);

    const results: BenchResults = {
      machine: { nproc: cpus().length, cpu: cpuModel(), node: process.version, date: new Date().toISOString() },
      baseline: { qos0PerS, qos1PerS, window: WINDOW },
      throughput: { directPerS, queuePerS, queueAlwaysPerS },
      loads,
      latency: { pipeline: pipelineLatency, raw: rawLatency, nodelay: { pipeline: nodelayLatency, raw: nodelayRaw } },
      timing: timingResult,
      backlog,
      startupMs,
      reconnect,
    };
    const rows = evaluate(results);
    const out = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
    writeFileSync(out, JSON.stringify({ ...results, targets: rows, quick: QUICK }, null, 2) + '\n');
    const m = results.machine;
    process.stdout.write(
      [
        `edge-agent bench${QUICK ? ' (QUICK: short windows, not for the README)' : ''}: ${m.nproc} × ${m.cpu}, Node ${m.node}, ${m.date}; agent runs with ${agentNodeFlags().join(' ') || 'no node flags'}`,
        `baseline (raw mqtt.js, same broker): QoS 0 ${qos0PerS.toFixed(0)} msg/s, QoS 1 window ${WINDOW} ${qos1PerS.toFixed(0)} msg/s`,
        '',
        formatTable(rows),
        '',
        formatLoads(loads),
        '',
        formatSpread(reconnect),
        '',
        `${rows.filter((r) => r.status === 'pass').length} of ${rows.filter((r) => r.status !== 'info').length} targets met; results in bench/results.json; ${((performance.now() - started) / 1000).toFixed(0)} s`,
        '',
      ].join('\n'),
    );
  } finally {
    await broker.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
