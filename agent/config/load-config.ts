/**
 * Load, check and resolve the configuration: file (or text) < environment < arguments, then board
 * defaults, client id and per-unit decimals. Every problem is collected before one ConfigError is
 * thrown. Inputs come in as arguments: this module never reads process.env or process.argv.
 *
 * convict does the layering (defaults, `set` of the file's values, its `env` import, coercion of
 * strings through the formats' `coerce`); the walk here adds what convict does not: strictness
 * inside array entries, full paths, "did you mean", and one structured problem per mistake.
 */
import { homedir } from 'node:os';
import { join as joinPath, resolve } from 'node:path';
import convict from 'convict';
import type { Quantity } from '../../drivers/sensor.js';
import { toFilterSpecs } from '../sampling/filters.js';
import { BOARD_PROFILES } from './boards.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { brokerUrls, closest, FORMATS, registerFormats, show, topicLengthProblem } from './formats.js';
import { DUPLICATE_KEY, MAX_CONFIG_BYTES, parseConfigText, readConfigFile, stringProblem } from './json-source.js';
import { keyPath, printable, showKey } from './printable.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../template.js';
import {
  AGENT_SCHEMA, CROSS_FIELD_RULES, DEFAULT_DECIMALS, DRIVER_FORMATS, formatOf, INPUT_SCHEMA, isLeaf, leaves, OUTPUT_SCHEMA, QUANTITIES, RULE_SCHEMA, sensorSchemaFor, SUBSCRIPTION_SCHEMA,
  type LoadedTop, type RuleContext, type SchemaNode,
} from './schema.js';
import { parseActions } from './actions.js';
import { checkIo, comparisonsOf } from './io-checks.js';
import type { ConditionConfig, InputConfig, OutputConfig, RuleConfig } from './subscriber-types.js';
import type { AgentConfig, Board, MeasurementConfig, Role, SensorConfig, SubscriptionConfig } from './types.js';

export { ConfigError, type ConfigProblem } from './config-error.js';
export { configSchemaDoc, renderConfigReference } from './describe.js';

export interface LoadConfigArgs {
  /** Broker URL; overrides mqtt.url from the file and EDGE_AGENT_MQTT_URL. */
  broker?: string;
  /** true forces i2c.simulated (--simulate); false or absent leaves the file's setting. */
  simulated?: boolean;
  /** Overrides log.level. */
  logLevel?: string;
}

export interface LoadConfigInput {
  /** Path of a JSON file; also names the source in messages when `text` is given. */
  file?: string;
  /** JSON text (instead of reading `file`). */
  text?: string;
  /** Environment variables (EDGE_AGENT_*); pass process.env from the entry point only. */
  env?: Record<string, string | undefined>;
  args?: LoadConfigArgs;
}

export interface ConfigCheck {
  /** The resolved configuration, or null when there are problems. */
  config: AgentConfig | null;
  problems: ConfigProblem[];
  /** The file, "<text>" or "<defaults>": where the configuration came from. */
  source: string;
}

type Problems = ConfigProblem[];
/** Convict's config object, narrowed to what is used here (its own types are loose). */
interface Store {
  get(path: string): unknown;
  set(path: string, value: unknown): void;
  load(values: object): void;
  getProperties(): unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (prefix: string, key: string): string => (prefix ? `${prefix}.${key}` : key);

/** Check the shape against the schema (unknown keys, objects where objects belong); collect leaves. */
function walk(raw: unknown, node: SchemaNode, display: string, rel: string, out: Array<[string, unknown]>, problems: Problems): boolean {
  const known = Object.keys(node);
  if (!isObject(raw)) {
    problems.push({ path: display || '(top level)', message: `expected an object, got ${show(raw)}`, hint: `keys here: ${known.join(', ')}` });
    return false;
  }
  let clean = true;
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.prototype.hasOwnProperty.call(node, key)) {
      const guess = closest(key, known);
      problems.push({
        path: keyPath(display, key),
        message: `unknown key '${showKey(key)}'${guess ? ` — did you mean '${guess}'?` : ''}`,
        hint: `known keys here: ${known.join(', ')}`,
      });
      clean = false;
      continue;
    }
    const entry = node[key]!;
    if (isLeaf(entry)) out.push([join(rel, key), value]);
    else clean = walk(value, entry, join(display, key), join(rel, key), out, problems) && clean;
  }
  return clean;
}

