/**
 * Entry point of the benchmark's child processes (one job each, so /proc accounts for it alone):
 *   peer.js agent|naive|floor PROFILE URL  run a realistic load until SIGTERM; prints "ready"
 *   peer.js timing TICKS INTERVAL_MS     prints the scheduler timing result as JSON
 *   peer.js backlog URL READINGS WINDOW  prints the outage/replay result as JSON
 *   peer.js pipeline URL READINGS WINDOW QUEUE SYNC  prints the pipeline's readings/s as JSON
 */
import { PROFILES } from './load-profiles.js';

// Each mode loads only its own modules: the naive peer's memory must not include the agent's.

async function main(argv: string[]): Promise<void> {
  const [mode, a, b, c] = argv;
  if (mode === 'agent' || mode === 'naive' || mode === 'floor') {
    const profile = PROFILES[a ?? ''];
    if (!profile || !b) throw new Error(`usage: peer.js ${mode} ${Object.keys(PROFILES).join('|')} URL`);
    const stop = mode === 'agent' ? await (await import('./agent-peer.js')).runAgentPeer(profile, b) : await (await import('./naive-peer.js')).runNaivePeer(profile, b, mode === 'naive');
    process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
    process.stdout.write('ready\n');
    return;
  }
  if (mode === 'timing') {
    process.stdout.write(JSON.stringify(await (await import('./timing.js')).measureTiming(Number(a), Number(b))) + '\n');
    return;
  }
  if (mode === 'backlog') {
    process.stdout.write(JSON.stringify(await (await import('./backlog.js')).measureBacklog(a!, Number(b), Number(c))) + '\n');
    process.exit(0);
  }
  if (mode === 'pipeline') {
    const [, url, readings, window, queue, sync] = argv;
    const rate = await (await import('./pipeline.js')).pipelineRate({ url: url!, readings: Number(readings), window: Number(window), queue: queue === 'on', sync: sync === 'always' ? 'always' : 'interval' });
    process.stdout.write(JSON.stringify(rate) + '\n');
    process.exit(0);
  }
  throw new Error(`unknown mode ${String(mode)}: agent, naive, floor, timing or backlog`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench peer failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
