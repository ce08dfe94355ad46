/**
 * Configuration fuzz: every example in config/ mutated (types changed, keys deleted and added,
 * huge and deep values, control characters, NUL, unpaired surrogates, invalid UTF-8 bytes, 1e309,
 * a BOM, truncation, random bytes, hostile environment variables), run through the real loader
 * in-process. Each case must end as a valid configuration, or as problems that each name a key
 * path (or the file) and carry no JavaScript engine text. Mutations whose outcome is known are held
 * to it: a BOM or other whitespace changes nothing, 1e309 / NUL / invalid UTF-8 / deep nesting are
 * named at the key they were put in. A few cases go through the CLI for the exit status and output.
 *
 * The seed is printed; replay a failure with CONFIG_FUZZ_SEED=<seed> (CONFIG_FUZZ_CASES=<n> for a
 * longer run, CONFIG_FUZZ_DUMP=<file> to keep the failing file).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../drivers/i2c/simulated-bus.js';
import { checkConfig, couldNotValidate, type ConfigCheck } from '../agent/config/load-config.js';
import { keyPath } from '../agent/config/printable.js';
import { AGENT_SCHEMA } from '../agent/config/schema.js';
import { runCli } from './helpers/agent-process.js';
import { ENGINE_TEXT } from './helpers/engine-text.js';
import { tempDir } from './helpers/temp-dir.js';

const SEED = process.env.CONFIG_FUZZ_SEED !== undefined ? Number(process.env.CONFIG_FUZZ_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
const CASES = Number(process.env.CONFIG_FUZZ_CASES ?? 1000);
console.log(`config fuzz: seed ${SEED}, ${CASES} cases (replay with CONFIG_FUZZ_SEED=${SEED})`);

const dir = tempDir('fuzz');
after(() => rmSync(dir, { recursive: true, force: true }));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Segment = string | number;

/** Every key the examples leave out: other drivers, filters, inputs, rules with conditions, MQTT 5, Home Assistant. */
const KITCHEN_SINK = {
  board: 'raspberry-pi', role: 'both', deviceId: 'kitchen01',
  i2c: { bus: 1, simulated: true }, gpio: { simulated: true },
  mqtt: { url: 'mqtts://agent@broker.example:8883/', clientId: 'k-{deviceId}', keepaliveS: 30, clean: false, protocolVersion: 5, sessionExpiryS: 3600, statusTopic: 'sensors/{deviceId}/status' },
  queue: { enabled: true, sync: 'always', maxBytes: 1048576, segmentBytes: 65536, maxAgeS: 3600, window: 10, qos0: 'drop' },
  health: { intervalS: 30, topic: 'sensors/{deviceId}/health' },
  homeassistant: { enabled: true, prefix: 'homeassistant', expireAfterS: 0 },
  sensors: [
    { name: 'alt', driver: 'bmp280', address: '0x76', intervalMs: 200, settings: { mode: 'normal', standbyMs: 62.5, filter: 'x4', oversampling: { temperature: 'x2', pressure: 'x16', humidity: 'x1' } },
      measurements: { altitude: { unit: 'ft', decimals: 1, format: 'json', qos: 1, retain: true, topic: 'sensors/{deviceId}/{sensor}/{measurement}', filters: [{ type: 'median', window: 5 }, { type: 'delta', min: 0.5 }, { type: 'heartbeat', seconds: 60 }] }, humidity: { enabled: false } },
      simulation: { chip: 'bme280', scenario: 'raw', raw: { adcT: 519888, adcP: 415148, adcH: 30000 }, calibration: { dig_T1: 27504, dig_H1: 75 }, faultRate: 0.1 } },
    { name: 'baro', driver: 'bmp388', address: '0x77', intervalMs: 500, settings: { oversampling: { temperature: 'x1', pressure: 'x8' }, filter: 'c3' }, measurements: { pressure: { unit: 'hPa', topic: 'sensors/{deviceId}/{sensor}/{measurement}', filters: [{ type: 'ema', alpha: 0.3 }, { type: 'clamp', min: 800, max: 1100 }] }, temperature: { topic: 'sensors/{deviceId}/{sensor}/t' }, altitude: { topic: 'sensors/{deviceId}/{sensor}/a' } } },
    { name: 'mpl', driver: 'mpl3115a2', address: '0x60', intervalMs: 1000, settings: { mode: 'altimeter', oversampling: 'x64' }, measurements: { pressure: { enabled: false }, temperature: { topic: 'y/{sensor}/{measurement}' }, altitude: { topic: 'y/{sensor}/{measurement}' } } },
  ],
  subscriptions: [{ topic: '$share/g/sensors/+/altitude', qos: 2 }],
  outputs: [{ name: 'led', pin: '17', activeLow: true, initial: 'off' }, { name: 'relay', pin: '27' }],
  inputs: [{ name: 'button', pin: '22', activeLow: true, debounceMs: 30, edge: 'falling' }],
  rules: [
    { name: 'high', topic: 'sensors/+/altitude', qos: 1, condition: { field: 'value', above: 100, hysteresis: 5 }, actions: [{ type: 'output', output: 'led', state: 'pulse', ms: 500 }, { type: 'log', message: 'high {value} on {topic}', level: 'warn' }], elseActions: [{ type: 'publish', topic: 'devices/{deviceId}/{rule}', payload: '{value}', qos: 0, retain: true }] },
    { name: 'eq', topic: 'devices/+/button', condition: { equals: 'ON' }, actions: [{ type: 'output', output: 'relay', state: 'toggle' }] },
  ],
  commands: { enabled: true },
  messages: { maxBytes: 1024 },
  log: { level: 'debug' },
};