const forConvict = new WeakMap<SchemaNode, SchemaNode>();

/** `schema` as convict takes it: every format by name (a driver option's format is registered under its own). */
function convictSchema(schema: SchemaNode): SchemaNode {
  let named = forConvict.get(schema);
  if (!named) {
    named = Object.fromEntries(Object.entries(schema).map(([key, entry]) => {
      if (!isLeaf(entry)) return [key, convictSchema(entry)];
      return [key, typeof entry.format === 'string' ? entry : { ...entry, format: entry.format.name }];
    })) as SchemaNode;
    forConvict.set(schema, named);
  }
  return named;
}

/** A convict store over `schema` holding the file's values, then the environment's on top. */
function buildStore(schema: SchemaNode, values: Array<[string, unknown]>, env: Record<string, string>): Store {
  const store = convict(convictSchema(schema) as convict.Schema<Record<string, unknown>>, { env, args: [] }) as unknown as Store;
  for (const [path, value] of values) store.set(path, value);
  store.load({}); // convict re-imports the environment on every load: env beats the file
  return store;
}

/** Check every leaf's value with its format; `origin` names where a value came from if not the file. */
function checkLeaves(store: Store, schema: SchemaNode, display: string, origin: (rel: string) => string | undefined, problems: Problems): boolean {
  let clean = true;
  for (const [rel, leaf] of leaves(schema)) {
    const value = store.get(rel);
    if (value === null && leaf.nullable) continue;
    const from = origin(rel);
    const prefix = from ? `from ${from}: ` : '';
    if (value === null || value === undefined) {
      const where = leaf.env ? `set "${rel}" in the file or ${leaf.env}` : `set "${rel}"`;
      problems.push({ path: join(display, rel), message: `${prefix}missing (required)`, hint: `${where} — ${leaf.doc}` });
      clean = false;
      continue;
    }
    const issues = guarded(join(display, rel), problems, null, () => formatOf(leaf).check(value));
    if (issues === null) {
      clean = false; // the check failed: the value is not known to be good
      continue;
    }
    for (const issue of issues) {
      const path = join(display, issue.key ? `${rel}${issue.key.startsWith('[') ? '' : '.'}${issue.key}` : rel);
      problems.push({ path, message: prefix + issue.message, hint: issue.hint });
      clean = false;
    }
  }
  return clean;
}

/** What convict holds for a checked sensor entry: the contract's shape before resolution. */
type CheckedSensor = Omit<SensorConfig, 'measurements'> & {
  measurements: Record<Quantity, Omit<MeasurementConfig, 'decimals' | 'filters'> & { decimals: number | null; filters: Record<string, unknown>[] }>;
};

type LoadedSensor = RuleContext['sensors'][number];

function loadSensor(raw: unknown, display: string, note: string | undefined, problems: Problems): LoadedSensor {
  const values: Array<[string, unknown]> = [];
  // Each driver has its own settings: the entry's `driver` picks the schema it is checked against.
  const schema = sensorSchemaFor(isObject(raw) ? raw.driver : undefined);
  const shapeOk = walk(raw, schema, display, '', values, problems);
  if (!isObject(raw)) return null;
  const store = buildStore(schema, values, {});
  const valuesOk = checkLeaves(store, schema, display, () => note, problems);
  const entry = store.getProperties() as CheckedSensor; // trusted where no problem was reported
  // An entry with a problem is not resolved (its filters may not be a list): the rules across
  // keys read only its keys that have no problem (RuleContext.bad).
  if (!shapeOk || !valuesOk) return { sensor: entry as unknown as SensorConfig, valid: false };
  const measurements: Partial<Record<Quantity, MeasurementConfig>> = {};
  for (const q of QUANTITIES) {
    const m = entry.measurements[q];
    measurements[q] = { ...m, decimals: m.decimals ?? DEFAULT_DECIMALS[m.unit], filters: toFilterSpecs(m.filters) };
  }
  return { sensor: { ...entry, measurements } as SensorConfig, valid: true };
}

