/**
 * Start-up: `node FLAGS dist/agent/cli.js run` (the flags of its shebang) spawned with a simulated BMP280 (the real driver, forced
 * mode, so the first reading includes the datasheet's conversion wait), QoS 1, until a subscriber
 * already on the broker receives the first reading. The broker forwards a QoS 1 PUBLISH to
 * subscribers as it acknowledges it, so arrival is the moment of the acknowledgement within
 * loopback latency.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './bench-config.js';
import { stopChild } from './load.js';
import { agentNodeFlags } from './node-flags.js';
import { connect } from './raw-client.js';

const CLI = fileURLToPath(new URL('../agent/cli.js', import.meta.url));

export async function measureStartup(url: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  const subscriber = await connect(url, 'bench-startup');
  for (let run = 0; run < runs; run++) {
    const dir = tempDir('startup');
    const topic = `bench/startup${run}/pressure`;
    await subscriber.subscribeAsync(topic, { qos: 1 });
    const file = join(dir, 'agent.json');
    writeFileSync(
      file,
      JSON.stringify({
        deviceId: `startup${run}`,
        i2c: { simulated: true },
        mqtt: { url },
        queue: { dir: join(dir, 'queue') },
        log: { level: 'warn' },
        sensors: [{ name: 'baro', intervalMs: 1000, measurements: { pressure: { qos: 1, topic: 'bench/{deviceId}/{measurement}' }, temperature: { enabled: false }, altitude: { enabled: false } } }],
      }),
    );
    const received = new Promise<number>((resolve) => {
      const onMessage = (t: string): void => {
        if (t !== topic) return;
        subscriber.off('message', onMessage);
        resolve(performance.now());
      };
      subscriber.on('message', onMessage);
    });
    const started = performance.now();
    const child = spawn(process.execPath, [...agentNodeFlags(), CLI, 'run', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    const arrived = await Promise.race([received, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 10_000))]);
    times.push(arrived - started);
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
  await subscriber.endAsync();
  return times;
}
