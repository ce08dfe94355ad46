/**
 * collectd (Debian's collectd-core) as the C peer: its `mqtt` write plugin publishing to the bench's
 * broker at the profile's rate, fed by cheap read plugins whose value count per interval is known
 * (memory 6 + load 1 = 7; cpu 8 + memory 6 + load, uptime, users, entropy, contextswitch 1 each =
 * 19). The bench counts what it actually publishes on the broker and divides its CPU by that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './bench-config.js';
import type { LoadProfile } from './load-profiles.js';

export const INSTALL_HINT = 'collectd not found: install it with `apt-get install -y collectd-core` (Debian, Ubuntu, Raspberry Pi OS; the bench reports its row as not measured without it)';

export function findCollectd(): string | undefined {
  return ['/usr/sbin/collectd', '/usr/local/sbin/collectd', '/usr/bin/collectd'].find((p) => existsSync(p));
}

const PLUGINS: Record<string, string[]> = {
  r7x20: ['memory', 'load'],
  s20x10: ['cpu', 'memory', 'load', 'uptime', 'users', 'entropy', 'contextswitch'],
};

export function collectdConfig(profile: LoadProfile, port: number, dir: string): string {
  const plugins = PLUGINS[profile.name] ?? ['memory', 'load'];
  return [
    'Hostname "bench"',
    'FQDNLookup false',
    `BaseDir "${dir}"`,
    `PIDFile "${dir}/collectd.pid"`,
    `Interval ${profile.intervalMs / 1000}`,
    'ReadThreads 1',
    'WriteThreads 1',
    ...plugins.map((p) => `LoadPlugin ${p}`),
    // One value per state for the whole machine (not per core), so the count does not depend on nproc.
    ...(plugins.includes('cpu') ? ['<Plugin cpu>\n  ReportByCpu false\n  ReportByState true\n  ValuesPercentage true\n</Plugin>'] : []),
    'LoadPlugin mqtt',
    '<Plugin mqtt>',
    '  <Publish "bench">',
    '    Host "127.0.0.1"',
    `    Port ${port}`,
    `    ClientId "collectd-${profile.name}"`,
    `    Prefix "bench/collectd-${profile.name}"`,
    `    QoS ${profile.qos}`,
    '  </Publish>',
    '</Plugin>',
    '',
  ].join('\n');
}

export function startCollectd(binary: string, profile: LoadProfile, port: number): ChildProcess {
  const dir = tempDir(`collectd-${profile.name}`);
  const conf = join(dir, 'collectd.conf');
  writeFileSync(conf, collectdConfig(profile, port, dir));
  const child = spawn(binary, ['-f', '-C', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return child;
}