function loadSubscription(raw: unknown, display: string, note: string | undefined, problems: Problems): SubscriptionConfig | null {
  const values: Array<[string, unknown]> = [];
  const shapeOk = walk(raw, SUBSCRIPTION_SCHEMA, display, '', values, problems);
  if (!isObject(raw)) return null;
  const store = buildStore(SUBSCRIPTION_SCHEMA, values, {});
  const valuesOk = checkLeaves(store, SUBSCRIPTION_SCHEMA, display, () => note, problems);
  return shapeOk && valuesOk ? (store.getProperties() as SubscriptionConfig) : null;
}

/** One array entry against its schema (shape, then values); null when it has any problem. */
function loadEntry<T>(schema: SchemaNode, raw: unknown, display: string, note: string | undefined, problems: Problems): T | null {
  const values: Array<[string, unknown]> = [];
  const shapeOk = walk(raw, schema, display, '', values, problems);
  if (!isObject(raw)) return null;
  const store = buildStore(schema, values, {});
  const valuesOk = checkLeaves(store, schema, display, () => note, problems);
  return shapeOk && valuesOk ? (store.getProperties() as T) : null;
}

interface SubscriberMode {
  outputs: OutputConfig[];
  inputs: InputConfig[];
  rules: RuleConfig[];
  ruleCount: number | null;
}

/** outputs, inputs and rules: each entry checked, topics resolved for the device, then the checks across them. */
function loadSubscriberMode(store: Store, origin: (rel: string) => string | undefined, problems: Problems): SubscriberMode {
  // Only a valid device id is filled into topics (its own problem is reported otherwise).
  const id = store.get('deviceId');
  const deviceId = typeof id === 'string' && FORMATS['device-id'].check(id).length === 0 ? id : '';
  const list = (key: string): unknown[] | null => {
    const value = store.get(key);
    return Array.isArray(value) ? value : null;
  };
  const fill = (template: string, name: string): string => fillTemplate(template, ['deviceId', 'name'], { deviceId, name });
  // Topics are filled in for the device: each must still fit MQTT's limit.
  const filled = <T extends { name: string }>(entry: T | null, at: string, keys: ReadonlyArray<keyof T & string>): T | null => {
    if (!entry) return null;
    const out = { ...entry };
    let ok = true;
    for (const key of keys) {
      const topic = fill(entry[key] as string, entry.name);
      const problem = topicLengthProblem(topic, `${at}.${key}`);
      if (problem) (problems.push(problem), (ok = false));
      (out as Record<string, unknown>)[key] = topic;
    }
    return ok ? out : null;
  };
  const outputs = (list('outputs') ?? []).map((raw, i) => guarded(`outputs[${i}]`, problems, null, () => {
    const o = loadEntry<OutputConfig>(OUTPUT_SCHEMA, raw, `outputs[${i}]`, origin('outputs'), problems);
    return filled(o && { ...o, pin: String(o.pin) }, `outputs[${i}]`, ['stateTopic', 'setTopic']);
  }));
  const inputs = (list('inputs') ?? []).map((raw, i) => guarded(`inputs[${i}]`, problems, null, () => {
    const o = loadEntry<InputConfig>(INPUT_SCHEMA, raw, `inputs[${i}]`, origin('inputs'), problems);
    return filled(o && { ...o, pin: String(o.pin) }, `inputs[${i}]`, ['stateTopic', 'edgeTopic']);
  }));
  const rulesRaw = list('rules');
  const entries = (rulesRaw ?? []).map((raw, i) => guarded(`rules[${i}]`, problems, null, () => loadEntry<Omit<RuleConfig, 'condition'> & { condition: ConditionConfig }>(RULE_SCHEMA, raw, `rules[${i}]`, origin('rules'), problems)));
  const checked = entries.map((r) => r && { ...r, actionCount: r.actions.length, elseCount: r.elseActions.length });
  const before = problems.length;
  // Pins are checked against the board's table: only a board that is itself valid has one.
  const board = FORMATS.board.check(store.get('board')).length === 0 ? (store.get('board') as Board) : null;
  problems.push(...guarded('outputs', problems, [], () => checkIo({ board, role: store.get('role') as Role, outputs, inputs, rules: checked })));
  const outputNames = outputs.every((o) => o !== null) ? new Set(outputs.map((o) => o!.name)) : null;
  const rules = entries.flatMap((rule, i) => {
    if (!rule) return [];
    const ctx = { deviceId, rule: rule.name, outputs: outputNames };
    const actions = guarded(`rules[${i}].actions`, problems, [], () => parseActions(rule.actions, `rules[${i}].actions`, ctx, problems));
    const elseActions = guarded(`rules[${i}].elseActions`, problems, [], () => parseActions(rule.elseActions, `rules[${i}].elseActions`, ctx, problems));
    return [{ ...rule, condition: comparisonsOf(rule.condition).length > 0 ? rule.condition : null, actions, elseActions }];
  });
  const ruleCount = rulesRaw === null ? null : rulesRaw.length + outputs.length + inputs.length;
  if (problems.length > before) return { outputs: [], inputs: [], rules: [], ruleCount };
  return { outputs: outputs.filter((o) => o !== null), inputs: inputs.filter((o) => o !== null), rules, ruleCount };
}

