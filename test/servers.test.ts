/**
 * mqtt.url as a list of servers (a cluster's nodes), the round-robin and the per-server MQTT
 * version of protocolVersion "auto" (agent/mqtt/server-list.ts), and what the session says about
 * them against scripted brokers whose answers are exact: an MQTT 5 CONNECT refused with 0x84, or
 * closed without a CONNACK; a CONNACK saying there are no shared subscriptions. The real brokers'
 * side of the same (NATS, RabbitMQ, aedes, Mosquitto) is in test/brokers.test.ts and
 * test/failover.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, type ConfigProblem } from '../agent/config/config-error.js';
import { redactUrl } from '../agent/config/formats.js';
import { loadConfig } from '../agent/config/load-config.js';
import type { MqttConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/log/logger.js';
import { ServerList } from '../agent/mqtt/server-list.js';
import { backoffMs, MqttSession } from '../agent/mqtt/session.js';
import { ManualClock } from '../drivers/clock.js';
import { runCli, writeTempConfig } from './helpers/agent-process.js';
import { freePort } from './helpers/mosquitto.js';
import { scriptedBroker } from './helpers/scripted-broker.js';
import { TimePump } from './helpers/time-pump.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function problemsOf(mqtt: Record<string, unknown>, env: Record<string, string> = {}): ConfigProblem[] {
  try {
    loadConfig({ text: JSON.stringify({ deviceId: 'd1', sensors: [{ name: 's1' }], mqtt }), env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  return [];
}

const urlOf = (mqtt: Record<string, unknown>, env: Record<string, string> = {}): string =>
  loadConfig({ text: JSON.stringify({ deviceId: 'd1', sensors: [{ name: 's1' }], mqtt }), env }).mqtt.url;

describe('mqtt.url as a list of servers', () => {
  it('takes one URL as before, a comma list (file, environment, --broker) or a JSON array', () => {
    assert.equal(urlOf({ url: 'mqtt://broker:1883' }), 'mqtt://broker:1883');
    assert.equal(urlOf({ url: 'mqtt://n1:1883, mqtt://n2:1883,mqtt://n3:1883' }), 'mqtt://n1:1883,mqtt://n2:1883,mqtt://n3:1883');
    assert.equal(urlOf({ url: ['mqtt://n1:1883', 'mqtt://n2:1883'] }), 'mqtt://n1:1883,mqtt://n2:1883');
    assert.equal(urlOf({}, { EDGE_AGENT_MQTT_URL: 'mqtts://n1:8883,mqtts://n2:8883' }), 'mqtts://n1:8883,mqtts://n2:8883');
    const config = loadConfig({ text: JSON.stringify({ deviceId: 'd1', sensors: [{ name: 's1' }] }), env: {}, args: { broker: 'mqtt://a:1,mqtt://b:2' } });
    assert.equal(config.mqtt.url, 'mqtt://a:1,mqtt://b:2');
  });

  it('names the bad entry by its index, with a hint, and reports every one', () => {
    const problems = problemsOf({ url: 'mqtt://n1:1883,n2:1883,,mqtt://n1:1883' });
    assert.deepEqual(problems.map((p) => p.path), ['mqtt.url[1]', 'mqtt.url[2]']);
    assert.match(problems[0]!.hint, /add a scheme: "mqtt:\/\/n2:1883"/);
    assert.match(problems[1]!.message, /empty entry/);
    const twice = problemsOf({ url: ['mqtt://n1:1883', 'mqtt://n2:1883', 'mqtt://n1:1883'] });
    assert.deepEqual(twice.map((p) => p.path), ['mqtt.url[2]']);
    assert.match(twice[0]!.message, /listed twice \(also \[0\]\)/);
    const array = problemsOf({ url: ['mqtt://n1:1883', 7] });
    assert.deepEqual(array.map((p) => p.path), ['mqtt.url[1]']);
  });

  it('refuses a list that mixes TLS and plain servers, and TLS files with a plain server in the list', () => {
    const mixed = problemsOf({ url: 'mqtts://n1:8883,mqtt://n2:1883' });
    assert.deepEqual(mixed.map((p) => p.path), ['mqtt.url[1]']);
    assert.match(mixed[0]!.message, /not encrypted but other servers in the list are/);
    const tls = problemsOf({ url: 'mqtt://n1:1883,mqtt://n2:1883', tls: { ca: '/etc/hostname' } });
    assert.ok(tls.some((p) => p.path === 'mqtt.url[0]' && /not encrypted/.test(p.message)), JSON.stringify(tls));
  });

  it('keeps passwords out of the messages and the logs, every server\'s', () => {
    const problems = problemsOf({ url: 'mqtt://u:secret@n1:1883,mqtt://u:secret@n1:1883' });
    assert.equal(problems.length, 1);
    assert.doesNotMatch(JSON.stringify(problems), /secret/);
    assert.equal(redactUrl('mqtt://u:pw1@a:1, mqtt://v:pw2@b:2,mqtt://c:3'), 'mqtt://u:***@a:1, mqtt://v:***@b:2,mqtt://c:3');
    // A comma inside a password splits the URL: said without either half of the password.
    const split = problemsOf({ url: 'mqtt://u:sec,ret@n1:1883' });
    assert.deepEqual(split.map((p) => p.path), ['mqtt.url']);
    assert.match(split[0]!.hint, /%2C/);
    assert.doesNotMatch(JSON.stringify(split), /sec|ret@/);
    // The same in a JSON array, whose entries are joined by commas on their way to the session.
    const inArray = problemsOf({ url: ['mqtts://u:se,cret@n1:8883', 'mqtts://n2:8883'] });
    assert.deepEqual(inArray.map((p) => p.path), ['mqtt.url[0]']);
    assert.doesNotMatch(JSON.stringify(inArray), /se,|cret/);
  });

  it('edge-agent check-config exits 78 naming mqtt.url[i]', () => {
    const file = writeTempConfig({ deviceId: 'd1', sensors: [{ name: 's1' }], mqtt: { url: 'mqtt://n1:1883,http://n2' } });
    const result = runCli(['check-config', file]);
    assert.equal(result.status, 78, result.stderr);
    assert.match(result.stderr + result.stdout, /mqtt\.url\[1\]/);
  });

  it('protocolVersion takes "auto"', () => {
    const config = loadConfig({ text: JSON.stringify({ deviceId: 'd1', sensors: [{ name: 's1' }], mqtt: { protocolVersion: 'auto' } }), env: {} });
    assert.equal(config.mqtt.protocolVersion, 'auto');
    assert.equal(loadConfig({ text: JSON.stringify({ deviceId: 'd1', sensors: [{ name: 's1' }] }), env: { EDGE_AGENT_MQTT_PROTOCOL_VERSION: 'AUTO' } }).mqtt.protocolVersion, 'auto');
    assert.match(problemsOf({ protocolVersion: 'autp' })[0]!.hint, /did you mean "auto"/);
  });
});

describe('ServerList', () => {
  it('goes round the list, one server after the other', () => {
    const list = new ServerList('mqtt://a:1,mqtt://u:pw@b:2,mqtt://c:3', 4);
    assert.equal(list.current.url, 'mqtt://a:1');
    assert.deepEqual([list.advance(), list.advance(), list.advance()].map((s) => s.shown), ['mqtt://u:***@b:2', 'mqtt://c:3', 'mqtt://a:1']);
  });

  it('auto: MQTT 5 first, 3.1.1 after a refusal, kept per server; a fixed version never changes', () => {
    const list = new ServerList('mqtt://a:1,mqtt://b:2', 'auto');
    const [a, b] = list.servers as [typeof list.current, typeof list.current];
    assert.equal(list.protocolFor(a), 5);
    assert.equal(list.refusedMqtt5(a), true, 'retry with 3.1.1');
    assert.equal(list.protocolFor(a), 4);
    assert.equal(list.refusedMqtt5(a), false, 'already fell back: the refusal stands');
    assert.equal(list.protocolFor(b), 5, 'the other server is asked on its own');
    list.accepted(b, 5);
    assert.equal(list.protocolFor(b), 5);
    const fixed = new ServerList('mqtt://a:1', 5);
    assert.equal(fixed.refusedMqtt5(fixed.current), false);
    assert.equal(fixed.protocolFor(fixed.current), 5);
  });

  it('auto: only a CONNACK settles the fallback; a server silent to 3.1.1 too is asked for 5 again', () => {
    const list = new ServerList('mqtt://lb:1883', 'auto');
    const lb = list.current;
    assert.equal(list.refusedMqtt5(lb), true, 'closed without a CONNACK: try 3.1.1');
    list.unanswered(lb); // 3.1.1 closed without an answer too (a load balancer with no backend)
    assert.equal(list.protocolFor(lb), 5, 'nothing learned: MQTT 5 again next time');
    assert.equal(list.refusedMqtt5(lb), true);
    list.accepted(lb, 4);
    list.unanswered(lb); // a later outage does not unlearn what a CONNACK said
    assert.equal(list.protocolFor(lb), 4);
    assert.equal(list.refusedMqtt5(lb), false);
  });
});

function mqttConfig(url: string, overrides: Partial<MqttConfig> = {}): MqttConfig {
  return {
    url, clientId: 'servers-test', keepaliveS: 30, clean: true, protocolVersion: 'auto', statusTopic: 'sensors/servers-test/status', connectTimeoutMs: 2000,
    reconnectPeriodMs: 50, reconnectMaxMs: 200, reconnectSpreadMs: 0, sessionExpiryS: 0, username: '', password: '', passwordFile: '',
    tls: { ca: '', cert: '', key: '', insecureSkipVerify: false }, ...overrides,
  };
}

async function until(what: string, check: () => boolean, lines: string[]): Promise<void> {
  for (const end = Date.now() + 10_000; !check(); await sleep(20)) {
    if (Date.now() > end) throw new Error(`${what}:\n${lines.join('\n')}`);
  }
}

/** The protocol level byte of a CONNECT's variable header (MQTT 3.1.1 §3.1.2.2): 4 or 5. */
const levelOf = (connect: Buffer): number => connect[6]!;

