/**
 * Reconnect spread (issue 16 item 4): a fleet of boards (`edge-agent demo --fleet N`, one child
 * process, the CLI's node flags) against a Mosquitto of its own; once all are connected, the broker
 * is killed (kill -9) and started again on the same port after 10 s, and after a 0.2 s blip. The
 * boards reach the broker through a small TCP relay in this process that timestamps every accepted
 * connection (ms resolution, where Mosquitto's log has seconds) and follows the broker: it stops
 * listening while the broker is down (a board's attempt is refused, as by the broker itself) and
 * drops every relayed connection when the broker dies. Measured for the agent's backoff and, in the
 * same run, for the schedule before issue 16 (`--backoff equal-jitter`), so the report has both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, startMosquitto, type Mosquitto } from '../test/helpers/mosquitto.js';
import { stopChild } from './load.js';
import { agentNodeFlags } from './node-flags.js';
import type { TargetRow } from './report.js';

const CLI = fileURLToPath(new URL('../agent/cli.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Schedule = 'full-jitter' | 'equal-jitter';

export interface SpreadCase {
  schedule: Schedule;
  /** How long the broker was away, as the boards saw it (kill to listening again), ms. */
  downMs: number;
  /** Connections accepted after the broker's return, ms after it, in order. */
  connectsMs: number[];
  /** Time after the return until 50 %, 95 %, 100 % of the fleet had connected (NaN: never). */
  backMs: { p50: number; p95: number; p100: number };
  /** The most connections in one 1 s / 0.5 s bin counted from the return, as % of the fleet. */
  largest1sPct: number;
  largestHalfSPct: number;
  /** Connections per second, second by second from the return. */
  perSecond: number[];
}

export interface ReconnectSpreadResult {
  fleet: number;
  cases: SpreadCase[];
}

/** A TCP relay in front of the broker that records when each connection was accepted. */
class Relay {
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  readonly accepted: number[] = [];

  constructor(
    readonly port: number,
    private readonly upstream: number,
  ) {}

  get connections(): number {
    return this.open.size / 2;
  }

