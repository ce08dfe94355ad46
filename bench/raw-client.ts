/**
 * The yardstick: plain mqtt.js against the same broker, with nothing of the agent in the way.
 * Every agent figure is reported as a ratio to these, measured in the same run.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { distribution, type Distribution } from './stats.js';

export function connect(url: string, clientId: string): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId, reconnectPeriod: 0, clean: true });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** QoS 0: publish `count` messages as fast as the socket takes them; messages per second. */
export async function rawQos0Rate(url: string, count: number): Promise<number> {
  const client = await connect(url, 'bench-raw-q0');
  const started = performance.now();
  const batch = 500;
  for (let sent = 0; sent < count; sent += batch) {
    // Wait for the last of each batch to be written, so the loop measures the wire, not a buffer.
    await new Promise<void>((resolve) => {
      for (let i = 0; i < batch; i++) client.publish(`bench/raw/${i % 7}`, String(sent + i), { qos: 0 }, i === batch - 1 ? () => resolve() : undefined);
    });
  }
  const rate = count / ((performance.now() - started) / 1000);
  await client.endAsync();
  return rate;
}

/** QoS 1 with at most `window` messages awaiting PUBACK; acknowledged messages per second. */
export async function rawQos1Rate(url: string, count: number, window: number): Promise<number> {
  const client = await connect(url, 'bench-raw-q1');
  const started = performance.now();
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const send = (): void => {
      while (sent < count && sent - acked < window) {
        const n = sent++;
        client.publish(`bench/raw/${n % 7}`, String(n), { qos: 1 }, (error) => {
          if (error) return reject(error);
          if (++acked === count) resolve();
          else send();
        });
      }
    };
    send();
  });
  const rate = count / ((performance.now() - started) / 1000);
  await client.endAsync();
  return rate;
}

/** Publish → receive through the broker, one message every `periodMs`, ms per message. */
export async function rawRoundTrip(url: string, samples: number, periodMs: number, qos: 0 | 1): Promise<Distribution> {
  const publisher = await connect(url, 'bench-rtt-pub');
  const subscriber = await connect(url, 'bench-rtt-sub');
  await subscriber.subscribeAsync('bench/rtt', { qos });
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const done = new Promise<void>((resolve) => {
    subscriber.on('message', (_topic, payload) => {
      latencies.push(performance.now() - sentAt[Number(payload.toString())]!);
      if (latencies.length === samples) resolve();
    });
  });
  for (let i = 0; i < samples; i++) {
    sentAt[i] = performance.now();
    publisher.publish('bench/rtt', String(i), { qos });
    await new Promise((r) => setTimeout(r, periodMs));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  await Promise.all([publisher.endAsync(), subscriber.endAsync()]);
  return distribution(latencies);
}
