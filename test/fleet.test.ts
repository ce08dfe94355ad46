/**
 * `edge-agent demo --fleet N` (issue 16 item 5): N real agents in one process against a real
 * Mosquitto. What the broker sees is checked with mosquitto_sub, not with the fleet's own counters.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli, startAgent } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';
import { tempDir } from './helpers/temp-dir.js';

const SIZE = 20;
const ids = Array.from({ length: SIZE }, (_, i) => `fleet-${String(i + 1).padStart(4, '0')}`);

describe('edge-agent demo --fleet', () => {
  // $SYS every second: the broker's own count of connected clients.
  const mosquitto = useMosquitto({ config: ['allow_anonymous true', 'sys_interval 1'] });

  it(`runs ${SIZE} boards against a real broker: all connect, each publishes, and SIGTERM stops them cleanly`, async () => {
    const { port, url } = mosquitto.broker;
    const tmp = tempDir('fleet-tmp');
    const fleet = startAgent(['demo', '--fleet', String(SIZE), '--broker', url], { TMPDIR: tmp });
    try {
      await fleet.waitFor(new RegExp(`fleet: ${SIZE}/${SIZE} connected, [1-9]\\d* readings/s`), 20_000);
      // The broker's count: the fleet and this mosquitto_sub (the second report is after both connected).
      const sys = await watch({ port, topics: ['$SYS/broker/clients/connected'], count: 2, timeoutS: 5 });
      assert.equal(Number(sys.at(-1)!.payload), SIZE + 1, `clients connected at the broker: ${sys.map((m) => m.payload).join(', ')}`);
      // Each board's retained status says online, under its own id.
      const status = await watch({ port, topics: ['sensors/+/status'], count: SIZE, timeoutS: 5 });
      assert.deepEqual(status.map((m) => m.topic).sort(), ids.map((id) => `sensors/${id}/status`));
      assert.ok(status.every((m) => m.retained && m.payload === 'online'), JSON.stringify(status));
      // Readings arrive from every board (each publishes its altitude once a second, QoS 1).
      const readings = await watch({ port, topics: ['sensors/+/altitude'], count: SIZE * 3, timeoutS: 10 });
      const from = new Set(readings.map((m) => m.topic.split('/')[1]));
      assert.deepEqual([...from].sort(), ids, 'an altitude reading from each board');
      assert.ok(readings.every((m) => m.qos === 1 && Number.isFinite(Number(m.payload))), JSON.stringify(readings.slice(0, 3)));
    } finally {
      fleet.child.kill('SIGTERM');
    }
    const code = await Promise.race([fleet.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000))]);
    if (code === 'still running') fleet.child.kill('SIGKILL');
    assert.equal(code, 0, fleet.output());
    assert.match(fleet.output(), /fleet stopped, \d+ readings delivered/);
    assert.doesNotMatch(fleet.output(), /ERROR/);
    // A clean stop: each board said offline itself, and the fleet left nothing in its TMPDIR.
    const after = await watch({ port, topics: ['sensors/+/status'], count: SIZE, timeoutS: 5 });
    assert.ok(after.every((m) => m.payload === 'offline'), JSON.stringify(after));
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('refuses a fleet size out of 1…1000 as a usage error (exit 64), and --backoff without --fleet', () => {
    for (const size of ['0', '1001', 'many', '-3', '2.5']) {
      const result = runCli(['demo', `--fleet=${size}`]);
      assert.equal(result.status, 64, `--fleet ${size}: ${result.stderr}`);
      assert.match(result.stderr, /--fleet must be/);
    }
    assert.equal(runCli(['demo', '--backoff', 'equal-jitter']).status, 64);
    const bad = runCli(['demo', '--fleet', '2', '--backoff', 'fast']);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /full-jitter or equal-jitter/);
  });
});