  async listen(): Promise<void> {
    const server = createServer((client) => {
      this.accepted.push(performance.now());
      const broker = createConnection({ port: this.upstream, host: '127.0.0.1' });
      for (const socket of [client, broker]) {
        socket.setNoDelay(true);
        this.open.add(socket);
        socket.once('close', () => {
          this.open.delete(socket);
          client.destroy();
          broker.destroy();
        });
        socket.on('error', () => undefined);
      }
      client.pipe(broker);
      broker.pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** The broker is gone: refuse new connections and drop the relayed ones. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.open) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function quantileMs(sorted: readonly number[], share: number, fleet: number): number {
  const needed = Math.ceil(share * fleet);
  return sorted.length >= needed ? sorted[needed - 1]! : Number.NaN;
}

function largestBin(times: readonly number[], binMs: number): number {
  const bins = new Map<number, number>();
  for (const t of times) bins.set(Math.floor(t / binMs), (bins.get(Math.floor(t / binMs)) ?? 0) + 1);
  return Math.max(0, ...bins.values());
}

export function summarise(schedule: Schedule, downMs: number, connectsMs: number[], fleet: number): SpreadCase {
  const sorted = [...connectsMs].sort((a, b) => a - b);
  const last = sorted.at(-1) ?? 0;
  const perSecond = Array.from({ length: Math.floor(last / 1000) + 1 }, (_, s) => sorted.filter((t) => Math.floor(t / 1000) === s).length);
  return {
    schedule,
    downMs,
    connectsMs: sorted,
    backMs: { p50: quantileMs(sorted, 0.5, fleet), p95: quantileMs(sorted, 0.95, fleet), p100: quantileMs(sorted, 1, fleet) },
    largest1sPct: (100 * largestBin(sorted, 1000)) / fleet,
    largestHalfSPct: (100 * largestBin(sorted, 500)) / fleet,
    perSecond,
  };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`reconnect spread: ${what} within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/** One fleet, one schedule: the outages in turn, each from a fleet connected long enough to be stable. */
async function measureSchedule(schedule: Schedule, fleet: number, outagesMs: readonly number[], log: (line: string) => void): Promise<SpreadCase[]> {
  const broker: Mosquitto = await startMosquitto();
  const relay = new Relay(await freePort(), broker.port);
  await relay.listen();
  const args = [...agentNodeFlags(), CLI, 'demo', '--fleet', String(fleet), '--broker', `mqtt://127.0.0.1:${relay.port}`, '--backoff', schedule];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const cases: SpreadCase[] = [];
  try {
    await until(`${fleet} boards connected`, () => relay.connections >= fleet, 60_000);
    for (const outageMs of outagesMs) {
      // Connected for longer than STABLE_CONNECTION_MS (10 s): each board's backoff starts afresh.
      await sleep(11_000);
      if (relay.connections < fleet) throw new Error(`reconnect spread: only ${relay.connections} of ${fleet} connected before the outage`);
      const killedAt = performance.now();
      await broker.kill();
      await relay.close();
      await sleep(outageMs);
      await broker.resume();
      await relay.listen();
      const back = performance.now();
      const from = relay.accepted.length;
      // Full jitter can keep a board away for up to a full window after the return (60 s at most).
      await until(`${fleet} boards back (${relay.accepted.length - from} so far)`, () => relay.accepted.length - from >= fleet && relay.connections >= fleet, 90_000).catch((error: unknown) =>
        log(error instanceof Error ? error.message : String(error)),
      );
      const result = summarise(schedule, back - killedAt, relay.accepted.slice(from).map((t) => t - back), fleet);
      log(`${schedule}, broker away ${(result.downMs / 1000).toFixed(1)} s: back 50 % ${(result.backMs.p50 / 1000).toFixed(1)} s, 95 % ${(result.backMs.p95 / 1000).toFixed(1)} s, all ${(result.backMs.p100 / 1000).toFixed(1)} s; largest 1 s ${result.largest1sPct.toFixed(1)} %, 0.5 s ${result.largestHalfSPct.toFixed(1)} %`);
      cases.push(result);
    }
  } finally {
    await stopChild(child);
    await relay.close();
    await broker.stop();
  }
  if (!/fleet stopped/.test(output)) log(`the fleet did not stop cleanly:\n${output.slice(-2000)}`);
  return cases;
}

/** `quick`: a fleet of 50 and the agent's schedule alone (for trying changes; not for the docs' figures). */
export async function measureReconnectSpread(fleet: number, log: (line: string) => void, quick = false): Promise<ReconnectSpreadResult> {
  const outages = [10_000, 200];
  const cases: SpreadCase[] = [];
  for (const schedule of quick ? (['full-jitter'] as const) : (['full-jitter', 'equal-jitter'] as const)) {
    log(`reconnect spread: ${fleet} boards, ${schedule}, broker killed for 10 s, then for 0.2 s`);
    cases.push(...(await measureSchedule(schedule, fleet, outages, log)));
  }
  return { fleet, cases };
}

const pct = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} %` : '—');
const secs = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '—');

/** The target rows: after 10 s, no second above 15 % of the fleet; after a blip, not at once. */
export function spreadRows(r: ReconnectSpreadResult): TargetRow[] {
  const rows: TargetRow[] = [];
  const find = (schedule: Schedule, long: boolean): SpreadCase | undefined => r.cases.find((c) => c.schedule === schedule && c.downMs >= 10_000 === long);
  for (const long of [true, false]) {
    const now = find('full-jitter', long);
    if (!now) continue;
    const old = find('equal-jitter', long);
    const value = long ? now.largest1sPct : now.largestHalfSPct;
    const before = old ? (long ? old.largest1sPct : old.largestHalfSPct) : Number.NaN;
    rows.push({
      figure: `${r.fleet} boards, broker away ${secs(now.downMs)} s: largest ${long ? '1' : '0.5'} s of reconnects (% of fleet)`,
      value: pct(value),
      compared: `${old ? `equal jitter ${pct(before)}: ${(value / before).toFixed(2)} ×; ` : ''}back 50/95/100 % ${secs(now.backMs.p50)} / ${secs(now.backMs.p95)} / ${secs(now.backMs.p100)} s${old ? ` (equal jitter ${secs(old.backMs.p50)} / ${secs(old.backMs.p95)} / ${secs(old.backMs.p100)} s)` : ''}`,
      target: long ? '≤ 15 %' : '< 50 % (not at once)',
      status: long ? (value <= 15 ? 'pass' : 'miss') : value < 50 ? 'pass' : 'miss',
    });
  }
  return rows;
}

/** Connections per second after the broker's return, each case on a line. */
export function formatSpread(r: ReconnectSpreadResult): string {
  const lines = ['| Schedule | Broker away (s) | Back 50 / 95 / 100 % (s) | Largest 1 s / 0.5 s | Connects per second from the return |', '| --- | --- | --- | --- | --- |'];
  for (const c of r.cases) {
    lines.push(`| ${c.schedule} | ${secs(c.downMs)} | ${secs(c.backMs.p50)} / ${secs(c.backMs.p95)} / ${secs(c.backMs.p100)} | ${pct(c.largest1sPct)} / ${pct(c.largestHalfSPct)} | ${c.perSecond.slice(0, 20).join(' ')}${c.perSecond.length > 20 ? ' …' : ''} |`);
  }
  return lines.join('\n');
}
