/** The agent as a realistic-load peer: its composition root, QoS 0 and the disk queue on (the defaults). */
import { Agent } from '../agent/agent.js';
import { createLogger } from '../agent/logger.js';
import { benchConfig } from './bench-config.js';
import { instantHardware } from './instant-sensor.js';
import type { LoadProfile } from './load-profiles.js';

export async function runAgentPeer(profile: LoadProfile, url: string): Promise<() => Promise<void>> {
  // The sensors here are instant, but `edge-agent run` loads the drivers (agent/hardware.ts): so
  // does this peer, or its memory would be less than a real agent's.
  await import('../agent/hardware.js');
  const config = benchConfig({ deviceId: `agent-${profile.name}`, url, intervalMs: profile.intervalMs, sensors: profile.sensors, qos: 0, queue: true });
  const agent = new Agent({ config, logger: createLogger({ level: 'warn' }), hardware: instantHardware(config, profile.sensors) });
  await agent.start();
  return () => agent.stop();
}