const BASES = [
  ...readdirSync('config').filter((f) => f.endsWith('.json')).sort().map((name) => ({ name, text: readFileSync(join('config', name), 'utf8') })),
  { name: 'kitchen sink (in this test)', text: JSON.stringify(KITCHEN_SINK, null, 2) },
].map((b) => ({ ...b, value: JSON.parse(b.text) as Json }));

const random = seededRandom(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

/** Every place in a value, containers and leaves, without recursion. */
function places(root: Json): Array<{ at: Segment[]; value: Json }> {
  const out: Array<{ at: Segment[]; value: Json }> = [];
  const todo: Array<{ at: Segment[]; value: Json }> = [{ at: [], value: root }];
  while (todo.length > 0) {
    const place = todo.pop()!;
    out.push(place);
    const v = place.value;
    if (Array.isArray(v)) v.forEach((child, i) => todo.push({ at: [...place.at, i], value: child }));
    else if (v !== null && typeof v === 'object') for (const [k, child] of Object.entries(v)) todo.push({ at: [...place.at, k], value: child });
  }
  return out;
}

/** The path as the loader names it. */
const display = (at: Segment[]): string => at.reduce<string>((path, s) => (typeof s === 'number' ? `${path}[${s}]` : keyPath(path, s)), '');

function setAt(root: Json, at: Segment[], value: Json | undefined): Json {
  if (at.length === 0) return value ?? null;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let node = copy as Record<string | number, Json>;
  for (const s of at.slice(0, -1)) node = node[s] as Record<string | number, Json>;
  const last = at[at.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

const HOSTILE_STRINGS = [
  '', ' ', 'x'.repeat(70_000), 'é'.repeat(30_000), 'a/b', 'a\u0000b', '\u001b[31mred', '\u009b2J', '\u202eevil', '\ud800', 'a\udc00b', '\r\n', 'sensors/#', '+', '$SYS/x', '{deviceId}'.repeat(7000),
  '{sensor}{measurement}', '{', '}', '{nope}', 'mqtt://' + 'h'.repeat(300), 'mqtt://a:b@', 'ftp://x', '0x76', '0x99', '1e309', 'NaN', 'null', 'true', '__proto__', 'constructor', '\ufeff', '../../etc/passwd', '/dev/zero',
];
const HOSTILE_NUMBERS = [0, -1, 1, 1.5, -0.5, 65535, 65536, 2 ** 31, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, 0x76, 4096, 86_400_000];

function hostileValue(depth = 0): Json {
  switch (int(depth > 2 ? 4 : 8)) {
    case 0:
      return pick(HOSTILE_STRINGS);
    case 1:
      return pick(HOSTILE_NUMBERS);
    case 2:
      return pick([null, true, false]);
    case 3:
      return pick([[], {}]);
    case 4:
      return Array.from({ length: pick([1, 2, 50]) }, () => hostileValue(depth + 1));
    case 5:
      return { [pick(['type', 'name', 'topic', 'a', '__proto__', 'x'.repeat(100)])]: hostileValue(depth + 1) };
    case 6:
      return { type: pick(['output', 'log', 'publish', 'median', 'delta', 'exec']), state: pick(['on', 'pulse', 1]), topic: pick(HOSTILE_STRINGS), window: pick(HOSTILE_NUMBERS) };
    default:
      return pick(HOSTILE_STRINGS);
  }
}

type Expect = { kind: 'same' } | { kind: 'problemAt'; path: string; message: RegExp; nested?: boolean } | { kind: 'any' };
interface Case {
  label: string;
  bytes: Buffer;
  env: Record<string, string>;
  expect: Expect;
  base: (typeof BASES)[number];
}

/** Put `marker` (a unique ASCII word) at `at` as a string, serialise, then swap it for raw bytes. */
function withRaw(value: Json, at: Segment[], raw: Buffer, quoted: boolean): Buffer {
  const marker = 'QQ7MARK7QQ';
  const text = JSON.stringify(setAt(value, at, marker), null, pick([0, 2]));
  const token = quoted ? `"${marker}"` : marker;
  const i = text.indexOf(token);
  return Buffer.concat([Buffer.from(text.slice(0, i)), raw, Buffer.from(text.slice(i + token.length))]);
}

const ENV_NAMES = ['EDGE_AGENT_SENSORS', 'EDGE_AGENT_RULES', 'EDGE_AGENT_OUTPUTS', 'EDGE_AGENT_SUBSCRIPTIONS', 'EDGE_AGENT_MQTT_URL', 'EDGE_AGENT_DEVICE_ID', 'EDGE_AGENT_BOARD', 'EDGE_AGENT_MQTT_KEEPALIVE_S', 'EDGE_AGENT_I2C_BUS', 'EDGE_AGENT_HEALTH_TOPIC', 'EDGE_AGENT_HOMEASSISTANT_PREFIX', 'EDGE_AGENT_QUEUE_DIR'];

const MUTATIONS: Record<string, (base: (typeof BASES)[number]) => Omit<Case, 'label' | 'base'>> = {
  // Outcome known: nothing changes.
  bom: (b) => ({ bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(b.text)]), env: {}, expect: { kind: 'same' } }),
  reformat: (b) => ({ bytes: Buffer.from(JSON.stringify(b.value, null, pick([0, 1, 4, '\t']))), env: {}, expect: { kind: 'same' } }),
  // Outcome known: a problem at the key.
  'non-finite number': (b) => {
    const numbers = places(b.value).filter((p) => typeof p.value === 'number');
    const place = pick(numbers);
    return { bytes: withRaw(b.value, place.at, Buffer.from(pick(['1e309', '-1e309', '1e99999', '-12e400'])), true), env: {}, expect: { kind: 'problemAt', path: display(place.at), message: /is not a finite number/ } };
  },
  'NUL or unpaired surrogate in a string': (b) => {
    const place = pick(places(b.value).filter((p) => typeof p.value === 'string'));
    const [insert, message] = pick([['\u0000', /U\+0000/], ['\ud83d', /unpaired surrogate/], ['\udfff', /unpaired surrogate/]] as const);
    const s = place.value as string;
    const at = int(s.length + 1);
    return { bytes: Buffer.from(JSON.stringify(setAt(b.value, place.at, s.slice(0, at) + insert + s.slice(at)))), env: {}, expect: { kind: 'problemAt', path: display(place.at), message } };
  },
  'invalid UTF-8 in a string': (b) => {
    const place = pick(places(b.value).filter((p) => typeof p.value === 'string'));
    const bad = pick([[0xff], [0xfe], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80]]);
    const s = place.value as string;
    const at = int(s.length + 1);
    const [before, rest] = [JSON.stringify(s.slice(0, at)).slice(0, -1), JSON.stringify(s.slice(at)).slice(1)];
    return { bytes: withRaw(b.value, place.at, Buffer.concat([Buffer.from(before), Buffer.from(bad), Buffer.from(rest)]), true), env: {}, expect: { kind: 'problemAt', path: display(place.at), message: /not valid UTF-8/ } };
  },
  'deep nesting': (b) => {
    const place = pick(places(b.value).filter((p) => p.at.length > 0));
    const n = pick([33, 200, 5000, 100_000]);
    const [open, close] = pick([['[', ']'], ['{"a":', '}']] as const);
    return { bytes: withRaw(b.value, place.at, Buffer.from(`${open.repeat(n)}1${close.repeat(n)}`), true), env: {}, expect: { kind: 'problemAt', path: display(place.at), message: /nested deeper than/, nested: true } };
  },
  'string too long': (b) => {
    const place = pick(places(b.value).filter((p) => typeof p.value === 'string'));
    return { bytes: Buffer.from(JSON.stringify(setAt(b.value, place.at, pick(['x', 'é', '€', '😀']).repeat(70_000)))), env: {}, expect: { kind: 'problemAt', path: display(place.at), message: /a string of \d+ bytes/ } };
  },
  'key given twice': (b) => {
    const objects = places(b.value).filter((p) => p.value !== null && typeof p.value === 'object' && !Array.isArray(p.value) && Object.keys(p.value).length > 0);
    const place = pick(objects);
    const key = pick(Object.keys(place.value as object));
    const value = setAt(b.value, [...place.at, 'QQ7DUP7QQ'], pick<Json>([...HOSTILE_NUMBERS, null, true, 'x', [], {}]));
    const text = JSON.stringify(value).replace('"QQ7DUP7QQ"', JSON.stringify(key));
    return { bytes: Buffer.from(text), env: {}, expect: { kind: 'problemAt', path: display([...place.at, key]), message: /given twice/ } };
  },
  // Outcome open: valid or named problems.
  'change a type': (b) => {
    const place = pick(places(b.value));
    return { bytes: Buffer.from(JSON.stringify(setAt(b.value, place.at, hostileValue()))), env: {}, expect: { kind: 'any' } };
  },
  'plausible value from elsewhere': (b) => {
    // A value of the same type from any base: more cases get past the formats to the rules across keys.
    const leaves = places(b.value).filter((p) => p.at.length > 0 && (p.value === null || typeof p.value !== 'object'));
    const place = pick(leaves);
    const donors = BASES.flatMap((d) => places(d.value)).filter((p) => typeof p.value === typeof place.value && (p.value === null || typeof p.value !== 'object'));
    return { bytes: Buffer.from(JSON.stringify(setAt(b.value, place.at, pick(donors).value))), env: {}, expect: { kind: 'any' } };
  },
  'delete a key or entry': (b) => {
    const place = pick(places(b.value).filter((p) => p.at.length > 0));
    return { bytes: Buffer.from(JSON.stringify(setAt(b.value, place.at, undefined))), env: {}, expect: { kind: 'any' } };
  },
  'add an unknown key': (b) => {
    const objects = places(b.value).filter((p) => p.value !== null && typeof p.value === 'object' && !Array.isArray(p.value));
    const place = pick(objects);
    const key = pick(['adress', 'deviceid', '__proto__', 'constructor', 'toString', 'a.b', '\u001b]0;x\u0007', 'k'.repeat(5000), '', ' ', 'dig_T9']);
    return { bytes: Buffer.from(JSON.stringify(setAt(b.value, [...place.at, key], hostileValue()))), env: {}, expect: { kind: 'any' } };
  },
  'many changes': (b) => {
    let value = b.value;
    for (let k = 0; k < 1 + int(6); k++) {
      const place = pick(places(value));
      value = random() < 0.3 && place.at.length > 0 ? setAt(value, place.at, undefined) : setAt(value, place.at, random() < 0.5 ? hostileValue() : structuredClone(pick(places(value)).value));
    }
    return { bytes: Buffer.from(JSON.stringify(value)), env: {}, expect: { kind: 'any' } };
  },
  'truncate or corrupt bytes': (b) => {
    const bytes = Buffer.from(b.text);
    const at = int(bytes.length);
    const kind = int(3);
    if (kind === 0) return { bytes: bytes.subarray(0, at), env: {}, expect: { kind: 'any' } };
    const noise = Buffer.from(Array.from({ length: 1 + int(4) }, () => int(256)));
    if (kind === 1) return { bytes: Buffer.concat([bytes.subarray(0, at), noise, bytes.subarray(at)]), env: {}, expect: { kind: 'any' } };
    const copy = Buffer.from(bytes);
    copy[at] = noise[0]!;
    return { bytes: copy, env: {}, expect: { kind: 'any' } };
  },
  'hostile environment': (b) => {
    const name = pick(ENV_NAMES);
    const list = name.endsWith('S') && !name.endsWith('_KEEPALIVE_S');
    const value = pick([
      () => JSON.stringify(hostileValue()),
      () => `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`,
      () => `[{"name":"s","intervalMs":1e309}]`,
      () => `[{"name":"a\\u0000b"}]`,
      () => (list ? JSON.stringify([hostileValue()]) : pick(HOSTILE_STRINGS)),
      () => pick(HOSTILE_STRINGS),
    ])();
    return { bytes: Buffer.from(b.text), env: { [name]: value }, expect: { kind: 'any' } };
  },
};

