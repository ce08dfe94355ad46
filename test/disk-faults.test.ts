/**
 * The disk queue on a real small disk (a tmpfs in a mount namespace of the test's own): filled up
 * with the broker away, the agent killed and started again on it, the broker back; read-only; a
 * path that cannot be a directory. The agent runs as its own process, as under systemd.
 */
import assert from 'node:assert/strict';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HealthReport } from '../agent/features/health.js';
import { runCli, startAgent, writeTempConfig, type AgentProcess } from './helpers/agent-process.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';
import { mountSmallDisk, type SmallDisk } from './helpers/small-disk.js';
import { tempDir } from './helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function agentConfig(deviceId: string, queueDir: string, broker: string): string {
  return writeTempConfig({
    board: 'raspberry-pi',
    role: 'publisher',
    deviceId,
    i2c: { simulated: true },
    mqtt: { url: broker, keepaliveS: 2, reconnectPeriodMs: 100, reconnectMaxMs: 400 },
    queue: { dir: queueDir, sync: 'interval', syncIntervalMs: 200 },
    health: { intervalS: 1 },
    sensors: [{
      name: 'altimeter', driver: 'bmp280', address: '0x76', intervalMs: 50,
      measurements: { pressure: { format: 'json', qos: 1 }, temperature: { format: 'json', qos: 1 }, altitude: { format: 'json', qos: 1 } },
      simulation: { chip: 'bmp280', scenario: 'static' },
    }],
  });
}

function count(text: string, pattern: RegExp): number {
  return text.split('\n').filter((line) => pattern.test(line)).length;
}

async function health(port: number, deviceId: string, accept: (h: HealthReport) => boolean): Promise<HealthReport> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const [message] = await watch({ port, topics: [`sensors/${deviceId}/health`], count: 1, timeoutS: 2 }).catch(() => []);
    last = message?.payload ?? last;
    if (message && accept(JSON.parse(message.payload) as HealthReport)) return JSON.parse(message.payload) as HealthReport;
    await sleep(200);
  }
  throw new Error(`no health report passed the check; last: ${last}`);
}

describe('a full disk', () => {
  let disk: SmallDisk;
  let broker: Mosquitto;
  before(async () => {
    disk = await mountSmallDisk({ sizeKiB: 512 });
    broker = await startMosquitto();
  });
  after(async () => {
    await broker?.stop();
    await disk?.close();
  });

  it('is ridden out: sampling goes on, what cannot be stored is counted, said once; a restart on it works; the backlog frees it; live readings still go out', async () => {
    const deviceId = 'full01';
    const config = agentConfig(deviceId, join(disk.dir, 'queue'), broker.url);
    disk.fill('filler', 64); // 64 KiB left: a few seconds of readings
    await broker.pause();
    let agent: AgentProcess = startAgent(['run', '--config', config], {}, disk.prefix);
    try {
      await agent.waitFor(/ERROR .*queue: cannot write/, 30_000);
      await sleep(3000); // sixty ticks on a full disk
      assert.equal(count(agent.output(), /ERROR .*queue: cannot write/), 1, `one ERROR per episode, not one per tick:\n${agent.output()}`);
      assert.equal(agent.child.exitCode, null, 'still running');

      // Killed on a full disk, started again on it: it must start (it used to exit 1, ENOSPC).
      agent.child.kill('SIGKILL');
      await agent.exited;
      agent = startAgent(['run', '--config', config], {}, disk.prefix);
      await agent.waitFor(/INFO .*connecting/, 10_000);
      await sleep(1500);
      assert.equal(agent.child.exitCode, null, `started on a full disk:\n${agent.output()}`);

      // The broker returns: the backlog goes out, the space it held is freed, appends work again.
      await broker.resume();
      await agent.waitFor(/queue: the disk takes writes again/, 30_000);
      const caughtUp = await health(broker.port, deviceId, (h) => h.connected && h.readings.buffered <= 100 && h.readings.dropped.diskFull > 0);
      assert.equal(caughtUp.readings.dropped.offline, 0);
      assert.ok(caughtUp.readings.acknowledged > 0);

      // Full again while the broker is there: live readings go straight out, nothing is dropped.
      disk.fill('filler2');
      await sleep(1500); // its ERROR line waits: one a minute at most, however the disk flaps
      const before = await health(broker.port, deviceId, (h) => h.connected);
      const live = await watch({ port: broker.port, topics: [`sensors/${deviceId}/pressure`], count: 20, timeoutS: 10 });
      const seqs = live.map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
      assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), `live readings, in order: ${seqs.join(' ')}`);
      const later = await health(broker.port, deviceId, (h) => h.readings.taken > before.readings.taken + 30);
      assert.equal(later.readings.dropped.diskFull, before.readings.dropped.diskFull, 'nothing dropped while the broker takes them');
      assert.ok(disk.freeKiB() < 8, 'the disk really is full');

      const stopping = Date.now();
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.output());
      assert.ok(Date.now() - stopping < 6000, 'stopped within its deadline on a full disk');
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      rmSync(join(config, '..'), { recursive: true, force: true });
    }
  });
});

describe('a queue directory that cannot be used', () => {
  const scratch: string[] = [];
  after(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });
  const expectExit73 = (queueDir: string, cause: RegExp, prefix: string[] = []): void => {
    const config = agentConfig('nodir01', queueDir, 'mqtt://127.0.0.1:1');
    scratch.push(join(config, '..'));
    const result = runCli(['run', '--config', config], {}, prefix);
    assert.equal(result.status, 73, `exit status 73 (EX_CANTCREAT):\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`queue\\.dir ${queueDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'names queue.dir and its path');
    assert.match(result.stderr, cause);
    assert.match(result.stderr, /ERROR \[queue\] .* hint=/);
    assert.doesNotMatch(result.stderr, /\n\s+at |ENOENT: no such file|EROFS: read-only file system, /, 'the project\'s words, not a stack trace');
  };

  it('read-only (a read-only mount): exit 73, the path and the cause', async () => {
    const disk = await mountSmallDisk({ sizeKiB: 64, readOnly: true });
    try {
      expectExit73(join(disk.dir, 'queue'), /read-only/, disk.prefix);
    } finally {
      await disk.close();
    }
  });

  it('a file where a directory should be, or a dangling link in the path: exit 73, the path and the cause', () => {
    const dir = tempDir('nodir');
    scratch.push(dir);
    writeFileSync(join(dir, 'file'), '');
    expectExit73(join(dir, 'file', 'queue'), /not a directory/);
    symlinkSync(join(dir, 'gone'), join(dir, 'link'));
    expectExit73(join(dir, 'link', 'queue'), /does not exist/);
  });
});
