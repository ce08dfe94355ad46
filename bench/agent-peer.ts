/** The agent as an in-process realistic-load peer: its composition root, the profile's QoS, the disk queue on. */
import { rmSync } from 'node:fs';
import { Agent } from '../agent/agent.js';
import { createLogger } from '../agent/log/logger.js';
import { systemClock } from '../drivers/clock.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { benchConfig } from './bench-config.js';
import { instantHardware } from './instant-sensor.js';
import type { LoadProfile } from './load-profiles.js';

export async function runAgentPeer(profile: LoadProfile, url: string): Promise<() => Promise<void>> {
  const config = benchConfig({ deviceId: `agent-${profile.name}`, url, intervalMs: profile.intervalMs, sensors: profile.sensors, qos: profile.qos, queue: true });
  // The sensors here are instant, but `edge-agent run` loads the hardware layer and the driver of
  // each configured sensor (agent/hardware.ts): so does this peer, by making (and not using) the
  // driver objects, or its memory would be less than a real agent's.
  const { createSensor } = await import('../agent/sensors.js');
  await import('../agent/hardware.js');
  await Promise.all(config.sensors.map((sensor) => createSensor(new SimulatedI2cBus(), systemClock, sensor)));
  const agent = new Agent({ config, logger: createLogger({ level: 'warn' }), hardware: instantHardware(config, profile.sensors) });
  await agent.start();
  return async () => {
    await agent.stop();
    rmSync(config.queue.dir, { recursive: true, force: true });
  };
}
