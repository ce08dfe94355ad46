/**
 * Two boards with one client id (a cloned SD card) against a real Mosquitto: each connection throws
 * the other out (MQTT 3.1.1 §3.1.4; MQTT 5 says so with DISCONNECT 0x8E). Each session must say, once,
 * that another client uses its id, naming it, and back off instead of fighting once a second. The
 * sessions' clock is a ManualClock run ten times faster than real time, so 30 s of backoff take 3 s.
 * Mosquitto 2.0 closes the old connection without a word, even under MQTT 5; a broker that says
 * "Session taken over" (DISCONNECT 0x8E) is heard at once, which a scripted broker shows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MqttConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/log/logger.js';
import { MqttSession } from '../agent/mqtt/session.js';
import { ManualClock } from '../drivers/clock.js';
import { useMosquitto } from './helpers/mosquitto.js';
import { scriptedBroker } from './helpers/scripted-broker.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function mqttConfig(url: string, clientId: string, protocolVersion: 4 | 5): MqttConfig {
  return {
    url, clientId, keepaliveS: 30, clean: false, protocolVersion, statusTopic: `sensors/${clientId}/status`, connectTimeoutMs: 2000,
    reconnectPeriodMs: 100, reconnectMaxMs: 3000, reconnectSpreadMs: 0, sessionExpiryS: 600, username: '', password: '', passwordFile: '',
    tls: { ca: '', cert: '', key: '', insecureSkipVerify: false },
  };
}

describe('two boards with one client id', () => {
  const mosquitto = useMosquitto();

  for (const protocolVersion of [4, 5] as const) {
    it(`each says once that another client uses its id, and backs off (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
      const clock = new ManualClock();
      const clientId = `clone-${protocolVersion}`;
      const boards = [memoryLogger('info'), memoryLogger('info')].map((logger) => ({ logger, session: new MqttSession(mqttConfig(mosquitto.broker.url, clientId, protocolVersion), logger, { clock }) }));
      let running = true;
      // Time runs 10× faster for the sessions (their backoff and the lifetimes they judge).
      const time = (async () => {
        while (running) {
          await clock.advance(50);
          await sleep(5);
        }
      })();
      try {
        boards[0]!.session.start();
        await boards[0]!.session.ready();
        boards[1]!.session.start();
        const started = clock.now();
        while (clock.now() - started < 30_000) await sleep(20);

        for (const [i, { logger }] of boards.entries()) {
          const said = logger.lines.filter((l) => /^ERROR another client is using this client id/.test(l));
          assert.equal(said.length, 1, `board ${i} said it once:\n${logger.lines.join('\n')}`);
          assert.match(said[0]!, new RegExp(`clientId=${clientId}`), 'naming the id');
          assert.match(said[0]!, /hint=.*mqtt\.clientId/, 'and what to change');
        }
        const connects = boards.reduce((sum, b) => sum + b.session.connects, 0);
        // Fighting at the 100 ms base period would be ~300 connections each in 30 s.
        assert.ok(connects < 50, `backed off: ${connects} connections in 30 s between the two`);
      } finally {
        running = false;
        await time;
        await Promise.all(boards.map((b) => b.session.stop(200)));
      }
    });
  }

  it('an MQTT 5 DISCONNECT 0x8E (session taken over) is recognised at the first takeover', async () => {
    const broker = await scriptedBroker({ mqtt5: true, connected: (socket) => setTimeout(() => socket.end(Buffer.from([0xe0, 0x01, 0x8e])), 20) });
    const logger = memoryLogger('info');
    const session = new MqttSession(mqttConfig(broker.url, 'clone-8e', 5), logger);
    try {
      session.start();
      for (let i = 0; i < 200 && !logger.lines.some((l) => l.startsWith('ERROR another client')); i++) await sleep(10);
      const said = logger.lines.filter((l) => l.startsWith('ERROR another client'));
      assert.equal(said.length, 1, logger.lines.join('\n'));
      assert.match(said[0]!, /clientId=clone-8e .*session taken over/);
      assert.equal(broker.connections(), 1, 'said at the first takeover');
    } finally {
      await session.stop(200);
      broker.close();
    }
  });
});
