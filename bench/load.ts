/**
 * Cost at a realistic load: the agent, the naive mqtt.js loop and collectd, each a separate
 * process, all running at once so their measuring windows overlap. Each is measured from outside,
 * the same way: CPU from /proc/PID/stat (utime + stime), memory from /proc/PID/status (VmRSS each
 * second, VmHWM at the end), values from what reaches the broker (a subscriber counts each peer's
 * messages inside the window).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { findCollectd, startCollectd } from './collectd.js';
import { agentNodeFlags } from './node-flags.js';
import { PROFILES, valuesPerSecond, type LoadProfile } from './load-profiles.js';
import { connect } from './raw-client.js';
import { cpuMicros, median, memoryKb } from './stats.js';

export const PEER = fileURLToPath(new URL('./peer.js', import.meta.url));

export interface PeerCost {
  peer: 'agent' | 'naive' | 'floor' | 'collectd';
  profile: string;
  measured: boolean;
  note?: string;
  valuesPerS: number;
  cpuUsPerValue: number;
  cpuPct: number;
  rssSteadyMb: number;
  rssPeakMb: number;
}

interface Running {
  peer: PeerCost['peer'];
  profile: LoadProfile;
  child: ChildProcess;
  topic: string;
  rss: number[];
  cpu0: number;
  count0: number;
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

/** `onMeasuring` is called when the peers are up and warm, as the measuring window opens. */
export async function measureLoads(url: string, port: number, windowS: number, warmupS: number, log: (line: string) => void, onMeasuring?: () => void): Promise<PeerCost[]> {
  const counter: MqttClient = await connect(url, 'bench-load-counter');
  const counts = new Map<string, number>();
  counter.on('message', (topic) => {
    const peer = topic.split('/', 2)[1]!;
    counts.set(peer, (counts.get(peer) ?? 0) + 1);
  });
  await counter.subscribeAsync('bench/#', { qos: 0 });

  const collectd = findCollectd();
  const running: Running[] = [];
  const results: PeerCost[] = [];
  for (const profile of Object.values(PROFILES)) {
    for (const peer of ['agent', 'naive', 'floor'] as const) {
      const flags = peer === 'agent' ? agentNodeFlags() : [];
      const child = spawn(process.execPath, [...flags, PEER, peer, profile.name, url], { stdio: ['ignore', 'pipe', 'inherit'] });
      await waitReady(child, `${peer} ${profile.name}`);
      running.push({ peer, profile, child, topic: `${peer}-${profile.name}`, rss: [], cpu0: 0, count0: 0 });
    }
    if (collectd) {
      running.push({ peer: 'collectd', profile, child: startCollectd(collectd, profile, port), topic: `collectd-${profile.name}`, rss: [], cpu0: 0, count0: 0 });
    } else {
      results.push({ peer: 'collectd', profile: profile.name, measured: false, note: 'collectd not installed: apt-get install -y collectd-core', valuesPerS: 0, cpuUsPerValue: Number.NaN, cpuPct: Number.NaN, rssSteadyMb: Number.NaN, rssPeakMb: Number.NaN });
    }
  }
  log(`realistic load: ${running.length} peers started, warming up ${warmupS} s, then measuring ${windowS} s`);
  await sleep(warmupS * 1000);

  onMeasuring?.();
  const t0 = performance.now();
  for (const r of running) {
    r.cpu0 = cpuMicros(r.child.pid!);
    r.count0 = counts.get(r.topic) ?? 0;
  }
  for (let s = 0; s < windowS; s++) {
    await sleep(1000);
    for (const r of running) r.rss.push(memoryKb(r.child.pid!).rssKb / 1024);
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const r of running) {
    const cpu = cpuMicros(r.child.pid!) - r.cpu0;
    const expected = valuesPerSecond(r.profile);
    // The floor publishes nothing: its CPU is spread over the values the others publish.
    const values = r.peer === 'floor' ? expected * seconds : (counts.get(r.topic) ?? 0) - r.count0;
    const valuesPerS = values / seconds;
    results.push({
      peer: r.peer,
      profile: r.profile.name,
      measured: true,
      ...(Math.abs(valuesPerS - expected) > expected * 0.1 ? { note: `published ${valuesPerS.toFixed(0)}/s, the profile asks ${expected}/s` } : {}),
      valuesPerS,
      cpuUsPerValue: cpu / values,
      cpuPct: (cpu / 1e6 / seconds) * 100,
      rssSteadyMb: median(r.rss),
      rssPeakMb: memoryKb(r.child.pid!).hwmKb / 1024,
    });
  }
  await Promise.all(running.map((r) => stopChild(r.child)));
  await counter.endAsync();
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
