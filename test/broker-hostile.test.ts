/**
 * A broker as an adversary (a scripted peer): a PUBLISH that declares 268 MB and streams a quarter
 * of a gigabyte, garbage after CONNACK, a control packet with a huge length. The agent runs as its
 * own process with a rule on the topic; the test reads its peak memory from /proc and its log.
 * Before the inbound limit a 256 MB message grew the agent from 65 to 578 MB.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { seededRandom } from '../drivers/i2c/simulated-bus.js';
import { MAX_REMAINING_LENGTH } from '../agent/mqtt/inbound-limit.js';
import { startAgent, writeTempConfig, type AgentProcess } from './helpers/agent-process.js';
import { fuzzSeed } from './helpers/fuzz-seed.js';
import { publishPacket, remainingLength, scriptedBroker, type Script } from './helpers/scripted-broker.js';

const TOPIC = 'sensors/x/altitude';

function subscriberConfig(url: string): string {
  return writeTempConfig({
    board: 'generic', role: 'subscriber', deviceId: 'hostile01',
    mqtt: { url, keepaliveS: 5, reconnectPeriodMs: 100, reconnectMaxMs: 400 },
    rules: [{ name: 'alt', topic: TOPIC, qos: 0, actions: [{ type: 'log', message: 'altitude {value}' }] }],
  });
}

/** Peak resident memory of a process, MB (VmHWM, proc(5)). */
function peakMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function write(socket: Socket, bytes: Buffer): Promise<void> {
  if (!socket.write(bytes)) await new Promise<void>((resolve, reject) => {
    socket.once('drain', resolve);
    socket.once('close', () => reject(new Error('the agent closed the connection')));
  });
}

async function withAgent(script: Script, body: (agent: AgentProcess, connections: () => number) => Promise<void>): Promise<void> {
  const broker = await scriptedBroker(script);
  const config = subscriberConfig(broker.url);
  const agent = startAgent(['run', '--config', config]);
  try {
    await body(agent, broker.connections);
  } finally {
    agent.child.kill('SIGKILL');
    await agent.exited;
    broker.close();
    rmSync(dirname(config), { recursive: true, force: true });
  }
}

describe('a hostile broker', () => {
  it('a 256 MB PUBLISH streams past without being buffered: counted as too large, memory bounded, the next message handled', async () => {
    let streamed = 0;
    await withAgent(
      {
        subscribed: (socket, connection) => {
          if (connection !== 1) return;
          void (async () => {
            const topic = Buffer.from(TOPIC);
            // PUBLISH, QoS 0, the largest Remaining Length MQTT allows.
            await write(socket, Buffer.concat([Buffer.from([0x30]), remainingLength(MAX_REMAINING_LENGTH), Buffer.from([0, topic.length]), topic]));
            const block = Buffer.alloc(1 << 20, 0x39);
            for (let left = MAX_REMAINING_LENGTH - 2 - topic.length; left > 0; ) {
              const n = Math.min(left, block.length);
              await write(socket, block.subarray(0, n));
              left -= n;
              streamed += n;
            }
            await write(socket, publishPacket(TOPIC, '100'));
          })().catch(() => undefined);
        },
      },
      async (agent, connections) => {
        await agent.waitFor(/altitude 100/, 60_000);
        assert.ok(streamed > 250 * 2 ** 20, `the whole payload was sent (${streamed} bytes)`);
        assert.match(agent.output(), /dropped: .*too-large|reason=too-large/, 'logged as too large');
        assert.equal(connections(), 1, 'the connection stayed up and in step');
        const peak = peakMb(agent.child.pid!);
        assert.ok(peak < 160, `peak RSS ${peak.toFixed(0)} MB: nowhere near the 256 MB sent`);
      },
    );
  });

  it('garbage after CONNACK, or a control packet declaring 200 MB, closes that connection; the agent reconnects and keeps running', async () => {
    const seed = fuzzSeed('hostile broker garbage');
    const random = seededRandom(seed);
    await withAgent(
      {
        subscribed: (socket, connection) => {
          if (connection === 1) socket.write(Buffer.from(Array.from({ length: 512 }, () => Math.floor(random() * 256))));
          // A SUBACK (a control packet) of 200 MB: refused from its header.
          else if (connection === 2) socket.write(Buffer.concat([Buffer.from([0x90]), remainingLength(200 * 2 ** 20), Buffer.alloc(4096)]));
          else socket.write(publishPacket(TOPIC, '100'));
        },
      },
      async (agent, connections) => {
        await agent.waitFor(/altitude 100/, 20_000);
        assert.ok(connections() >= 3, `reconnected after each (${connections()} connections)`);
        assert.equal(agent.child.exitCode, null, 'still running');
        assert.ok(peakMb(agent.child.pid!) < 160);
        assert.doesNotMatch(agent.output(), /\n\s+at /, 'no stack trace');
      },
    );
  });
});
