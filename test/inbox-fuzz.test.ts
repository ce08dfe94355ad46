/**
 * Payload fuzzing through the real inbox, outputs, rules and commands on the simulated GPIO: random
 * mutations of valid set, command and rule payloads, and random bytes. Whatever comes, no exception
 * escapes, every message is counted exactly once, a dropped message changes no pin and no output,
 * every command answer is JSON in our words, every acknowledgement a rule publishes is JSON with a
 * finite number, and every log line is one line without a raw control character.
 *
 * The seed is printed in the test's name; FUZZ_SEED=<seed> replays a run, FUZZ_ROUNDS sets its length.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, settle } from '../drivers/clock.js';
import type { GpioBackend } from '../drivers/gpio/gpio.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { seededRandom } from '../drivers/i2c/simulated-bus.js';
import { Commands } from '../agent/features/commands.js';
import { loadConfig } from '../agent/config/load-config.js';
import { Inbox, type InboxStats } from '../agent/features/inbox.js';
import { Inputs } from '../agent/features/inputs.js';
import { memoryLogger } from '../agent/log/logger.js';
import type { MessageSink } from '../agent/features/message-sink.js';
import type { PublishOptions } from '../agent/mqtt/session.js';
import { Outputs } from '../agent/features/outputs.js';
import { Rules } from '../agent/features/rules.js';
import { fuzzSeed } from './helpers/fuzz-seed.js';
import { assertSafeLines } from './helpers/log-lines.js';

const SEED = fuzzSeed('inbox payload fuzz');
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 3000);
const MAX_BYTES = 512;

const SET = 'devices/fz/outputs/led/set';
const COMMANDS = 'devices/fz/commands';
const RESPONSES = 'devices/fz/responses';
const ACK = 'devices/fz/ack';

/** Valid payloads per topic: the seeds the mutations start from. */
const CORPUS: Array<[string, string[]]> = [
  [SET, ['ON', 'OFF', 'TOGGLE', 'on', '{"state":"ON","ms":500}', '{"state":"off"}']],
  [
    COMMANDS,
    [
      '{"cmd":"set","output":"led","state":"on","id":"42"}',
      '{"cmd":"set","output":"relay","state":"toggle","ms":250,"id":7}',
      '{"cmd":"get","output":"led","id":"43"}',
      '{"cmd":"list","id":"44"}',
      '{"cmd":"stats","id":"45"}',
    ],
  ],
  ['sensors/drone01/altitude', ['120', '90', '100', '-3.5e1', '1e2']],
  ['sensors/drone02/reading', ['{"reading":{"ft":101}}', '{"reading":{"ft":80}}']],
  ['home/door', ['{"state":"open"}', '{"state":"closed"}']],
  ['logged/anything', ['hello']],
  ['nobody/listens', ['1']],
];

/** Bytes that hurt: NUL, BEL, BS, ESC, CR, LF, DEL, C1 CSI and NEL (as UTF-8), U+2028, U+202E. */
const NASTY = [0x00, 0x07, 0x08, 0x1b, 0x0d, 0x0a, 0x7f, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c];
const NASTY_TEXT = ['\u009b', '\u0085', '\u2028', '\u202e', '\u2066', '\ud800', '1e309', '-1e309', 'NaN', 'Infinity', '-0', '{"toString":1}', '{"valueOf":null}', '[]', '{}', 'null', 'true', '"__proto__"', '"constructor"', '9'.repeat(400), '\u001b[2J\u001b]0;x\u0007'];

