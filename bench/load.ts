/**
 * Cost at a realistic load: the agent, the naive mqtt.js loop, the floor and collectd, each a
 * separate process with a Mosquitto of its own, all running at once so their measuring windows
 * overlap (issue 17: three peers at the same time, against their own brokers). Each is measured
 * from outside, the same way: CPU from /proc/PID/stat (utime + stime), memory from
 * /proc/PID/status (VmRSS and RssAnon each second, VmHWM at the end), the event loop's wake-ups
 * from the main thread's voluntary context switches, values from what reaches its broker (a
 * subscriber counts the peer's messages inside the window). Beside them: bare Node.js with the
 * agent's flags, idle (the memory any Node.js process has), and the agent on the Raspberry Pi
 * configuration at its real rate, with its watchdog pings counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { startMosquitto, type Mosquitto } from '../test/helpers/mosquitto.js';
import { benchRawConfig } from './bench-config.js';
import { findCollectd, startCollectd } from './collectd.js';
import { agentNodeFlags } from './node-flags.js';
import { PROFILES, valuesPerSecond, type LoadProfile } from './load-profiles.js';
import { connect } from './raw-client.js';
import { cpuMicros, median, memoryKb, wakeups } from './stats.js';
import { startUnitPeer, type UnitPeer } from './unit-peer.js';

export const PEER = fileURLToPath(new URL('./peer.js', import.meta.url));
const PI_CONFIG = fileURLToPath(new URL('../../config/raspberry-pi.json', import.meta.url));

export type PeerName = 'agent' | 'naive' | 'floor' | 'collectd' | 'bare';

export interface PeerCost {
  peer: PeerName;
  profile: string;
  measured: boolean;
  note?: string;
  valuesPerS: number;
  cpuUsPerValue: number;
  cpuPct: number;
  /** CPU time per minute of the window, ms. */
  cpuMsPerMin?: number;
  rssSteadyMb: number;
  rssPeakMb: number;
  /** RssAnon, median of the window. */
  anonSteadyMb?: number;
  /** The main thread's wake-ups per second (collectd: its main thread, which only sleeps). */
  wakeupsPerS?: number;
  /** WATCHDOG=1 pings per minute (the agent run as the unit). */
  pingsPerMin?: number;
}

interface Running {
  peer: PeerName;
  profile: string;
  /** Values per second the peer is configured to publish (0: publishes nothing). */
  expected: number;
  child: ChildProcess;
  broker?: Mosquitto;
  counter?: MqttClient;
  unit?: UnitPeer;
  count: number;
  rss: number[];
  anon: number[];
  cpu0: number;
  count0: number;
  wake0: number;
  pings0: number;
}