describe('the session against scripted brokers', () => {
  for (const refusal of ['CONNACK 0x84', 'closed before CONNACK'] as const) {
    it(`auto: MQTT 5 refused (${refusal}) → 3.1.1 at once, said in the log; a reconnect asks 3.1.1 straight away`, async () => {
      const levels: number[] = [];
      const broker = await scriptedBroker({
        connack: (_n, connect) => {
          levels.push(levelOf(connect));
          if (levelOf(connect) !== 5) return Buffer.from([0x20, 0x02, 0x00, 0x00]);
          return refusal === 'CONNACK 0x84' ? Buffer.from([0x20, 0x03, 0x00, 0x84, 0x00]) : Buffer.alloc(0);
        },
        connected: (socket, n) => {
          if (n === 2) setTimeout(() => socket.destroy(), 50); // one drop: the reconnect must not ask for 5 again
        },
      });
      const logger = memoryLogger('debug');
      const session = new MqttSession(mqttConfig(broker.url), logger);
      try {
        session.start();
        await until('connected twice', () => logger.lines.filter((l) => /INFO\s+connected /.test(l)).length >= 2, logger.lines);
        assert.deepEqual(levels, [5, 4, 4], 'MQTT 5 once, then 3.1.1 on every connection');
        assert.ok(logger.lines.some((l) => /INFO\s+connected .*protocol="MQTT 3\.1\.1"/.test(l)), logger.lines.join('\n'));
        assert.equal(logger.lines.filter((l) => /refused MQTT 5|closed an MQTT 5 connection/.test(l)).length, 1);
        assert.equal(logger.lines.filter((l) => l.startsWith('ERROR')).length, 0, `a fallback is not an error:\n${logger.lines.join('\n')}`);
        assert.equal(session.protocol, 'MQTT 3.1.1');
      } finally {
        await session.stop(200);
        broker.close();
      }
    });
  }

  it('a fixed protocolVersion 5 refused stays refused, and the log says to use 4 or auto', async () => {
    const broker = await scriptedBroker({ connack: () => Buffer.from([0x20, 0x03, 0x00, 0x84, 0x00]) });
    const logger = memoryLogger('debug');
    const session = new MqttSession(mqttConfig(broker.url, { protocolVersion: 5 }), logger);
    try {
      session.start();
      await until('the refusal explained', () => logger.lines.some((l) => l.startsWith('ERROR') && /protocolVersion to 4 .*or to \\?"auto/.test(l)), logger.lines);
      assert.equal(session.connected, false);
    } finally {
      await session.stop(200);
      broker.close();
    }
  });

  it('the first server dead, the second alive: connects to the second after one failed attempt', async () => {
    const dead = await freePort();
    const broker = await scriptedBroker();
    const logger = memoryLogger('debug');
    const session = new MqttSession(mqttConfig(`mqtt://127.0.0.1:${dead},${broker.url}`, { protocolVersion: 4 }), logger);
    try {
      session.start();
      await session.ready();
      assert.equal(session.server, broker.url);
      const tried = logger.lines.filter((l) => /INFO\s+connecting /.test(l));
      assert.deepEqual(tried.map((l) => /url=(\S+)/.exec(l)?.[1]), [`mqtt://127.0.0.1:${dead}`, broker.url]);
      assert.ok(logger.lines.some((l) => /INFO\s+connected .*url=/.test(l) && l.includes(broker.url)));
    } finally {
      await session.stop(200);
      broker.close();
    }
  });

  it('a publish while no server answers rejects at once (mqtt.js would park it where a reconnect loses it, unsettled)', async () => {
    const dead = await freePort();
    const session = new MqttSession(mqttConfig(`mqtt://127.0.0.1:${dead}`, { protocolVersion: 4 }), memoryLogger());
    try {
      session.start();
      await assert.rejects(session.publish('sensors/x/health', 'x', { qos: 1, retain: true }), /not connected/);
    } finally {
      await session.stop(200);
    }
  });

  it('a cluster all down: every server once per round, the backoff growing by rounds, not by attempts', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const urls = ports.map((p) => `mqtt://127.0.0.1:${p}`);
    const clock = new ManualClock();
    const logger = memoryLogger('debug');
    // random() = 1: each wait is its schedule's ceiling, so waits of one round are equal.
    const session = new MqttSession(mqttConfig(urls.join(','), { protocolVersion: 4, reconnectPeriodMs: 100, reconnectMaxMs: 10_000 }), logger, { clock, random: () => 1 });
    const pump = new TimePump(clock, 10);
    try {
      session.start();
      const waits = (): number[] => logger.lines.filter((l) => /broker unreachable|reconnecting later/.test(l)).map((l) => Number(/retryMs=(\d+)/.exec(l)?.[1]));
      await pump.until('four rounds of attempts', () => waits().length >= 12, { detail: () => logger.lines.join('\n') });
      const tried = logger.lines.filter((l) => /INFO\s+connecting /.test(l)).map((l) => /url=(\S+)/.exec(l)?.[1]);
      assert.deepEqual(tried.slice(0, 12), [...urls, ...urls, ...urls, ...urls], 'round robin, each server once per round');
      const w = waits().slice(0, 12);
      const rounds = [w.slice(0, 3), w.slice(3, 6), w.slice(6, 9), w.slice(9, 12)];
      for (const round of rounds) assert.equal(new Set(round).size, 1, `one wait per round: ${JSON.stringify(rounds)}`);
      assert.deepEqual(rounds.map((r) => r[0]), [0, 1, 2, 3].map((n) => backoffMs(n, { reconnectPeriodMs: 100, reconnectMaxMs: 10_000, reconnectSpreadMs: 0 }, () => 1)), 'the backoff of one attempt of a single broker, per round');
      assert.ok(rounds[3]![0]! > rounds[0]![0]!, 'waits grow from round to round');
    } finally {
      await pump.settle('stop', session.stop(100));
    }
  });

  it('MQTT 5 CONNACK "Shared Subscription Available" = 0 with a $share filter: one warning naming the filters', async () => {
    // CONNACK: flags 0, reason 0, properties: 0x2A (Shared Subscription Available) = 0 (MQTT 5.0 §3.2.2.3.13).
    const broker = await scriptedBroker({ mqtt5: true, connack: () => Buffer.from([0x20, 0x05, 0x00, 0x00, 0x02, 0x2a, 0x00]) });
    const logger = memoryLogger('debug');
    const session = new MqttSession(mqttConfig(broker.url, { protocolVersion: 5 }), logger);
    try {
      session.start();
      await session.ready();
      await session.subscribe([{ topic: '$share/loggers/sensors/#', qos: 1 }, { topic: 'sensors/+/status', qos: 1 }]);
      const warnings = logger.lines.filter((l) => /no shared subscriptions/.test(l));
      assert.equal(warnings.length, 1, logger.lines.join('\n'));
      assert.match(warnings[0]!, /^WARN/);
      assert.match(warnings[0]!, /\$share\/loggers\/sensors\/#/);
      assert.doesNotMatch(warnings[0]!, /sensors\/\+\/status/);
    } finally {
      await session.stop(200);
      broker.close();
    }
  });

  it('no warning when the CONNACK says nothing (absent means available)', async () => {
    const broker = await scriptedBroker({ mqtt5: true });
    const logger = memoryLogger('debug');
    const session = new MqttSession(mqttConfig(broker.url, { protocolVersion: 5 }), logger);
    try {
      session.start();
      await session.ready();
      await session.subscribe([{ topic: '$share/loggers/sensors/#', qos: 1 }]);
      assert.ok(logger.lines.some((l) => /subscribed .*\$share/.test(l)), logger.lines.join('\n'));
      assert.equal(logger.lines.filter((l) => /no shared subscriptions/.test(l)).length, 0);
    } finally {
      await session.stop(200);
      broker.close();
    }
  });
});