function fuzzer(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (n: number): number => Math.floor(random() * n);
  const mutate = (input: Buffer): Buffer => {
    let bytes = [...input];
    const steps = 1 + int(4);
    for (let i = 0; i < steps; i++) {
      const at = int(bytes.length + 1);
      switch (int(8)) {
        case 0: // flip a bit
          if (bytes.length > 0) bytes[at % bytes.length]! ^= 1 << int(8);
          break;
        case 1: // insert a nasty byte
          bytes.splice(at, 0, pick(NASTY));
          break;
        case 2: // insert nasty text
          bytes.splice(at, 0, ...Buffer.from(pick(NASTY_TEXT), 'utf8'));
          break;
        case 3: // delete a run
          bytes.splice(at, 1 + int(4));
          break;
        case 4: // duplicate a run
          bytes.splice(at, 0, ...bytes.slice(int(bytes.length), int(bytes.length) + 1 + int(8)));
          break;
        case 5: // truncate
          bytes = bytes.slice(0, at);
          break;
        case 6: {
          // replace a JSON value with a hostile one, keeping the rest well formed
          const text = Buffer.from(bytes).toString('utf8');
          const replaced = text.replace(/:("[^"]*"|-?[\d.e+-]+)/, () => `:${pick(NASTY_TEXT.filter((t) => !/^[\u0080-\uffff]$/.test(t)))}`);
          bytes = [...Buffer.from(replaced, 'utf8')];
          break;
        }
        default: // a random byte anywhere
          bytes.splice(at, 0, int(256));
      }
    }
    return Buffer.from(bytes);
  };
  /** A JSON value a hostile caller might send in place of a field's. */
  const hostileValue = (depth = 0): unknown => {
    switch (int(depth > 2 ? 6 : 9)) {
      case 0: return pick(['on', 'OFF', ' toggle ', 'set', 'get', 'list', 'stats', 'led', 'relay', '__proto__', 'constructor', 'toString', '']);
      case 1: return pick(NASTY_TEXT) + pick(['', 'x', ' on']);
      case 2: return pick([0, -1, 1, 0.5, 500, 86_400_000, 86_400_001, 1e21, -0, 2 ** 53]);
      case 3: return pick([true, false, null]);
      case 4: return 'x'.repeat(int(200));
      case 5: return String.fromCharCode(...Array.from({ length: 1 + int(8) }, () => int(0x3000)));
      case 6: return Array.from({ length: int(3) }, () => hostileValue(depth + 1));
      case 7: return { toString: hostileValue(depth + 1), valueOf: 1 };
      default: return Object.fromEntries(Array.from({ length: int(3) }, () => [pick(['cmd', 'state', 'ms', 'output', 'id', '__proto__', 'ft']), hostileValue(depth + 1)]));
    }
  };
  /** A well-formed JSON object with hostile fields: reaches past the parser, into the checks. */
  const structured = (seed: string): Buffer => {
    const body = JSON.parse(seed) as Record<string, unknown>;
    const keys = [...Object.keys(body), 'cmd', 'output', 'state', 'ms', 'id', 'extra'];
    for (let i = 0, n = 1 + int(3); i < n; i++) {
      const key = pick(keys);
      if (int(5) === 0) delete body[key];
      else body[key] = hostileValue();
    }
    // 1e309 is not JSON.stringify's to write: splice it in as text, as a peer would
    const text = JSON.stringify(body);
    return Buffer.from(int(4) === 0 ? text.replace(/:(-?\d+(\.\d+)?)/, `:${pick(['1e309', '-1e309', '1e-400', '123456789e300'])}`) : text);
  };
  const message = (): { topic: string; payload: Buffer } => {
    const [topic, seeds] = pick(CORPUS);
    const roll = random();
    const json = seeds.filter((p) => p.startsWith('{'));
    if (json.length > 0 && roll < 0.35) return { topic, payload: structured(pick(json)) };
    if (roll < 0.45) return { topic, payload: Buffer.from(pick(seeds)) };
    if (roll < 0.55) return { topic, payload: Buffer.from(Array.from({ length: int(64) }, () => int(256))) };
    if (roll < 0.58) return { topic, payload: Buffer.alloc(MAX_BYTES + 1 + int(64), pick(seeds)) };
    return { topic, payload: mutate(Buffer.from(pick(seeds))) };
  };
  return { message, int };
}

class RecordingSink implements MessageSink {
  readonly sent: Array<{ topic: string; payload: string; options: PublishOptions }> = [];
  async publish(topic: string, payload: string, options: PublishOptions): Promise<void> {
    this.sent.push({ topic, payload, options });
  }
}

/** The words an error answer may start with: every one of them ours (agent/features/commands.ts). */
const OUR_ERRORS = /^(invalid JSON: a command is a JSON object|a command is a JSON object such as|missing "cmd": one of|"cmd" must be text|unknown command '|'(set|get)' needs "output"|"output" must be text|unknown output '|"state" must be|"ms" must be|could not set output '|the command failed in the agent)/;
/** What a JavaScript engine says, which must never reach a caller. */
const ENGINE_WORDS = /Cannot|undefined|is not a function|Unexpected token|Unexpected end|JSON at position|is not valid JSON|TypeError|SyntaxError|RangeError|primitive value|of null|\[object /;
/** A caller's own text, which an answer may quote: not ours to judge. */
const ECHOED = /'(?:[^'\\]|\\.)*'…?/g;

function totals(stats: InboxStats): number {
  return stats.handled + Object.values(stats.dropped).reduce((a, b) => a + b, 0);
}

test(`inbox payload fuzz (seed ${SEED}, replay with FUZZ_SEED=${SEED}): nothing escapes, counters add up, dropped messages move nothing, answers are ours, logs are safe`, async (t) => {
  t.diagnostic(`seed ${SEED}, ${ROUNDS} rounds: replay with FUZZ_SEED=${SEED}`);
  const config = loadConfig({
    text: JSON.stringify({
      board: 'beaglebone-black',
      role: 'subscriber',
      deviceId: 'fz',
      gpio: { simulated: true },
      messages: { maxBytes: MAX_BYTES },
      outputs: [
        { name: 'led', pin: 'P8_13' },
        { name: 'relay', pin: 'P9_12', activeLow: true },
      ],
      subscriptions: [{ topic: 'logged/#', qos: 0 }],
      rules: [
        {
          name: 'altitude',
          topic: 'sensors/+/altitude',
          condition: { atLeast: 100, hysteresis: 5 },
          actions: [{ type: 'output', output: 'led', state: 'on' }, { type: 'publish', topic: 'devices/{deviceId}/ack', payload: '{"rule":"{rule}","altitudeFt":{value},"led":"on"}' }],
          elseActions: [{ type: 'output', output: 'led', state: 'off' }, { type: 'publish', topic: 'devices/{deviceId}/ack', payload: '{"rule":"{rule}","altitudeFt":{value},"led":"off"}' }],
        },
        { name: 'reading', topic: 'sensors/+/reading', condition: { field: 'reading.ft', above: 100 }, actions: [{ type: 'output', output: 'relay', state: 'pulse', ms: 300 }, { type: 'log', message: 'reading {value} from {topic}', level: 'warn' }] },
        { name: 'door', topic: 'home/door', condition: { field: 'state', equals: 'open' }, actions: [{ type: 'output', output: 'relay', state: 'toggle' }, { type: 'log', message: 'door {value}' }] },
      ],
    }),
    env: {},
  });
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  const { message, int } = fuzzer(seededRandom(SEED));
  // One write in 50 fails, as a sysfs write can (EIO): a command then fails, in our words.
  let flaky = false;
  const backend: GpioBackend = {
    input: (pin, options) => gpio.input(pin, options),
    close: () => gpio.close(),
    output: async (pin, options) => {
      const line = await gpio.output(pin, options);
      return { ...line, write: async (active: boolean) => (flaky && int(50) === 0 ? Promise.reject(new Error('EIO: i/o error, write')) : line.write(active)) };
    },
  };
  const sink = new RecordingSink();
  const logger = memoryLogger('debug');
  const outputs = new Outputs({ outputs: config.outputs, gpio: backend, sink, clock, logger });
  const inputs = new Inputs({ inputs: config.inputs, gpio: backend, sink, logger });
  const rules = new Rules({ rules: config.rules, deviceId: config.deviceId, outputs, sink, clock, logger });
  const commands = new Commands({ config: config.commands, outputs, inputs, sink, logger, stats: () => ({ messages: inbox.stats }) });
  const inbox: Inbox = new Inbox({ maxBytes: config.messages.maxBytes, outputs, rules, commands, logger, clock });
  await outputs.start();
  await inputs.start();
  inbox.start();
  flaky = true;

  let intervals = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { topic, payload } = message();
    const where = `round ${round} (FUZZ_SEED=${SEED}): ${topic} ${JSON.stringify(payload.toString('latin1'))}`;
    const before = { received: inbox.stats.received, total: totals(inbox.stats), pins: gpio.history.length, led: outputs.state('led'), relay: outputs.state('relay'), sent: sink.sent.length };
    const handledBefore = inbox.stats.handled;

    const verdict = await inbox.receive(topic, payload);
    await settle();

    assert.equal(verdict, true, `${where}: judged, so acknowledged`);
    assert.equal(inbox.stats.received, before.received + 1, `${where}: received once`);
    assert.equal(totals(inbox.stats), before.total + 1, `${where}: exactly one of handled or dropped`);
    assert.equal(inbox.stats.received, totals(inbox.stats), `${where}: received = handled + dropped`);
    const dropped = inbox.stats.handled === handledBefore;
    if (dropped) {
      assert.equal(gpio.history.length, before.pins, `${where}: dropped, yet a pin changed`);
      assert.deepEqual([outputs.state('led'), outputs.state('relay')], [before.led, before.relay], `${where}: dropped, yet an output changed`);
    }
    const published = sink.sent.slice(before.sent);
    const answers = published.filter((s) => s.topic === RESPONSES);
    assert.equal(answers.length, topic === COMMANDS && payload.length <= MAX_BYTES ? 1 : 0, `${where}: one answer per command`);
    for (const { payload: text } of answers) {
      const answer = JSON.parse(text) as { id: unknown; status: string; error?: string };
      assert.ok(answer.id === null || (typeof answer.id === 'string' && answer.id.length <= 128) || (typeof answer.id === 'number' && Number.isFinite(answer.id)), `${where}: id ${text}`);
      assert.equal(answer.status, dropped ? 'error' : 'ok', `${where}: an error answer is a drop, an ok answer is handled: ${text}`);
      if (answer.status === 'error') {
        assert.match(answer.error!, OUR_ERRORS, `${where}: ${text}`);
        assert.doesNotMatch(answer.error!.replace(ECHOED, "'…'"), ENGINE_WORDS, `${where}: ${text}`);
        assert.doesNotMatch(answer.error!, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/, `${where}: raw control character in ${text}`);
      }
    }
    for (const { payload: text } of published.filter((s) => s.topic === ACK)) {
      const ack = JSON.parse(text) as { altitudeFt: unknown };
      assert.ok(typeof ack.altitudeFt === 'number' && Number.isFinite(ack.altitudeFt), `${where}: ack ${text}`);
    }
    if (int(50) === 0) {
      await clock.advance(1000 + int(20_000)); // timers fire (pulses, timed sets); the log interval passes
      await settle();
      intervals += 3;
    }
  }

  assertSafeLines(logger.lines, `FUZZ_SEED=${SEED}`);
  // Rate-limited: at most one drop line per reason per 10 s of the manual clock, plus the first.
  const dropLines = logger.lines.filter((l) => / dropped: /.test(l)).length;
  assert.ok(dropLines <= 6 * (intervals + 1), `${dropLines} drop lines for ${intervals} intervals of 10 s`);
  const dropped = totals(inbox.stats) - inbox.stats.handled;
  t.diagnostic(`${inbox.stats.received} received: ${inbox.stats.handled} handled, ${JSON.stringify(inbox.stats.dropped)}; ${dropLines} drop lines for ${dropped} drops`);
  assert.ok(inbox.stats.handled > 0 && dropped > 0, 'the fuzz reached both outcomes');

  // And the agent keeps working.
  flaky = false;
  inbox.receive(COMMANDS, Buffer.from('{"cmd":"set","output":"led","state":"off","id":"end"}'));
  inbox.receive('sensors/drone01/altitude', Buffer.from('50'));
  inbox.receive('sensors/drone01/altitude', Buffer.from('130'));
  await inbox.drained();
  await settle();
  assert.deepEqual(JSON.parse(sink.sent.filter((s) => s.topic === RESPONSES).at(-1)!.payload), { id: 'end', status: 'ok', output: 'led', state: 'off' });
  assert.equal(outputs.state('led'), true, 'the rule still switches the LED');
});
