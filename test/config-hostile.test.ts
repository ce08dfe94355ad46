/**
 * A configuration file is untrusted input (issue #13, item 15). Each hostile file found by the
 * fault-injection campaign must end as a ConfigError naming the key path, never as a JavaScript
 * error and never as a silently accepted value.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, type ConfigProblem } from '../agent/config/config-error.js';
import { FORMATS } from '../agent/config/formats.js';
import { checkConfig, couldNotValidate, loadConfig, type LoadConfigInput } from '../agent/config/load-config.js';
import { CROSS_FIELD_RULES } from '../agent/config/schema.js';
import { ENGINE_TEXT } from './helpers/engine-text.js';
import { tempDir } from './helpers/temp-dir.js';

const dir = tempDir('hostile');
after(() => rmSync(dir, { recursive: true, force: true }));


function problemsOf(input: LoadConfigInput): ConfigProblem[] {
  let thrown: unknown;
  try {
    loadConfig({ env: {}, ...input });
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof ConfigError, `expected a ConfigError, got ${thrown === undefined ? 'a valid config' : String(thrown)}`);
  for (const p of thrown.problems) {
    assert.doesNotMatch(`${p.path} ${p.message} ${p.hint}`, ENGINE_TEXT, 'no JavaScript error text');
    assert.ok(p.hint.length > 0, `${p.path} has a hint`);
  }
  return thrown.problems;
}

function problemAt(problems: ConfigProblem[], path: string): ConfigProblem {
  const found = problems.find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return found;
}

const example = (name: string): Record<string, any> => JSON.parse(readFileSync(join('config', `${name}.json`), 'utf8')) as Record<string, any>;
const publisher = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ deviceId: 'd1', sensors: [{ name: 's1' }], ...extra });
const file = (name: string, bytes: Buffer | string): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('hostile configuration files (issue #13, item 15)', () => {
  it('nesting 100,000 deep is a config error naming where, not a stack overflow', () => {
    for (const [open, close, where] of [['[', ']', 'sensors[0]'], ['{"a":', '}', 'sensors[0].a']] as const) {
      const text = `{"deviceId":"d1","sensors":[${open.repeat(100_000)}1${close.repeat(100_000)}]}`;
      const [problem, ...more] = problemsOf({ text, file: 'deep.json' });
      assert.equal(more.length, 0);
      assert.ok(problem!.path.startsWith(where), problem!.path);
      assert.match(problem!.message, /nested deeper than \d+ levels/);
    }
    // inside a key the loader passes whole to convict (calibration): no deep clone overflows either
    const calibration = `{"deviceId":"d1","sensors":[{"name":"s","simulation":{"calibration":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}]}`;
    assert.match(problemsOf({ text: calibration })[0]!.message, /nested deeper/);
    // and from the environment, where arrays come as JSON text
    const env = { EDGE_AGENT_SENSORS: `[${'['.repeat(100_000)}${']'.repeat(100_000)}]` };
    const fromEnv = problemsOf({ text: JSON.stringify({ deviceId: 'd1' }), env });
    assert.equal(fromEnv.length, 1);
    assert.ok(fromEnv[0]!.path.startsWith('sensors[0]'), fromEnv[0]!.path);
    assert.match(fromEnv[0]!.message, /^from EDGE_AGENT_SENSORS: .*nested deeper/);
  });

  it('an unknown board with outputs is reported as an unknown board', () => {
    const config = example('udoo-neo');
    config.board = 'udoo-neo-full';
    const problems = problemsOf({ text: JSON.stringify(config) });
    assert.match(problemAt(problems, 'board').message, /"udoo-neo-full" is not a known board/);
    assert.equal(problems.length, 1, problems.map((p) => p.path).join(', '));
  });

  it('"filters": false is reported at its path', () => {
    const problems = problemsOf({ text: JSON.stringify(publisher({ sensors: [{ name: 's1', measurements: { altitude: { filters: false } } }] })) });
    assert.match(problemAt(problems, 'sensors[0].measurements.altitude.filters').message, /list/);
    for (const filters of [{}, 'median', 5, null, [null], [[]], [{ type: 'median', window: 5 }, 'x']]) {
      const ps = problemsOf({ text: JSON.stringify(publisher({ sensors: [{ name: 's1', measurements: { pressure: { filters } } }] })) });
      assert.ok(ps.every((p) => p.path.startsWith('sensors[0].measurements.pressure.filters')), JSON.stringify(filters));
    }
  });

  it('a NUL in a publish action\'s topic is refused (MQTT 3.1.1 §1.5.3)', () => {
    const config = example('udoo-neo');
    config.rules[0].actions[1].topic = 'devices/{deviceId}/a\u0000ck';
    const problems = problemsOf({ text: JSON.stringify(config) });
    assert.match(problemAt(problems, 'rules[0].actions[1].topic').message, /NUL|U\+0000/);
    // and in every other string that becomes a topic or filter
    config.rules[0].actions[1].topic = 'devices/{deviceId}/ack';
    config.outputs[0].setTopic = 'x/\u0000/{name}';
    config.subscriptions[0].topic = 'a/\u0000/#';
    config.rules[0].topic = 'b/\u0000';
    const more = problemsOf({ text: JSON.stringify(config) });
    for (const path of ['outputs[0].setTopic', 'subscriptions[0].topic', 'rules[0].topic']) assert.match(problemAt(more, path).message, /NUL|U\+0000/, path);
    // the same topics from the environment (no file scan on the way) are refused too
    const env = { EDGE_AGENT_RULES: JSON.stringify([{ name: 'r', topic: 'a', actions: [{ type: 'publish', topic: 'p/\u0000' }] }]) };
    assert.match(problemAt(problemsOf({ text: JSON.stringify({ deviceId: 'd1', role: 'subscriber' }), env }), 'rules[0].actions[0].topic').message, /NUL|U\+0000/);
  });

  it('a control character in a publish action\'s topic is refused, a lone surrogate too', () => {
    const config = example('udoo-neo');
    config.rules[0].actions[1].topic = 'devices/\u001b[31m/ack';
    assert.match(problemAt(problemsOf({ text: JSON.stringify(config) }), 'rules[0].actions[1].topic').message, /control character/);
    const surrogate = JSON.stringify(example('udoo-neo')).replace('devices/{deviceId}/ack', 'devices/\\ud800/ack');
    assert.match(problemAt(problemsOf({ text: surrogate }), 'rules[0].actions[1].topic').message, /surrogate/);
  });

  it('a 70,000-character host in mqtt.url is refused, and not echoed whole', () => {
    const host = 'h'.repeat(70_000);
    const problems = problemsOf({ text: JSON.stringify(publisher({ mqtt: { url: `mqtt://${host}:1883` } })) });
    const problem = problemAt(problems, 'mqtt.url');
    assert.match(problem.message, /70012 bytes/);
    assert.equal(problems.length, 1, 'one problem for the key');
    // shorter than the longest string, still no host name: RFC 1035 §2.3.4 (253 characters, labels 63)
    for (const long of [`${'a.'.repeat(150)}example`, `${'a'.repeat(64)}.example`]) {
      const [url, ...more] = problemsOf({ text: JSON.stringify(publisher({ mqtt: { url: `mqtts://user:s3cret@${long}:8883` } })) });
      assert.equal(more.length, 0);
      assert.equal(url!.path, 'mqtt.url');
      assert.match(url!.message, /host/);
      assert.doesNotMatch(`${url!.message} ${url!.hint}`, /s3cret/);
      assert.ok(`${url!.message} ${url!.hint}`.length < 400, 'the message does not carry the host whole');
    }
    // the same from the environment (no file scan on the way) and from --broker
    assert.match(problemAt(problemsOf({ text: JSON.stringify(publisher()), env: { EDGE_AGENT_MQTT_URL: `mqtt://${host}` } }), 'mqtt.url').message, /^from EDGE_AGENT_MQTT_URL: a string of 70007 bytes/);
    const fromEnv = problemAt(problemsOf({ text: JSON.stringify(publisher()), env: { EDGE_AGENT_MQTT_URL: `mqtt://${host.slice(0, 1000)}` } }), 'mqtt.url');
    assert.match(fromEnv.message, /^from EDGE_AGENT_MQTT_URL: .*the host name is 1000 characters long/);
    assert.ok(`${fromEnv.message} ${fromEnv.hint}`.length < 400);
    // an environment value is held to the file's string checks
    assert.match(problemAt(problemsOf({ text: JSON.stringify(publisher()), env: { EDGE_AGENT_QUEUE_DIR: '/var/lib/\ud800' } }), 'queue.dir').message, /^from EDGE_AGENT_QUEUE_DIR: .*unpaired surrogate/);
    assert.match(problemAt(problemsOf({ text: JSON.stringify(publisher()), args: { broker: `mqtt://${'a'.repeat(64)}.example` } }), 'mqtt.url').message, /host/);
  });

  it('invalid UTF-8 in deviceId is refused, naming the key, the byte, the line and column', () => {
    const path = file('latin1.json', Buffer.concat([Buffer.from('{\n  "deviceId": "caf'), Buffer.from([0xe9]), Buffer.from('",\n  "sensors": [{ "name": "s1" }]\n}\n')]));
    const [problem, ...more] = problemsOf({ file: path });
    assert.equal(more.length, 0);
    assert.equal(problem!.path, 'deviceId');
    assert.match(problem!.message, /not valid UTF-8/);
    assert.match(problem!.message, /0xE9/i);
    assert.match(problem!.message, /line 2, column 19/);
    // several bad strings: each key is named once
    const two = file('two.json', Buffer.concat([Buffer.from('{"deviceId":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('","sensors":[{"name":"b'), Buffer.from([0xc3]), Buffer.from('"}]}')]));
    assert.deepEqual(problemsOf({ file: two }).map((p) => p.path), ['deviceId', 'sensors[0].name']);
    // a UTF-16 file is named as such
    const utf16 = file('utf16.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(publisher()), 'utf16le')]));
    assert.match(problemsOf({ file: utf16 })[0]!.message, /UTF-16/);
  });

  it('1e309 is "not a finite number" at its path, not "null is not a valid keepalive"', () => {
    const problems = problemsOf({ text: '{"deviceId":"d1","sensors":[{"name":"s1","intervalMs":-1e400}],"mqtt":{"keepaliveS":1e309}}' });
    const keepalive = problemAt(problems, 'mqtt.keepaliveS');
    assert.match(keepalive.message, /1e309 is not a finite number/);
    assert.doesNotMatch(keepalive.message, /null/);
    assert.match(problemAt(problems, 'sensors[0].intervalMs').message, /-1e400 is not a finite number/);
    assert.equal(problems.length, 2, 'one problem per key, not a second one from its format');
  });

  it('a UTF-8 byte-order mark is accepted, in a file and in text', () => {
    const body = JSON.stringify(publisher());
    assert.equal(loadConfig({ file: file('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)])), env: {} }).deviceId, 'd1');
    assert.equal(loadConfig({ text: `\uFEFF${body}`, env: {} }).deviceId, 'd1');
    // only at the start: elsewhere it is a character JSON does not allow between tokens
    assert.match(problemsOf({ text: `{\uFEFF"deviceId":"d1"}` })[0]!.message, /JSON syntax error/);
  });
});

describe('hostile configuration files: sizes, keys and the text around them', () => {
  it('a file larger than the limit is refused by its size, and a device that never ends too', () => {
    const big = file('big.json', `{"deviceId":"d1","sensors":[{"name":"s1"}],"x":"${'a'.repeat(2 * 2 ** 20)}"}`);
    const [problem] = problemsOf({ file: big });
    assert.equal(problem!.path, big);
    assert.match(problem!.message, /larger than 1 MiB/);
    assert.match(problemsOf({ file: '/dev/zero' })[0]!.message, /larger than 1 MiB/);
  });

  it('a string longer than any setting takes is refused at its path', () => {
    const problems = problemsOf({ text: JSON.stringify(publisher({ mqtt: { passwordFile: 'p'.repeat(70_000) } })) });
    assert.match(problemAt(problems, 'mqtt.passwordFile').message, /70000 bytes/);
  });

  it('a topic that outgrows MQTT\'s 65535 bytes once its placeholders are filled in is refused at its key', () => {
    const deviceId = 'd'.repeat(64);
    const template = '{deviceId}/'.repeat(1100); // 12,100 bytes written, 71,500 filled in
    const problems = problemsOf({ text: JSON.stringify({ deviceId, sensors: [{ name: 's'.repeat(64), measurements: { altitude: { topic: `${template}{measurement}` }, pressure: { topic: 'p/{sensor}'.repeat(1100) } } }], mqtt: { statusTopic: template }, health: { topic: template } }) });
    for (const path of ['mqtt.statusTopic', 'health.topic', 'sensors[0].measurements.altitude.topic', 'sensors[0].measurements.pressure.topic']) {
      assert.match(problemAt(problems, path).message, /bytes long once its placeholders are filled in/, path);
    }
    const io = example('udoo-neo');
    io.deviceId = deviceId;
    io.outputs[0].name = 'o'.repeat(64);
    io.outputs[0].stateTopic = '{name}/'.repeat(1100);
    assert.match(problemAt(problemsOf({ text: JSON.stringify(io) }), 'outputs[0].stateTopic').message, /once its placeholders are filled in/);
    // Home Assistant's discovery topics are the prefix and about 1 KiB of ids
    assert.match(problemAt(problemsOf({ text: JSON.stringify(publisher({ homeassistant: { enabled: true, prefix: 'h'.repeat(65000) } })) }), 'homeassistant.prefix').message, /65000 bytes/);
  });

  it('a key given twice in one object is named, not silently overridden', () => {
    const problems = problemsOf({ text: '{"deviceId":"d1","sensors":[{"name":"s1","intervalMs":100,"intervalMs":5000}],"deviceId":"d2"}' });
    assert.match(problemAt(problems, 'deviceId').message, /given twice/);
    assert.match(problemAt(problems, 'sensors[0].intervalMs').message, /given twice/);
  });

  it('control characters and terminal escapes in unknown keys are shown escaped, never raw', () => {
    const problems = problemsOf({ text: JSON.stringify(publisher({ '\u001b]0;pwned\u0007': 1, mqtt: { 'u\u009brl': 'x', ['k'.repeat(70_000)]: 1 } })) });
    for (const p of problems) {
      assert.doesNotMatch(`${p.path}${p.message}${p.hint}`, /[\u0000-\u001f\u007f-\u009f]/u, JSON.stringify(p.path));
      assert.ok(p.path.length <= 200 && p.message.length <= 600, `${p.path.length} / ${p.message.length}`);
    }
    assert.equal(problems.length, 3);
  });

  it('the root being something else than an object is one plain problem', () => {
    for (const text of ['[]', '"x"', '1e309', 'null', '[[[[]]]]', 'true']) {
      const problems = problemsOf({ text, file: 'root.json' });
      assert.equal(problems.length, 1, text);
      assert.match(problems[0]!.message, /expected an object|not a finite number/, text);
    }
  });

  it('keys that mean something to JavaScript are unknown keys, and pollute nothing', () => {
    const text = '{"deviceId":"d1","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"sensors":[{"name":"s1","simulation":{"calibration":{"__proto__":{"dig_T1":1}},"raw":{"__proto__":{"adcT":1}}}}]}';
    const problems = problemsOf({ text });
    assert.ok(problems.some((p) => p.path === '__proto__'), problems.map((p) => p.path).join(', '));
    assert.ok(problems.some((p) => p.path === 'constructor'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    // an object whose "toString" is not a function, where a device id belongs
    assert.match(problemAt(problemsOf({ text: JSON.stringify({ ...example('udoo-neo'), deviceId: [{ toString: 1 }] }) }), 'deviceId').message, /is not a valid device id/);
    // names of Object.prototype's members are not calibration words, raw values or filter types
    const words = problemsOf({ text: JSON.stringify(publisher({ sensors: [{ name: 's1', simulation: { calibration: { toString: 1 }, raw: { constructor: 1, adcT: 1, adcP: 1 } }, measurements: { altitude: { filters: [{ type: 'hasOwnProperty' }] } } }] })) });
    assert.match(problemAt(words, 'sensors[0].simulation.calibration.toString').message, /unknown calibration word 'toString'/);
    assert.match(problemAt(words, 'sensors[0].simulation.raw.constructor').message, /unknown key 'constructor'/);
    assert.match(problemAt(words, 'sensors[0].measurements.altitude.filters[0].type').message, /"hasOwnProperty" is not a filter type/);
  });

  it('a check that throws (a bug) still ends as a ConfigError: the key it was checking, no engine text', () => {
    const keepalive = FORMATS['keepalive-s'];
    const original = keepalive.check;
    const failing = { doc: 'a rule with a bug', check: (): never => { throw new TypeError("Cannot read properties of undefined (reading 'pins')"); } };
    keepalive.check = (): never => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    CROSS_FIELD_RULES.push(failing);
    try {
      const problems = problemsOf({ text: JSON.stringify(publisher({ board: 'rasberry-pi' })), file: 'bug.json' });
      const generic = couldNotValidate('').message;
      assert.equal(problemAt(problems, 'mqtt.keepaliveS').message, generic);
      assert.ok(problems.some((p) => p.path === 'bug.json' && p.message === generic), 'the rule across keys names the file');
      assert.match(problemAt(problems, 'board').message, /not a known board/, 'the other problems are still listed');
    } finally {
      keepalive.check = original;
      CROSS_FIELD_RULES.splice(CROSS_FIELD_RULES.indexOf(failing), 1);
    }
    assert.equal(loadConfig({ text: JSON.stringify(publisher()), env: {} }).mqtt.keepaliveS, 60, 'restored');
  });

  it('a valid config stays valid: every example loads unchanged', () => {
    for (const name of ['raspberry-pi', 'beaglebone-black', 'udoo-neo', 'datasheet-example']) {
      const { config, problems } = checkConfig({ file: join('config', `${name}.json`), env: {} });
      assert.deepEqual(problems, [], name);
      assert.ok(config);
    }
  });
});