/**
 * The file (or text) as a value. `problems` may come with a value: those are about single keys
 * (1e309, a key given twice, a NUL…) and the rest of the file is checked too.
 */
function readSource(input: LoadConfigInput): { raw: unknown; problems: Problems; source: string } {
  const source = input.text !== undefined ? (input.file ?? '<text>') : (input.file ?? '<defaults>');
  if (input.text === undefined && input.file === undefined) return { raw: {}, problems: [], source };
  if (input.text !== undefined && Buffer.byteLength(input.text, 'utf8') > MAX_CONFIG_BYTES) {
    return { raw: undefined, problems: [{ path: source, message: `larger than ${MAX_CONFIG_BYTES / 2 ** 20} MiB`, hint: 'a configuration is a few KiB' }], source };
  }
  const read = input.text !== undefined ? parseConfigText(input.text, source) : readConfigFile(input.file!);
  return { raw: read.value, problems: read.problems, source };
}

/** Formats whose values come from the environment as JSON text (convict parses them in `coerce`). */
const JSON_FORMATS: ReadonlySet<string> = new Set(['sensor-list', 'subscription-list', 'output-list', 'input-list', 'rule-list']);

/**
 * Environment variables are untrusted text too: each is held to the file's string checks, and the
 * JSON-valued ones are scanned as a file is before convict parses and deep-copies them. A variable
 * that fails is reported (with its name) and left out.
 */
function checkEnv(env: Record<string, string>, problems: Problems): void {
  for (const [path, leaf] of leaves(AGENT_SCHEMA)) {
    const name = leaf.env;
    if (name === undefined || env[name] === undefined) continue;
    const text = env[name];
    const found: Problems = [];
    if (typeof leaf.format !== 'string' || !JSON_FORMATS.has(leaf.format)) {
      const plain = stringProblem(text);
      if (plain) found.push({ path, ...plain });
    } else if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
      found.push({ path, message: `larger than ${MAX_CONFIG_BYTES / 2 ** 20} MiB`, hint: 'a configuration is a few KiB' });
    } else {
      for (const p of parseConfigText(text, path).problems) {
        // Paths inside the value are relative to it: `[0]` is `sensors[0]`; the text-level ones name the key.
        const inner = p.path === path || p.path.startsWith(`${path}:`) || p.path === '(top level)' ? path : p.path.startsWith('[') ? `${path}${p.path}` : `${path}.${p.path}`;
        found.push({ ...p, path: inner });
      }
    }
    if (found.length === 0) continue;
    problems.push(...found.map((p) => ({ ...p, message: `from ${name}: ${p.message}` })));
    delete env[name];
  }
}

/** The device's own topics, filled in, fit MQTT's limit. */
function topTopicProblems(top: LoadedTop, bad: ReadonlySet<string>): Problems {
  const topics: Array<[string, string]> = [['mqtt.statusTopic', top.mqtt.statusTopic], ['health.topic', top.health.topic], ['commands.topic', top.commands.topic], ['commands.responseTopic', top.commands.responseTopic]];
  return topics.flatMap(([path, template]) => {
    if (bad.has(path)) return [];
    const problem = topicLengthProblem(fillTemplate(template, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId }), path);
    return problem ? [problem] : [];
  });
}

