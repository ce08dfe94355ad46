/**
 * What a user would write without the agent: one setInterval, one mqtt.js publish per value, at the profile's QoS.
 * It imports mqtt.js and nothing else of ours, so its memory is the runtime's and mqtt.js's.
 */
import mqtt from 'mqtt';
import type { LoadProfile } from './load-profiles.js';

/**
 * With `publish` false it is the floor: the same runtime, connection and timer, publishing nothing.
 * What any Node.js process pays to wake up at this rate, before it does any work.
 */
export async function runNaivePeer(profile: LoadProfile, url: string, publish = true): Promise<() => Promise<void>> {
  const client = mqtt.connect(url, { clientId: `${publish ? 'naive' : 'floor'}-${profile.name}`, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  let n = 0;
  const timer = setInterval(() => {
    n++;
    if (!publish) return;
    profile.sensors.forEach((quantities, s) => {
      for (const q of quantities) client.publish(`bench/naive-${profile.name}/s${s}/${q}`, String(20 + (n % 100) / 10), { qos: profile.qos });
    });
  }, profile.intervalMs);
  return async () => {
    clearInterval(timer);
    await client.endAsync();
  };
}