function waitReady(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it was ready`)));
  });
}

/**
 * The readings one message holds: one, or with the per-sample layout one per field of its JSON
 * object besides `ts` and `seq` (a value a filter held back is absent from the object).
 */
export function readingsInMessage(layout: LoadProfile['layout'], payload: Buffer): number {
  if (layout === 'per-measurement') return 1;
  const sample = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  return Object.keys(sample).filter((key) => key !== 'ts' && key !== 'seq').length;
}

/** A broker of the peer's own, and a subscriber counting the readings that reach it (not status or health). */
async function ownBroker(name: string, layout: LoadProfile['layout'] = 'per-measurement'): Promise<{ broker: Mosquitto; counter: MqttClient; counted: () => number }> {
  const broker = await startMosquitto();
  const counter = await connect(broker.url, `bench-count-${name}`);
  let n = 0;
  counter.on('message', (topic, payload) => {
    if (!/\/(status|health)$/.test(topic)) n += readingsInMessage(layout, payload);
  });
  await counter.subscribeAsync('#', { qos: 0 });
  return { broker, counter, counted: () => n };
}

/** The Raspberry Pi example configuration as shipped, on a simulated bus and this run's broker. */
export function piConfig(url: string): Record<string, unknown> {
  const config = JSON.parse(readFileSync(PI_CONFIG, 'utf8')) as Record<string, unknown> & { mqtt: Record<string, unknown>; i2c: Record<string, unknown> };
  return { ...config, i2c: { ...config.i2c, simulated: true }, mqtt: { ...config.mqtt, url } };
}

/** Values per second of a configuration file's sensors (enabled measurements × rate). */
export function configValuesPerS(config: Record<string, unknown>): number {
  const sensors = (config.sensors ?? []) as Array<{ intervalMs: number; measurements: Record<string, { enabled?: boolean }> }>;
  return sensors.reduce((sum, s) => sum + (Object.values(s.measurements).filter((m) => m.enabled !== false).length * 1000) / s.intervalMs, 0);
}

/** `onMeasuring` is called when the peers are up and warm, as the measuring window opens. */
export async function measureLoads(windowS: number, warmupS: number, log: (line: string) => void, onMeasuring?: () => void): Promise<PeerCost[]> {
  const collectd = findCollectd();
  const running: Running[] = [];
  const results: PeerCost[] = [];
  const counters = new Map<Running, () => number>();
  try {
    const start = async (peer: PeerName, profile: string, expected: number, launch: (url: string, port: number) => Promise<{ child: ChildProcess; unit?: UnitPeer }>): Promise<void> => {
      const own = peer === 'bare' || peer === 'floor' ? undefined : await ownBroker(`${peer}-${profile}`, PROFILES[profile]?.layout);
      const broker = own?.broker ?? (peer === 'floor' ? await startMosquitto() : undefined);
      const { child, unit } = await launch(broker?.url ?? '', broker?.port ?? 0);
      const r: Running = { peer, profile, expected, child, ...(broker ? { broker } : {}), ...(own ? { counter: own.counter } : {}), ...(unit ? { unit } : {}), count: 0, rss: [], anon: [], cpu0: 0, count0: 0, wake0: 0, pings0: 0 };
      running.push(r);
      if (own) counters.set(r, own.counted);
    };
    const nodePeer = async (peer: 'agent' | 'naive' | 'floor', profile: LoadProfile, url: string): Promise<{ child: ChildProcess }> => {
      const flags = peer === 'agent' ? agentNodeFlags() : [];
      const child = spawn(process.execPath, [...flags, PEER, peer, profile.name, url], { stdio: ['ignore', 'pipe', 'inherit'] });
      await waitReady(child, `${peer} ${profile.name}`);
      return { child };
    };

    for (const profile of Object.values(PROFILES)) {
      const expected = valuesPerSecond(profile);
      await start('agent', profile.name, expected, async (url) => {
        if (profile.agent === 'in-process') return nodePeer('agent', profile, url);
        const raw = benchRawConfig({ deviceId: `agent-${profile.name}`, url, intervalMs: profile.intervalMs, sensors: profile.sensors, qos: profile.qos, queue: true, layout: profile.layout, queueDir: '' });
        // The defaults for all the rest, as a user's file would leave them: the queue (sync
        // "interval"), health reports, the log level.
        const { queue: _queue, health: _health, log: _log, ...file } = raw;
        const unit = await startUnitPeer(`agent-${profile.name}`, file);
        return { child: unit.child, unit };
      });
      // The same load in another layout: its naive loop, floor and collectd are the other profile's.
      if (profile.sameLoadAs) continue;
      await start('naive', profile.name, expected, (url) => nodePeer('naive', profile, url));
      await start('floor', profile.name, 0, (url) => nodePeer('floor', profile, url));
      if (collectd) await start('collectd', profile.name, expected, async (_url, port) => ({ child: startCollectd(collectd, profile, port) }));
      else results.push({ peer: 'collectd', profile: profile.name, measured: false, note: 'collectd not installed: apt-get install -y collectd-core', valuesPerS: 0, cpuUsPerValue: Number.NaN, cpuPct: Number.NaN, rssSteadyMb: Number.NaN, rssPeakMb: Number.NaN });
    }
    await start('agent', 'pi1hz', 0, async (url) => {
      const config = piConfig(url);
      const unit = await startUnitPeer('agent-pi1hz', config);
      const r = { child: unit.child, unit };
      return r;
    });
    running.at(-1)!.expected = configValuesPerS(piConfig(''));
    await start('bare', 'idle', 0, async () => {
      const child = spawn(process.execPath, [...agentNodeFlags(), '-e', 'setInterval(() => {}, 60_000); process.stdout.write("ready\\n")'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await waitReady(child, 'bare Node.js');
      return { child };
    });

    log(`realistic load: ${running.length} peers started (each with a broker of its own), warming up ${warmupS} s, then measuring ${windowS} s`);
    await sleep(warmupS * 1000);

    onMeasuring?.();
    const t0 = performance.now();
    for (const r of running) {
      const pid = r.child.pid!;
      r.cpu0 = cpuMicros(pid);
      r.count0 = counters.get(r)?.() ?? 0;
      r.wake0 = wakeups(pid);
      r.pings0 = r.unit?.pings() ?? 0;
    }
    for (let s = 0; s < windowS; s++) {
      await sleep(1000);
      for (const r of running) {
        const m = memoryKb(r.child.pid!);
        r.rss.push(m.rssKb / 1024);
        r.anon.push(m.anonKb / 1024);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    for (const r of running) {
      const pid = r.child.pid!;
      const cpu = cpuMicros(pid) - r.cpu0;
      // The floor and bare Node.js publish nothing: their CPU is spread over the values the others publish.
      const profileRate = r.profile in PROFILES ? valuesPerSecond(PROFILES[r.profile]!) : 0;
      const counted = counters.has(r) ? counters.get(r)!() - r.count0 : profileRate * seconds;
      const valuesPerS = counted / seconds;
      const expected = r.expected || profileRate;
      results.push({
        peer: r.peer,
        profile: r.profile,
        measured: true,
        ...(expected > 0 && Math.abs(valuesPerS - expected) > expected * 0.1 ? { note: `published ${valuesPerS.toFixed(1)}/s, the profile asks ${expected}/s` } : {}),
        valuesPerS,
        cpuUsPerValue: counted > 0 ? cpu / counted : Number.NaN,
        cpuPct: (cpu / 1e6 / seconds) * 100,
        cpuMsPerMin: cpu / 1000 / (seconds / 60),
        rssSteadyMb: median(r.rss),
        rssPeakMb: memoryKb(pid).hwmKb / 1024,
        anonSteadyMb: median(r.anon),
        wakeupsPerS: (wakeups(pid) - r.wake0) / seconds,
        ...(r.unit ? { pingsPerMin: ((r.unit.pings() - r.pings0) * 60) / seconds } : {}),
      });
    }
  } finally {
    await Promise.all(running.map(async (r) => {
      if (r.unit) await r.unit.stop();
      else await stopChild(r.child);
      await r.counter?.endAsync();
      await r.broker?.stop();
    }));
  }
  return results;
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