/** Said when a check throws: a bug, since the checks are meant to take any value. */
export function couldNotValidate(path: string): ConfigProblem {
  return { path, message: 'could not validate this (the checker failed on it)', hint: 'this is a bug in edge-agent: please report it with the file (passwords removed); meanwhile compare it with the configuration reference' };
}

/** Runs one check; an exception in it becomes a problem at `path` instead of escaping. */
function guarded<T>(path: string, problems: Problems, fallback: T, check: () => T): T {
  try {
    return check();
  } catch {
    problems.push(couldNotValidate(path));
    return fallback;
  }
}

/** `path` is `under` or inside it. */
const within = (path: string, under: string): boolean => path === under || path.startsWith(`${under}.`) || path.startsWith(`${under}[`);

/** Problems as shown to a person: the file's text in them escaped and bounded (printable.ts). */
const tidy = (p: ConfigProblem): ConfigProblem => ({ path: printable(p.path, 200), message: printable(p.message, 500), hint: printable(p.hint, 500) });

/** Everything loadConfig does, returning the problems instead of throwing. */
export function checkConfig(input: LoadConfigInput): ConfigCheck {
  const found: Problems = [];
  let check: ConfigCheck;
  try {
    check = checkUnguarded(input, found);
  } catch {
    // What was found before the failure is still true; the failure itself is named last.
    const source = input.file ?? (input.text !== undefined ? '<text>' : '<defaults>');
    check = { config: null, problems: [...found, couldNotValidate(source)], source };
  }
  return { ...check, problems: check.problems.map(tidy) };
}