const FILE = join(dir, 'fuzz.json');

function run(c: Case): ConfigCheck {
  writeFileSync(FILE, c.bytes);
  return checkConfig({ file: FILE, env: c.env });
}

/** The problem names a key path (its first key one of the schema's or the file's) or the file itself. */
function namesKeyOrFile(path: string, topKeys: ReadonlySet<string>): boolean {
  if (path === FILE || path.startsWith(`${FILE}:`) || path === '(top level)') return true;
  const first = /^(?:([A-Za-z_$][\w$-]*)|\[(?:\d+|".*?")\])/.exec(path);
  return first !== null && (first[1] === undefined || topKeys.has(first[1]));
}

/** What a valid configuration may never hold: a non-finite number, NUL, an unpaired surrogate, an oversized topic. */
function assertClean(config: unknown, label: string): void {
  for (const { at, value } of places(config as Json)) {
    if (typeof value === 'number') assert.ok(Number.isFinite(value), `${label}: ${display(at)} is ${value}`);
    if (typeof value !== 'string') continue;
    assert.ok(!value.includes('\u0000'), `${label}: NUL at ${display(at)}`);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value), `${label}: unpaired surrogate at ${display(at)}`);
    if (/topic$/i.test(String(at[at.length - 1]))) assert.ok(Buffer.byteLength(value) <= 65535, `${label}: topic at ${display(at)} too long`);
  }
}

