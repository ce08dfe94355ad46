/**
 * An independent MQTT client for assertions: `mosquitto_sub`, not mqtt.js, so a bug shared by the
 * agent and the test's client library cannot hide itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { findBinary } from './mosquitto.js';

export interface Message {
  topic: string;
  qos: number;
  retained: boolean;
  payload: string;
}

export interface WatchOptions {
  port: number;
  topics: string[];
  /** Stop after this many messages. */
  count: number;
  timeoutS?: number;
  /** Subscribe at QoS 2 so the delivered QoS is the publisher's. */
  qos?: number;
  extraArgs?: string[];
}

export function watch(options: WatchOptions): Promise<Message[]> {
  const args = ['-h', '127.0.0.1', '-p', String(options.port), '-q', String(options.qos ?? 2), '-C', String(options.count), '-W', String(options.timeoutS ?? 10), '-F', '%t\t%q\t%r\t%p', ...(options.extraArgs ?? [])];
  for (const topic of options.topics) args.push('-t', topic);
  return new Promise((resolve, reject) => {
    const child = spawn(findBinary('mosquitto_sub'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    // 'close', not 'exit': a process may exit before its last output has been read (Node's
    // child_process docs), and a message that arrived at once was then missed.
    child.on('close', () => {
      const messages = out
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => {
          const [topic = '', qos = '', retained = '', ...rest] = line.split('\t');
          return { topic, qos: Number(qos), retained: retained === '1', payload: rest.join('\t') };
        });
      if (messages.length < options.count) {
        reject(new Error(`expected ${options.count} message(s) on ${options.topics.join(', ')}, got ${messages.length}: ${JSON.stringify(messages)} ${err}`));
      } else {
        resolve(messages);
      }
    });
  });
}

/** Poll a retained topic until it holds `expected` (bounded; not a timing assertion). */
export async function waitForRetained(port: number, topic: string, expected: string, attempts = 40): Promise<string> {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    const [message] = await watch({ port, topics: [topic], count: 1, timeoutS: 1 }).catch(() => [] as Message[]);
    last = message?.payload ?? '(nothing retained)';
    if (message?.retained && message.payload === expected) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`retained ${topic} never became '${expected}'; last seen: ${last}`);
}

/**
 * `mosquitto_pub` at QoS 1 (returns once the broker has acknowledged it), retained if asked. The
 * payload goes on stdin (-s): one argument may not exceed 128 KiB (Linux MAX_ARG_STRLEN).
 */
export function mosquittoPub(port: number, topic: string, payload: string, options: { retain?: boolean } = {}): void {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-s', ...(options.retain ? ['-r'] : [])];
  const result = spawnSync(findBinary('mosquitto_pub'), args, { input: payload, encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`mosquitto_pub failed (${String(result.status)}): ${result.stderr}`);
}