/** checkConfig without the last guard; `problems` is filled as they are found. */
function checkUnguarded(input: LoadConfigInput, problems: Problems): ConfigCheck {
  registerFormats(DRIVER_FORMATS);
  const read = readSource(input);
  const { raw, source } = read;
  if (raw === undefined) return { config: null, problems: read.problems, source };
  // A key the scan found wrong (1e309, a NUL, a string too long) is reported once: by the scan.
  problems.push(...read.problems);
  const covered = read.problems.filter((p) => p.message !== DUPLICATE_KEY).map((p) => p.path);

  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.env ?? {})) if (value !== undefined) env[name] = value;
  checkEnv(env, problems);
  const early = problems.length;
  covered.push(...problems.slice(read.problems.length).map((p) => p.path.replace(/[.[].*$/, '')));
  const values: Array<[string, unknown]> = [];
  if (!walk(raw, AGENT_SCHEMA, '', '', values, problems) && !isObject(raw)) {
    // Not even an object: one problem says it all (not "deviceId missing" as well).
    return { config: null, problems: problems.filter((p, i) => i < early || !covered.some((c) => within(p.path, c))), source };
  }
  const store = buildStore(AGENT_SCHEMA, values, env);

  const fromArgs = new Map<string, string>();
  const args = input.args ?? {};
  const override = (path: string, name: string, value: unknown): void => {
    if (value === undefined) return;
    store.set(path, value);
    fromArgs.set(path, `args.${name}`);
  };
  override('mqtt.url', 'broker', args.broker);
  override('i2c.simulated', 'simulated', args.simulated === true ? true : undefined);
  override('gpio.simulated', 'simulated', args.simulated === true ? true : undefined);
  override('log.level', 'logLevel', args.logLevel);

  const envOf = new Map(leaves(AGENT_SCHEMA).map(([path, leaf]) => [path, leaf.env]));
  const origin = (rel: string): string | undefined => {
    const name = envOf.get(rel);
    return fromArgs.get(rel) ?? (name !== undefined && env[name] !== undefined ? name : undefined);
  };
  checkLeaves(store, AGENT_SCHEMA, '', origin, problems);

  const sensorsRaw = store.get('sensors');
  const sensors = Array.isArray(sensorsRaw) ? sensorsRaw.map((s, i) => guarded(`sensors[${i}]`, problems, null, () => loadSensor(s, `sensors[${i}]`, origin('sensors'), problems))) : [];
  const subsRaw = store.get('subscriptions');
  const subscriptions = Array.isArray(subsRaw) ? subsRaw.map((s, i) => guarded(`subscriptions[${i}]`, problems, null, () => loadSubscription(s, `subscriptions[${i}]`, origin('subscriptions'), problems))) : [];

  const subscriberMode = loadSubscriberMode(store, origin, problems);

  const top = store.getProperties() as LoadedTop; // trusted where no problem was reported
  const context: RuleContext = {
    top,
    sensors,
    sensorCount: Array.isArray(sensorsRaw) ? sensorsRaw.length : null,
    subscriptionCount: Array.isArray(subsRaw) ? subsRaw.length : null,
    ruleCount: subscriberMode.ruleCount,
    bad: new Set(problems.map((p) => p.path)),
  };
  for (const rule of CROSS_FIELD_RULES) problems.push(...guarded(source, problems, [], () => rule.check(context)));
  if (!context.bad.has('deviceId')) problems.push(...topTopicProblems(top, context.bad));
  const reported = problems.filter((p, i) => i < early || !covered.some((c) => within(p.path, c)));
  if (reported.length > 0) return { config: null, problems: reported, source };

  const board = BOARD_PROFILES[top.board];
  const clientId = top.mqtt.clientId === '' ? `edge-agent-${top.deviceId}` : fillTemplate(top.mqtt.clientId, ['deviceId'], { deviceId: top.deviceId });
  const config: AgentConfig = {
    board: top.board,
    role: top.role,
    deviceId: top.deviceId,
    i2c: { bus: top.i2c.bus ?? board.i2c.defaultBus, simulated: top.i2c.simulated },
    // A subscriber keeps its session by default, so what is published while it is away reaches it.
    mqtt: { ...top.mqtt, url: brokerUrls(top.mqtt.url).join(','), clean: top.mqtt.clean ?? top.role === 'publisher', clientId, statusTopic: fillTemplate(top.mqtt.statusTopic, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId }) },
    sensors: sensors.map((s) => s!.sensor),
    subscriptions: subscriptions.filter((s): s is SubscriptionConfig => s !== null),
    queue: { ...top.queue, dir: queueDir(top.queue.dir, top.deviceId, env) },
    health: { ...top.health, topic: fillTemplate(top.health.topic, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId }) },
    homeassistant: top.homeassistant,
    log: top.log,
    gpio: top.gpio,
    outputs: subscriberMode.outputs,
    inputs: subscriberMode.inputs,
    rules: subscriberMode.rules,
    commands: {
      enabled: top.commands.enabled,
      topic: fillTemplate(top.commands.topic, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId }),
      responseTopic: fillTemplate(top.commands.responseTopic, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId }),
    },
    messages: top.messages,
  };
  return { config, problems, source };
}

/**
 * Where the disk queue lives when the config does not say: systemd's StateDirectory= (it sets
 * $STATE_DIRECTORY), else the XDG state directory of the user running the agent, one per device so
 * that agents sharing a user (the demo, tests) never share a queue.
 */
export function queueDir(configured: string, deviceId: string, env: Record<string, string | undefined>): string {
  if (configured !== '') return resolve(configured);
  const state = env.STATE_DIRECTORY?.split(':')[0];
  if (state) return joinPath(state, 'queue');
  const xdg = env.XDG_STATE_HOME || joinPath(env.HOME || homedir(), '.local', 'state');
  return joinPath(xdg, 'edge-agent', deviceId, 'queue');
}

/** Load and resolve the configuration; throws one ConfigError listing every problem. */
export function loadConfig(input: LoadConfigInput): AgentConfig {
  const { config, problems, source } = checkConfig(input);
  if (config === null || problems.length > 0) throw new ConfigError(problems, source);
  return config;
}

/** For `check-config` and editors: the problems of a JSON text (empty when it is valid). */
export function validateConfigText(text: string, env: Record<string, string | undefined> = {}): ConfigProblem[] {
  return checkConfig({ text, env }).problems;
}