/** One case through the loader, held to the rules above; counts what it did. */
function checkCase(c: Case, where: string, counts: Map<string, { runs: number; valid: number; invalid: number }>, schemaKeys: readonly string[]): void {
  let check: ConfigCheck;
  try {
    check = run(c);
  } catch (error) {
    assert.fail(`${where}: the loader threw ${String(error)}`);
  }
  const generic = couldNotValidate('x').message;
  const label = c.label;
  const count = counts.get(label) ?? { runs: 0, valid: 0, invalid: 0 };
  counts.set(label, count);
  count.runs++;
  if (check.config) count.valid++;
  else count.invalid++;
  // Exactly one of: a configuration, or problems.
  assert.equal(check.config === null, check.problems.length > 0, `${where}: config and problems disagree`);
  let topKeys = new Set(schemaKeys);
  try {
    const parsed = JSON.parse(c.bytes.toString('utf8').replace(/^\ufeff/, '')) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) topKeys = new Set([...schemaKeys, ...Object.keys(parsed)]);
  } catch {
    // not JSON: only file-level problems and schema keys can be named
  }
  for (const p of check.problems) {
    const text = `${p.path} | ${p.message} | ${p.hint}`;
    assert.ok(namesKeyOrFile(p.path, topKeys), `${where}: problem does not name a key path or the file: ${text}`);
    assert.doesNotMatch(text, ENGINE_TEXT, `${where}: engine text in ${text}`);
    assert.notEqual(p.message, generic, `${where}: a check threw (the guard hid a bug) at ${p.path}`);
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/u, `${where}: unescaped control character`);
    assert.ok(p.path.length <= 200 && p.message.length <= 500 && p.hint.length <= 500, `${where}: problem too long`);
    assert.ok(p.hint.length > 0, `${where}: no hint at ${p.path}`);
  }
  if (check.config) assertClean(check.config, where);
  const expect = c.expect;
  if (expect.kind === 'same') {
    assert.deepEqual(check.problems, [], where);
    assert.deepEqual(check.config, checkConfig({ text: c.base.text, env: {} }).config, `${where}: not the same configuration`);
  } else if (expect.kind === 'problemAt') {
    const found = check.problems.find((p) => {
      if (!expect.message.test(p.message)) return false;
      if (!expect.nested) return p.path === expect.path;
      const shown = p.path.replace(/…$/, '');
      return shown.startsWith(expect.path) || expect.path.startsWith(shown);
    });
    assert.ok(found, `${where}: no problem matching ${expect.message} at ${expect.path}; got:\n${check.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  }
}

describe(`configuration fuzz (seed ${SEED})`, () => {
  it(`${CASES} mutated examples end valid or with problems that name a key path, no engine text`, () => {
    const counts = new Map<string, { runs: number; valid: number; invalid: number }>();
    const names = Object.keys(MUTATIONS);
    const schemaKeys = Object.keys(AGENT_SCHEMA);
    for (let n = 0; n < CASES; n++) {
      const base = BASES[n % BASES.length]!;
      const label = names[int(names.length)]!;
      const c: Case = { label, base, ...MUTATIONS[label]!(base) };
      const where = `case ${n} (${label} on ${base.name}; replay with CONFIG_FUZZ_SEED=${SEED})`;
      try {
        checkCase(c, where, counts, schemaKeys);
      } catch (error) {
        // The failing file itself, for a closer look: CONFIG_FUZZ_DUMP=/tmp/case.json
        const dump = process.env.CONFIG_FUZZ_DUMP;
        if (dump) writeFileSync(dump, c.bytes), writeFileSync(`${dump}.env.json`, JSON.stringify(c.env));
        throw error;
      }
    }
    const summary = [...counts].map(([label, c]) => `${label} ${c.runs} (${c.valid} valid)`).join('; ');
    console.log(`config fuzz: ${summary}`);
    const total = [...counts.values()].reduce((sum, c) => sum + c.runs, 0);
    assert.equal(total, CASES, 'every case counted once');
    assert.equal([...counts.values()].reduce((sum, c) => sum + c.valid + c.invalid, 0), CASES);
    if (CASES >= 300) assert.equal(counts.size, names.length, `every mutation ran: ${summary}`);
  });

  it('through the CLI: hostile files exit 78 with the key path on stderr and no stack trace', () => {
    const pi = BASES.find((b) => b.name === 'raspberry-pi.json')!;
    const neo = BASES.find((b) => b.name === 'udoo-neo.json')!;
    const neoValue = neo.value as { board: string; rules: Array<{ actions: Array<{ topic?: string }> }> };
    const cases: Array<{ name: string; bytes: Buffer; path: RegExp }> = [
      { name: 'deep', bytes: Buffer.from(`{"deviceId":"d1","sensors":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`), path: /sensors\[0\]/ },
      { name: 'board', bytes: Buffer.from(JSON.stringify({ ...neoValue, board: 'udoo-neo-full' })), path: /^.*board: "udoo-neo-full" is not a known board/m },
      { name: 'filters', bytes: Buffer.from(JSON.stringify(setAt(pi.value, ['sensors', 0, 'measurements', 'pressure', 'filters'], false))), path: /sensors\[0\]\.measurements\.pressure\.filters: / },
      { name: 'nul', bytes: Buffer.from(JSON.stringify(setAt(neo.value, ['rules', 0, 'actions', 1, 'topic'], 'devices/\u0000/ack'))), path: /rules\[0\]\.actions\[1\]\.topic/ },
      { name: 'latin1', bytes: Buffer.concat([Buffer.from('{"deviceId":"caf'), Buffer.from([0xe9]), Buffer.from('","sensors":[{"name":"s"}]}')]), path: /deviceId: not valid UTF-8/ },
      { name: 'keepalive', bytes: Buffer.from('{"deviceId":"d1","sensors":[{"name":"s"}],"mqtt":{"keepaliveS":1e309}}'), path: /mqtt\.keepaliveS: 1e309 is not a finite number/ },
    ];
    for (const c of cases) {
      const file = join(dir, `${c.name}.json`);
      writeFileSync(file, c.bytes);
      const result = runCli(c.name === 'deep' ? ['run', '--config', file] : ['check-config', file], { JOURNAL_STREAM: '' });
      assert.equal(result.status, 78, `${c.name}: ${result.stderr}`);
      assert.match(result.stderr, c.path, c.name);
      assert.doesNotMatch(result.stderr, ENGINE_TEXT, c.name);
      assert.equal(result.stdout, '', c.name);
    }
  });
});
