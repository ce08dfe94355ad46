/**
 * Outputs, rules, commands and the inbox on the simulated GPIO and a manual clock, with a sink that
 * records what would be published: the subscriber's behaviour without a broker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, settle } from '../drivers/clock.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { Commands } from '../agent/commands.js';
import { loadConfig } from '../agent/config/load-config.js';
import type { AgentConfig } from '../agent/config/types.js';
import { Inbox } from '../agent/inbox.js';
import { Inputs } from '../agent/inputs.js';
import { memoryLogger } from '../agent/logger.js';
import type { MessageSink } from '../agent/message-sink.js';
import type { PublishOptions } from '../agent/mqtt-session.js';
import { Outputs } from '../agent/outputs.js';
import { Rules } from '../agent/rules.js';

interface Sent {
  topic: string;
  payload: string;
  options: PublishOptions;
}

class RecordingSink implements MessageSink {
  readonly sent: Sent[] = [];
  connected = true;
  async publish(topic: string, payload: string, options: PublishOptions): Promise<void> {
    this.sent.push({ topic, payload, options });
  }
  on(topic: string): string[] {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.payload);
  }
}

function bbb(extra: Record<string, unknown> = {}): AgentConfig {
  return loadConfig({
    text: JSON.stringify({
      board: 'beaglebone-black',
      role: 'subscriber',
      deviceId: 'bbb01',
      gpio: { simulated: true },
      outputs: [
        { name: 'led', pin: 'P8_13' },
        { name: 'relay', pin: 'P9_12', activeLow: true },
      ],
      inputs: [{ name: 'button', pin: 'P9_15', activeLow: true, debounceMs: 20 }],
      rules: [
        {
          name: 'altitude-led',
          topic: 'sensors/+/altitude',
          condition: { atLeast: 100, hysteresis: 5 },
          actions: [
            { type: 'output', output: 'led', state: 'on' },
            { type: 'publish', topic: 'devices/{deviceId}/ack', payload: '{"rule":"{rule}","ft":{value},"from":"{topic}"}' },
          ],
          elseActions: [{ type: 'output', output: 'led', state: 'off' }],
        },
        { name: 'door', topic: 'home/door', condition: { field: 'state', equals: 'open' }, actions: [{ type: 'output', output: 'relay', state: 'pulse', ms: 500 }, { type: 'log', message: 'door {value} at {ts}' }] },
      ],
      ...extra,
    }),
  });
}

async function rig(config = bbb()) {
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  const sink = new RecordingSink();
  const logger = memoryLogger();
  const outputs = new Outputs({ outputs: config.outputs, gpio, sink, clock, logger });
  const inputs = new Inputs({ inputs: config.inputs, gpio, sink, logger });
  const rules = new Rules({ rules: config.rules, deviceId: config.deviceId, outputs, sink, clock, logger });
  const commands = new Commands({ config: config.commands, outputs, inputs, sink, logger, stats: (): Record<string, unknown> => ({ messages: inbox.stats }) });
  const inbox: Inbox = new Inbox({ maxBytes: config.messages.maxBytes, outputs, rules, commands, logOnly: config.subscriptions, logger });
  await outputs.start();
  await inputs.start();
  inbox.start();
  const deliver = async (topic: string, payload: string | Buffer): Promise<void> => {
    inbox.receive(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
    await inbox.drained();
    await settle();
  };
  return { clock, gpio, sink, logger, outputs, inputs, rules, commands, inbox, deliver };
}

const LED_STATE = 'devices/bbb01/outputs/led/state';
const RESPONSES = 'devices/bbb01/responses';

test('outputs start at their safe state (electrically, and retained on the state topic)', async () => {
  const { gpio, sink } = await rig();
  assert.equal(gpio.level('P8_13'), false);
  assert.equal(gpio.level('P9_12'), true, 'active-low relay off = pin high');
  const led = sink.sent.find((s) => s.topic === LED_STATE);
  assert.deepEqual(led, { topic: LED_STATE, payload: 'OFF', options: { qos: 0, retain: true } }, 'QoS 0: see Outputs.announce');
});

test('output states wait while the broker is away and are all published again on reconnect', async () => {
  const { sink, deliver, outputs } = await rig();
  sink.connected = false;
  const before = sink.sent.length;
  await deliver('devices/bbb01/outputs/led/set', 'ON');
  assert.equal(sink.sent.filter((s) => s.topic === LED_STATE).length, sink.sent.slice(0, before).filter((s) => s.topic === LED_STATE).length, 'nothing sent while away');
  sink.connected = true;
  await outputs.announceAll(); // what SubscriberMode does on every (re)connect
  assert.deepEqual(sink.sent.filter((s) => s.topic === LED_STATE).at(-1), { topic: LED_STATE, payload: 'ON', options: { qos: 0, retain: true } });
});

test('the LED follows the altitude across the threshold with hysteresis, and each switch is acknowledged once', async () => {
  const { gpio, sink, deliver, rules } = await rig();
  const levels: Array<boolean | undefined> = [];
  for (const ft of ['90', '100', '101', '97', '95', '94', '99', '100']) {
    await deliver('sensors/drone01/altitude', ft);
    levels.push(gpio.level('P8_13'));
  }
  assert.deepEqual(levels, [false, true, true, true, true, false, false, true]);
  assert.deepEqual(sink.on(LED_STATE), ['OFF', 'OFF', 'ON', 'OFF', 'ON']);
  assert.deepEqual(sink.on('devices/bbb01/ack'), ['{"rule":"altitude-led","ft":100,"from":"sensors/drone01/altitude"}', '{"rule":"altitude-led","ft":100,"from":"sensors/drone01/altitude"}']);
  assert.equal(rules.state('altitude-led'), true);
});

test('a pulse lasts exactly its ms on the manual clock, and a later command cancels its timer', async () => {
  const { gpio, clock, deliver, outputs, logger } = await rig();
  await deliver('home/door', '{"state":"open"}');
  assert.equal(outputs.state('relay'), true);
  assert.equal(gpio.level('P9_12'), false, 'active-low: on is low');
  await clock.advance(499);
  assert.equal(outputs.state('relay'), true);
  await clock.advance(1);
  await settle();
  assert.equal(outputs.state('relay'), false, 'off after 500 ms');
  assert.ok(logger.lines.some((l) => /door open at 2026-11-24T10:00:00.000Z/.test(l)), logger.lines.join('\n'));

  await deliver('home/door', '{"state":"closed"}'); // condition false: no else actions
  await deliver('home/door', '{"state":"open"}');
  await outputs.set('relay', 'on', 'test'); // a later command: the pulse's timer must not undo it
  await clock.advance(1000);
  await settle();
  assert.equal(outputs.state('relay'), true);
});

test('set topics take ON, OFF, TOGGLE and a timed {"state","ms"}; anything else is dropped as malformed', async () => {
  const { deliver, outputs, clock, inbox } = await rig();
  const set = 'devices/bbb01/outputs/led/set';
  await deliver(set, 'ON');
  assert.equal(outputs.state('led'), true);
  await deliver(set, 'toggle');
  assert.equal(outputs.state('led'), false);
  await deliver(set, '{"state":"ON","ms":250}');
  assert.equal(outputs.state('led'), true);
  await clock.advance(250);
  await settle();
  assert.equal(outputs.state('led'), false);
  await deliver(set, 'BLINK');
  await deliver(set, '{"state":"ON","ms":-1}');
  assert.equal(outputs.state('led'), false);
  assert.equal(inbox.stats.dropped.malformed, 2);
});

test('commands are answered: ok, unknown output, unknown command, invalid JSON, missing cmd', async () => {
  const { deliver, outputs, sink } = await rig();
  const cmd = 'devices/bbb01/commands';
  await deliver(cmd, '{"cmd":"set","output":"led","state":"on","id":"42"}');
  await deliver(cmd, '{"cmd":"set","output":"lde","state":"on","id":"43"}');
  await deliver(cmd, '{"cmd":"reboot","id":7}');
  await deliver(cmd, '{"cmd":"set",');
  await deliver(cmd, '{"id":"44"}');
  await deliver(cmd, '{"cmd":"get","output":"led","id":"45"}');
  await deliver(cmd, '"set"');
  const answers = sink.on(RESPONSES).map((p) => JSON.parse(p) as Record<string, unknown>);
  assert.deepEqual(answers[0], { id: '42', status: 'ok', output: 'led', state: 'on' });
  assert.deepEqual(answers[1], { id: '43', status: 'error', error: "unknown output 'lde'" });
  assert.deepEqual(answers[2], { id: 7, status: 'error', error: "unknown command 'reboot': known are set, get, list, stats" });
  assert.equal(answers[3]!.id, null);
  assert.equal(answers[3]!.status, 'error');
  assert.match(String(answers[3]!.error), /^invalid JSON/);
  assert.deepEqual(answers[4], { id: '44', status: 'error', error: 'missing "cmd": one of set, get, list, stats' });
  assert.deepEqual(answers[5], { id: '45', status: 'ok', output: 'led', state: 'on' });
  assert.equal(answers[6]!.status, 'error');
  assert.equal(answers.length, 7, 'every command answered, none twice');
  assert.equal(outputs.state('led'), true);
});

test('bad input is logged with its reason, counted and dropped, and changes no output', async () => {
  const { deliver, inbox, gpio, logger, sink } = await rig(bbb({ messages: { maxBytes: 64 } }));
  await deliver('sensors/drone01/altitude', '120');
  const before = gpio.history.length;
  const statesBefore = sink.on(LED_STATE).length;
  await deliver('sensors/drone01/altitude', 'very high');
  await deliver('sensors/drone01/altitude', 'x'.repeat(65));
  await deliver('sensors/drone01/altitude', Buffer.from([0xff, 0xfe, 0x00]));
  await deliver('home/door', '{"state":');
  await deliver('home/door', '{"status":"open"}');
  await deliver('elsewhere/topic', '1');
  assert.equal(gpio.history.length, before, 'no pin changed');
  assert.equal(sink.on(LED_STATE).length, statesBefore);
  assert.deepEqual(inbox.stats.dropped, { 'too-large': 1, malformed: 1, 'wrong-type': 3, unmatched: 1, failed: 0 });
  assert.equal(inbox.stats.received, 7);
  assert.equal(inbox.stats.handled, 1);
  assert.ok(logger.lines.some((l) => /WARN .*dropped: payload of 65 bytes is over messages.maxBytes \(64\) reason=too-large/.test(l)), logger.lines.join('\n'));
  assert.ok(logger.lines.some((l) => /dropped: rule altitude-led: payload "very high" is not a number reason=wrong-type/.test(l)));
  // and the rule still works afterwards
  await deliver('sensors/drone01/altitude', '90');
  assert.equal(gpio.level('P8_13'), false);
});

test('messages that arrive before start wait, in order, until the outputs are claimed', async () => {
  const config = bbb();
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  const sink = new RecordingSink();
  const logger = memoryLogger();
  const outputs = new Outputs({ outputs: config.outputs, gpio, sink, clock, logger });
  const rules = new Rules({ rules: config.rules, deviceId: 'bbb01', outputs, sink, clock, logger });
  const inbox = new Inbox({ maxBytes: 4096, outputs, rules, commands: undefined, logOnly: [], logger });
  inbox.receive('sensors/drone01/altitude', Buffer.from('130'));
  inbox.receive('sensors/drone01/altitude', Buffer.from('80'));
  inbox.receive('sensors/drone01/altitude', Buffer.from('110'));
  await settle();
  assert.equal(inbox.stats.received, 0);
  await outputs.start();
  inbox.start();
  await inbox.drained();
  assert.deepEqual(sink.on(LED_STATE), ['OFF', 'ON', 'OFF', 'ON']);
});

test('inputs publish their state at start and each debounced edge', async () => {
  const { gpio, clock, sink, inputs } = await rig();
  assert.deepEqual(sink.on('devices/bbb01/inputs/button/state'), ['ON'], 'active-low button reads pressed while the pin is low');
  gpio.setLevel('P9_15', true);
  await clock.advance(10);
  gpio.setLevel('P9_15', false);
  await clock.advance(10);
  gpio.setLevel('P9_15', true);
  await clock.advance(20);
  assert.deepEqual(sink.on('devices/bbb01/inputs/button/state'), ['ON', 'OFF']);
  assert.deepEqual(sink.on('devices/bbb01/inputs/button/edge'), ['falling']);
  assert.equal(sink.sent.find((s) => s.topic.endsWith('/edge'))?.options.retain, false);
  assert.equal(inputs.state('button'), false);
});

test('stop drives every output back to its safe state and says so on the state topic', async () => {
  const { outputs, gpio, sink, deliver } = await rig();
  await deliver('sensors/drone01/altitude', '150');
  await outputs.set('relay', 'on', 'test');
  await outputs.stop();
  assert.equal(gpio.level('P8_13'), false);
  assert.equal(gpio.level('P9_12'), true);
  assert.equal(sink.on(LED_STATE).at(-1), 'OFF');
  assert.equal(sink.on('devices/bbb01/outputs/relay/state').at(-1), 'OFF');
});

test('after stop, nothing moves an output away from its safe state', async () => {
  const { outputs, gpio, deliver, inbox } = await rig();
  await outputs.stop();
  await assert.rejects(outputs.set('led', 'on', 'late'), /stopped/);
  await deliver('devices/bbb01/outputs/led/set', 'ON');
  assert.equal(gpio.level('P8_13'), false);
  assert.equal(inbox.stats.dropped.failed, 1, 'refused, counted');
  inbox.close();
  await deliver('sensors/drone01/altitude', '150');
  assert.equal(gpio.level('P8_13'), false);
});

test('a command queued behind a timed change is not undone by that change\'s timer', async () => {
  const { outputs, clock } = await rig();
  const timed = outputs.set('led', 'on', 'first', 100); // its timer starts only once its write is done
  const plain = outputs.set('led', 'on', 'second');
  await Promise.all([timed, plain]);
  await clock.advance(200);
  await settle();
  assert.equal(outputs.state('led'), true);
});

test('an input with edge rising publishes only presses as edges, but its state follows every change', async () => {
  const config = bbb({ inputs: [{ name: 'button', pin: 'P9_15', debounceMs: 0, edge: 'rising' }] });
  const { gpio, sink, inputs } = await rig(config);
  gpio.setLevel('P9_15', true);
  await settle();
  gpio.setLevel('P9_15', false);
  await settle();
  assert.deepEqual(sink.on('devices/bbb01/inputs/button/state'), ['OFF', 'ON', 'OFF']);
  assert.deepEqual(sink.on('devices/bbb01/inputs/button/edge'), ['rising']);
  assert.equal(inputs.state('button'), false);
});
