/** The benchmark's pure helpers: percentiles and the /proc parsing its CPU and memory figures rest on. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectdConfig } from '../bench/collectd.js';
import { PROFILES, valuesPerSecond } from '../bench/load-profiles.js';
import { spreadRows, summarise } from '../bench/reconnect-spread.js';
import { cpuMicros, distribution, memoryKb, parseProcStatTicks, parseProcStatus, parseVoluntarySwitches, percentile, wakeups } from '../bench/stats.js';

test('percentile is nearest-rank over unsorted samples', () => {
  const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(samples, 50), 5);
  assert.equal(percentile(samples, 99), 10);
  assert.equal(percentile(samples, 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.deepEqual(distribution([3, 1, 2]), { n: 3, p50: 2, p99: 3, max: 3 });
});

test('/proc/PID/stat: utime + stime counted from the last parenthesis, whatever the command name holds', () => {
  // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const line = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 517 83 0 0 20 0 11 0 100 0 0';
  assert.equal(parseProcStatTicks(line), 600);
  assert.throws(() => parseProcStatTicks('garbage'), /not a \/proc\/PID\/stat line/);
});

test('/proc/PID/status: VmRSS, VmHWM and RssAnon in kB, and a clear error without them', () => {
  const text = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t   70312 kB\nVmRSS:\t   65536 kB\nRssAnon:\t   28120 kB\nRssFile:\t   37416 kB\n';
  assert.deepEqual(parseProcStatus(text), { rssKb: 65536, hwmKb: 70312, anonKb: 28120 });
  assert.throws(() => parseProcStatus('Name:\tkthread\n'), /no VmRSS line/);
});

test('/proc/PID/task/TID/status: the voluntary context switches (the event loop\'s wake-ups)', () => {
  assert.equal(parseVoluntarySwitches('Name:\tnode\nvoluntary_ctxt_switches:\t1234\nnonvoluntary_ctxt_switches:\t56\n'), 1234);
  assert.throws(() => parseVoluntarySwitches('Name:\tnode\n'), /no voluntary_ctxt_switches/);
  assert.ok(wakeups(process.pid) >= 0);
});

test('this process reads its own accounting: CPU grows with work, resident memory is plausible', () => {
  const before = cpuMicros('self');
  let x = 0;
  for (const until = performance.now() + 60; performance.now() < until; ) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  assert.ok(cpuMicros('self') > before, 'utime + stime did not grow after 60 ms of work');
  const { rssKb, hwmKb } = memoryKb('self');
  assert.ok(rssKb > 1000 && hwmKb >= rssKb, `rss ${rssKb} kB, hwm ${hwmKb} kB`);
});

test('the collectd peer publishes to the bench broker at the profile rate, with a known value count', () => {
  const conf = collectdConfig(PROFILES.r7x20!, 41234, '/tmp/x');
  assert.match(conf, /^Interval 0\.05$/m);
  assert.match(conf, /Port 41234/);
  assert.match(conf, /LoadPlugin memory\nLoadPlugin load\n/);
  assert.doesNotMatch(conf, /<Plugin cpu>/, 'a block for a plugin not loaded makes collectd warn');
  assert.equal(valuesPerSecond(PROFILES.r7x20!), 140);
  assert.equal(valuesPerSecond(PROFILES.s20x10!), 200);
});

test('the bench runs the agent with the node flags of the CLI shebang', async () => {
  const { agentNodeFlags, shebangFlags } = await import('../bench/node-flags.js');
  assert.deepEqual(shebangFlags('#!/usr/bin/env -S node --max-semi-space-size=1 --no-warnings'), ['--max-semi-space-size=1', '--no-warnings']);
  assert.deepEqual(shebangFlags('#!/usr/bin/env node'), []);
  assert.throws(() => shebangFlags('#!/bin/sh'), /cannot read node flags/);
  assert.deepEqual(agentNodeFlags(), ['--max-semi-space-size=1', '--v8-pool-size=1', '--heap-growing-percent=10']);
});

test('reconnect spread: times to 50/95/100 % of the fleet, the largest bins from the return, and the target rows', () => {
  // A fleet of 10: four boards in the first half second, the rest one a second; one never came back.
  const now = summarise('full-jitter', 10_000, [100, 200, 300, 400, 1200, 2500, 3100, 4900, 5500], 10);
  assert.deepEqual(now.perSecond, [4, 1, 1, 1, 1, 1]);
  assert.equal(now.backMs.p50, 1200);
  assert.ok(Number.isNaN(now.backMs.p100), 'the fleet is not all back');
  assert.equal(now.largest1sPct, 40);
  assert.equal(now.largestHalfSPct, 40);
  const old = summarise('equal-jitter', 10_000, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90], 10);
  assert.equal(old.backMs.p100, 90);
  const [row] = spreadRows({ fleet: 10, cases: [now, old] });
  assert.equal(row!.value, '40.0 %');
  assert.equal(row!.status, 'miss', 'more than 15 % in one second');
  assert.match(row!.compared, /equal jitter 100\.0 %: 0\.40 ×/);
});

test('the per-sample profile is the 7 × 20 Hz load in one message per sample, its config accepted by the loader', async () => {
  const { benchConfig } = await import('../bench/bench-config.js');
  const { readingsInMessage } = await import('../bench/load.js');
  const profile = PROFILES.r7x20s!;
  assert.equal(profile.layout, 'per-sample');
  assert.equal(profile.sameLoadAs, 'r7x20');
  assert.equal(valuesPerSecond(profile), valuesPerSecond(PROFILES.r7x20!));
  const config = benchConfig({ deviceId: 'b', url: 'mqtt://127.0.0.1:1', intervalMs: 50, sensors: profile.sensors, qos: 1, queue: false, layout: 'per-sample', queueDir: '/nonexistent' });
  assert.deepEqual(config.sensors.map((s) => s.layout), ['per-sample', 'per-sample']);
  // The subscriber counts readings, not messages: each field besides ts and seq is one.
  assert.equal(readingsInMessage('per-sample', Buffer.from('{"ts":1,"seq":2,"temperature":21.5,"pressure":1013.2,"altitude":3}')), 3);
  assert.equal(readingsInMessage('per-measurement', Buffer.from('21.5')), 1);
});

test('the per-sample row is held to well below collectd, against the same load\'s collectd', async () => {
  const { evaluate, PER_SAMPLE_CPU_RATIO } = await import('../bench/report.js');
  const peer = (peerName: 'agent' | 'collectd' | 'naive', profile: string, cpuUsPerValue: number) => ({ peer: peerName, profile, measured: true, valuesPerS: 140, cpuUsPerValue, cpuPct: 1, rssSteadyMb: 50, rssPeakMb: 50 });
  const base = { machine: { nproc: 2, cpu: 'x', node: 'v20', date: 'd' }, baseline: { qos0PerS: 1, qos1PerS: 1, window: 100 }, throughput: { directPerS: 1, queuePerS: 1 }, latency: { pipeline: { n: 0, p50: 0, p99: 0, max: 0, changes: 0, readings: 0 }, raw: { n: 0, p50: 0, p99: 0, max: 0 } }, timing: { intervalMs: 10, ticks: 1, skipped: 0, lateness: { n: 1, p50: 0, p99: 0, max: 0 }, driftMs: 0, scheduleErrorMs: 0 }, backlog: { readings: 1, rssStartMb: 1, rssEndMb: 1, queueMb: 1, replayPerS: 1 }, startupMs: [1] };
  const rowFor = (agentCpu: number) => evaluate({ ...base, loads: [peer('collectd', 'r7x20', 100), peer('naive', 'r7x20', 200), peer('agent', 'r7x20', 300), peer('agent', 'r7x20s', agentCpu)] } as unknown as Parameters<typeof evaluate>[0]).find((r) => r.figure.startsWith('r7x20s: CPU'))!;
  assert.equal(rowFor(100 * PER_SAMPLE_CPU_RATIO).status, 'pass');
  assert.equal(rowFor(90).status, 'miss');
  assert.match(rowFor(40).compared, /collectd 100\.0: 0\.40 ×/);
});
