/**
 * Outputs, rules, commands and the inbox on the simulated GPIO and a manual clock, with a sink that
 * records what would be published: the subscriber's behaviour without a broker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, settle } from '../drivers/clock.js';
import type { GpioBackend } from '../drivers/gpio/gpio.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { Commands } from '../agent/features/commands.js';
import { loadConfig } from '../agent/config/load-config.js';
import type { AgentConfig } from '../agent/config/types.js';
import { Inbox } from '../agent/features/inbox.js';
import { Inputs } from '../agent/features/inputs.js';
import { memoryLogger } from '../agent/log/logger.js';
import type { MessageSink } from '../agent/features/message-sink.js';
import type { PublishOptions } from '../agent/mqtt/session.js';
import { Outputs } from '../agent/features/outputs.js';
import { Rules } from '../agent/features/rules.js';
import { assertSafeLines } from './helpers/log-lines.js';

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

const RULES = [
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
];

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
      rules: RULES,
      ...extra,
    }),
  });
}

/** `wrap` puts something between the parts and the simulated GPIO (a failing pin, a slow one). */
async function rig(config = bbb(), wrap: (gpio: GpioBackend) => GpioBackend = (g) => g) {
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  const sink = new RecordingSink();
  const logger = memoryLogger();
  const backend = wrap(gpio);
  const outputs = new Outputs({ outputs: config.outputs, gpio: backend, sink, clock, logger });
  const inputs = new Inputs({ inputs: config.inputs, gpio: backend, sink, logger });
  const rules = new Rules({ rules: config.rules, deviceId: config.deviceId, outputs, sink, clock, logger });
  const commands = new Commands({ config: config.commands, outputs, inputs, sink, logger, stats: (): Record<string, unknown> => ({ messages: inbox.stats }) });
  const inbox: Inbox = new Inbox({ maxBytes: config.messages.maxBytes, outputs, rules, commands, logger, clock });
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

/** Every message taken is exactly one of handled or dropped[reason]. */
function assertCountersAddUp(inbox: Inbox): void {
  const { received, handled, dropped } = inbox.stats;
  assert.equal(received, handled + Object.values(dropped).reduce((a, b) => a + b, 0), `received ${received} = handled ${handled} + dropped ${JSON.stringify(dropped)}`);
}
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
  const { deliver, outputs, sink, inbox, commands } = await rig();
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
  // As the README says: what gets an error answer is dropped, with its reason; the rest is handled.
  assert.equal(inbox.stats.handled, 2);
  assert.deepEqual(inbox.stats.dropped, { 'too-large': 0, malformed: 1, 'wrong-type': 2, refused: 2, unmatched: 0, failed: 0 });
  assertCountersAddUp(inbox);
  assert.deepEqual(commands.stats, { ok: 2, errors: 5 });
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
  assert.deepEqual(inbox.stats.dropped, { 'too-large': 1, malformed: 1, 'wrong-type': 3, refused: 0, unmatched: 1, failed: 0 });
  assert.equal(inbox.stats.received, 7);
  assert.equal(inbox.stats.handled, 1);
  assertCountersAddUp(inbox);
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
  const inbox = new Inbox({ maxBytes: 4096, outputs, rules, commands: undefined, logger, clock });
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

test('1e309 is not an altitude: the LED stays off, no acknowledgement is sent, and it is counted as wrong-type', async () => {
  const { deliver, gpio, sink, inbox } = await rig();
  const before = gpio.history.length;
  for (const payload of ['1e309', '-1e309', '{"ft":1e309}']) await deliver('sensors/drone01/altitude', payload);
  assert.equal(gpio.history.length, before, 'no pin changed');
  assert.deepEqual(sink.on('devices/bbb01/ack'), []);
  assert.equal(inbox.stats.dropped['wrong-type'], 3);
  assertCountersAddUp(inbox);
  // JSON's 1e309 on a JSON-field rule, and in a command's ms, are refused the same way
  await deliver('home/door', '{"state":1e309}');
  await deliver('devices/bbb01/commands', '{"cmd":"set","output":"led","state":"on","ms":1e309,"id":1}');
  assert.equal(gpio.history.length, before);
  const answer = JSON.parse(sink.on(RESPONSES).at(-1)!) as { status: string; error: string };
  assert.deepEqual(answer, { id: 1, status: 'error', error: '"ms" must be a whole number of milliseconds from 1 to 86400000, got a number out of range' });
  assertCountersAddUp(inbox);
});

test('command answers are in our words: a hostile value is described, never converted, and JavaScript\'s error text never reaches the caller', async () => {
  const { deliver, sink, inbox, outputs, gpio } = await rig();
  const before = gpio.history.length;
  const cmd = 'devices/bbb01/commands';
  const hostile = [
    '{"cmd":{"toString":1},"id":"t"}',
    '{"cmd":["set"],"id":"t"}',
    '{"cmd":"set","output":{"toString":1},"state":"on","id":"t"}',
    '{"cmd":"set","output":"led","state":{"valueOf":1},"id":"t"}',
    '{"cmd":"set","output":"led","state":"on","ms":"500","id":"t"}',
    '{"cmd":"set","output":"led","state":"blink","id":"t"}',
    '{"cmd":"get","output":"__proto__","id":"t"}',
    '{"cmd":"constructor","id":"t"}',
    '{"cmd":"set","output":"led","state":"on\\u001b[2J","id":"t"}',
    '{"cmd":"set",}',
    '{"__proto__":{"cmd":"set"},"id":"t"}',
    'null',
    '[1,2]',
    '\u0000',
  ];
  for (const payload of hostile) await deliver(cmd, payload);
  const answers = sink.on(RESPONSES).map((p) => JSON.parse(p) as { id: unknown; status: string; error: string });
  assert.equal(answers.length, hostile.length, 'each answered once');
  for (const [i, answer] of answers.entries()) {
    assert.equal(answer.status, 'error', hostile[i]);
    assert.doesNotMatch(answer.error, /Cannot|undefined|is not a function|Unexpected|primitive|JSON at position|Error/, `${hostile[i]} → ${answer.error}`);
    assert.doesNotMatch(answer.error, /[\u0000-\u001f\u007f-\u009f]/, 'no raw control character in an answer');
  }
  assert.equal(answers[0]!.error, '"cmd" must be text, one of set, get, list, stats; got an object');
  assert.equal(answers[2]!.error, '"output" must be text, one of led, relay; got an object');
  assert.equal(answers[6]!.error, "unknown output '__proto__'");
  assert.equal(answers[8]!.error, '"state" must be on, off or toggle, got \'on\\u001b[2J\'');
  assert.equal(answers[9]!.error, 'invalid JSON: a command is a JSON object such as {"cmd":"set","output":"led","state":"on","id":"42"}');
  assert.equal(answers[10]!.error, 'missing "cmd": one of set, get, list, stats', 'a "__proto__" key is only a key');
  assert.equal(gpio.history.length, before, 'no pin changed');
  assert.equal(outputs.state('led'), false);
  assert.equal(inbox.stats.handled, 0);
  assert.equal(inbox.stats.received, hostile.length);
  assertCountersAddUp(inbox);
});

test('a command that fails below us is answered in our words; the cause goes to the log only', async () => {
  const { deliver, sink, inbox, logger, gpio, outputs } = await rig(bbb(), (real) => ({
    input: (pin, options) => real.input(pin, options),
    close: () => real.close(),
    output: async (pin, options) => {
      const line = await real.output(pin, options);
      return { ...line, write: async (active: boolean) => (failing ? Promise.reject(new Error('EIO: i/o error, write')) : line.write(active)) };
    },
  }));
  let failing = true;
  await deliver('devices/bbb01/commands', '{"cmd":"set","output":"led","state":"on","id":"x"}');
  assert.deepEqual(JSON.parse(sink.on(RESPONSES).at(-1)!), { id: 'x', status: 'error', error: "could not set output 'led'" });
  assert.equal(inbox.stats.dropped.failed, 1);
  assertCountersAddUp(inbox);
  assert.ok(logger.lines.some((l) => /WARN .*dropped: command: could not set output 'led': EIO: i\/o error, write reason=failed/.test(l)), logger.lines.join('\n'));
  assert.equal(gpio.level('P8_13'), false);
  failing = false;
  await deliver('devices/bbb01/commands', '{"cmd":"set","output":"led","state":"on","id":"y"}');
  assert.equal(outputs.state('led'), true, 'and the next one works');
});

test('a flood of bad messages writes one line per reason per interval, with the count held back; the counters stay exact', async () => {
  const { inbox, logger, clock, gpio } = await rig();
  const before = gpio.history.length;
  const lines = (): string[] => logger.lines.filter((l) => l.includes('dropped'));
  for (let i = 0; i < 500; i++) {
    inbox.receive('sensors/drone01/altitude', Buffer.from(`high${i}`));
    inbox.receive('devices/bbb01/outputs/led/set', Buffer.from('BLINK'));
  }
  await inbox.drained();
  assert.equal(lines().length, 2, lines().join('\n'));
  assert.equal(inbox.stats.dropped['wrong-type'], 500);
  assert.equal(inbox.stats.dropped.malformed, 500);
  assertCountersAddUp(inbox);
  await clock.advance(9_999);
  inbox.receive('sensors/drone01/altitude', Buffer.from('low'));
  await inbox.drained();
  assert.equal(lines().length, 2, 'still within the interval');
  await clock.advance(1);
  inbox.receive('sensors/drone01/altitude', Buffer.from('lower'));
  await inbox.drained();
  assert.equal(lines().length, 3);
  assert.match(lines()[2]!, /^WARN +dropped: rule altitude-led: payload "lower" is not a number reason=wrong-type .*payload=lower suppressed=500$/);
  inbox.close();
  inbox.logHeldBack();
  assert.match(logger.lines.at(-1)!, /^INFO +messages dropped since the last line for this reason reason=malformed count=499$/);
  assert.equal(gpio.history.length, before, 'no pin changed');
});

test('the inbox says when a message may be acknowledged: once handled or dropped; after close, never', async () => {
  const { inbox, outputs } = await rig();
  assert.equal(await inbox.receive('devices/bbb01/outputs/led/set', Buffer.from('ON')), true, 'handled');
  assert.equal(await inbox.receive('devices/bbb01/outputs/led/set', Buffer.from('BLINK')), true, 'dropped, and judged: acknowledged');
  assert.equal(await inbox.receive('nobody/listens', Buffer.from('x')), true, 'unmatched, judged too');
  inbox.close();
  assert.equal(await inbox.receive('devices/bbb01/outputs/led/set', Buffer.from('OFF')), false, 'not taken: left for the broker');
  assert.equal(outputs.state('led'), true, 'and not acted on');
  assert.equal(inbox.stats.deferred, 1);
  assert.equal(inbox.stats.received, 3, 'a message not taken is not received');
  assert.equal(inbox.stats.handled, 1);
  assertCountersAddUp(inbox);
});

test('messages waiting for a start that never comes are left for the broker when the inbox closes', async () => {
  const config = bbb();
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  const sink = new RecordingSink();
  const logger = memoryLogger();
  const outputs = new Outputs({ outputs: config.outputs, gpio, sink, clock, logger });
  const rules = new Rules({ rules: config.rules, deviceId: 'bbb01', outputs, sink, clock, logger });
  const inbox = new Inbox({ maxBytes: 4096, outputs, rules, commands: undefined, logger, clock });
  const verdicts = [inbox.receive('sensors/drone01/altitude', Buffer.from('130')), inbox.receive('sensors/drone01/altitude', Buffer.from('80'))];
  await settle();
  inbox.close(); // e.g. the GPIO failed to open: the agent stops without starting
  assert.deepEqual(await Promise.all(verdicts), [false, false]);
  await inbox.drained();
  assert.deepEqual(inbox.stats, { received: 0, handled: 0, dropped: { 'too-large': 0, malformed: 0, 'wrong-type': 0, refused: 0, unmatched: 0, failed: 0 }, deferred: 2 });
  assert.equal(logger.lines.filter((l) => /left unacknowledged/.test(l)).length, 1, 'one line, not one per message');
  inbox.logHeldBack();
  assert.match(logger.lines.at(-1)!, /^INFO +messages left unacknowledged since the last line count=1$/);
});

test('payload text reaches the log quoted and escaped: no raw ESC, CR, LF or bidi override, whatever the route', async () => {
  const echo = { name: 'echo', topic: 'echo/#', actions: [{ type: 'log', message: 'echo {value} on {topic}', level: 'warn' }, { type: 'publish', topic: 'devices/{deviceId}/echo', payload: '{value}' }] };
  const { deliver, logger, inbox } = await rig(bbb({ rules: [...RULES, echo] }));
  const evil = 'x\u001b[2J\u001b]0;pwned\u0007\r\nERROR [inbox] forged\u0085\u2028\u202egnp.exe\u009b31m';
  await deliver('sensors/drone01/altitude', evil);
  await deliver('home/door', evil);
  await deliver('home/door', `{"state":${JSON.stringify(evil)}}`);
  await deliver('devices/bbb01/outputs/led/set', evil);
  await deliver('devices/bbb01/commands', `{"cmd":${JSON.stringify(evil)},"id":${JSON.stringify(evil)}}`);
  await deliver('devices/bbb01/commands', `{"cmd":"set","output":${JSON.stringify(evil)},"state":"on"}`);
  await deliver(`sensors/${evil}/altitude`, '1');
  await deliver('nobody/listens', evil);
  await deliver(`echo/${evil}`, evil);
  assert.equal(inbox.stats.received, 9);
  assert.ok(logger.lines.some((l) => l.startsWith('WARN  [') || l.startsWith('WARN  echo')), logger.lines.join('\n'));
  assertSafeLines(logger.lines);
  assert.ok(logger.lines.some((l) => l.includes('\\u001b[2J')), 'the escapes are there to read');
});

test('a message the session could not read whole (over the inbound limit) is counted and logged as too large, in its turn', async () => {
  const { inbox, logger, gpio, deliver } = await rig();
  const before = gpio.history.length;
  inbox.tooLarge('devices/bbb01/commands', 300_000);
  await deliver('devices/bbb01/outputs/led/set', 'BLINK');
  assert.deepEqual([inbox.stats.received, inbox.stats.dropped['too-large'], inbox.stats.dropped.malformed], [2, 1, 1]);
  assertCountersAddUp(inbox);
  assert.equal(gpio.history.length, before);
  assert.match(logger.lines.find((l) => l.includes('reason=too-large'))!, /^WARN +dropped: a message of 300000 bytes is over messages.maxBytes \(4096\); it was not read reason=too-large topic=devices\/bbb01\/commands bytes=300000$/);
});
