/**
 * Rule actions are a tagged union (`type`: output, log, publish), which a convict schema cannot
 * express, so each action is checked here, with its own path (`rules[0].actions[1].state`) and
 * the same kind of hint as every other problem. There is deliberately no action that runs a
 * program: a message from the network must never become a command line.
 */
import { ACTION_PLACEHOLDERS, fillTemplate, unknownPlaceholders } from '../template.js';
import type { ConfigProblem } from './config-error.js';
import { closest, show, topicTextIssue } from './formats.js';
import { keyPath, printable, showKey } from './printable.js';
import type { ActionConfig, OutputAction } from './subscriber-types.js';
import type { Qos } from './types.js';

const TYPES = ['output', 'log', 'publish'] as const;
const KEYS: Record<(typeof TYPES)[number], readonly string[]> = {
  output: ['type', 'output', 'state', 'ms'],
  log: ['type', 'message', 'level'],
  publish: ['type', 'topic', 'payload', 'qos', 'retain'],
};
const STATES: readonly OutputAction[] = ['on', 'off', 'toggle', 'pulse'];
const MAX_MS = 86_400_000;

export interface ActionContext {
  deviceId: string;
  rule: string;
  /** Names of the configured outputs (null when the outputs themselves have problems). */
  outputs: ReadonlySet<string> | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseActions(raw: unknown, at: string, ctx: ActionContext, problems: ConfigProblem[]): ActionConfig[] {
  if (!Array.isArray(raw)) return [];
  const out: ActionConfig[] = [];
  raw.forEach((entry, i) => {
    const action = parseAction(entry, `${at}[${i}]`, ctx, problems);
    if (action) out.push(action);
  });
  return out;
}

function templateIssues(text: string, path: string, problems: ConfigProblem[]): void {
  for (const name of unknownPlaceholders(text)) {
    const guess = closest(name, ACTION_PLACEHOLDERS);
    problems.push({ path, message: `unknown placeholder {${printable(name, 40)}}`, hint: `${guess ? `did you mean {${guess}}? ` : ''}known: ${ACTION_PLACEHOLDERS.map((v) => `{${v}}`).join(', ')}` });
  }
}

function parseAction(raw: unknown, at: string, ctx: ActionContext, problems: ConfigProblem[]): ActionConfig | null {
  if (!isObject(raw)) {
    problems.push({ path: at, message: `expected an action object, got ${show(raw)}`, hint: 'e.g. { "type": "output", "output": "led", "state": "on" }' });
    return null;
  }
  const type = raw.type;
  if (!(TYPES as readonly unknown[]).includes(type)) {
    const guess = typeof type === 'string' ? closest(type, TYPES) : undefined;
    const shell = typeof type === 'string' && /exec|shell|command|run|script/i.test(type);
    problems.push({
      path: `${at}.type`,
      message: type === undefined ? 'missing (required)' : `${show(type)} is not an action type`,
      hint: `${guess ? `did you mean ${show(guess)}? ` : ''}allowed: output, log, publish${shell ? ' (no action runs programs: a message from the network must never become a command)' : ''}`,
    });
    return null;
  }
  const kind = type as (typeof TYPES)[number];
  const before = problems.length;
  for (const key of Object.keys(raw)) {
    if (KEYS[kind].includes(key)) continue;
    const guess = closest(key, KEYS[kind]);
    problems.push({ path: keyPath(at, key), message: `unknown key '${showKey(key)}' for a ${kind} action${guess ? ` — did you mean '${guess}'?` : ''}`, hint: `keys of a ${kind} action: ${KEYS[kind].join(', ')}` });
  }
  const text = (key: string, fallback: string | null, max: number): string => {
    const value = raw[key] ?? fallback;
    if (typeof value === 'string' && value.length > 0 && value.length <= max) return value;
    problems.push({ path: `${at}.${key}`, message: value === null ? 'missing (required)' : `${show(value)} is not usable text`, hint: `give a string of 1 to ${max} characters` });
    return '';
  };

  if (kind === 'output') {
    const output = text('output', null, 64);
    if (output && ctx.outputs && !ctx.outputs.has(output)) {
      const guess = closest(output, [...ctx.outputs]);
      problems.push({ path: `${at}.output`, message: `unknown output '${showKey(output)}'${guess ? ` — did you mean '${guess}'?` : ''}`, hint: ctx.outputs.size > 0 ? `configured outputs: ${[...ctx.outputs].join(', ')}` : 'add it to "outputs" first' });
    }
    const state = raw.state;
    if (!(STATES as readonly unknown[]).includes(state)) {
      problems.push({ path: `${at}.state`, message: state === undefined ? 'missing (required)' : `${show(state)} is not an output action`, hint: 'allowed: on, off, toggle, pulse (with ms)' });
    }
    const ms = raw.ms ?? null;
    if (state === 'pulse' && !(typeof ms === 'number' && Number.isInteger(ms) && ms >= 1 && ms <= MAX_MS)) {
      problems.push({ path: `${at}.ms`, message: ms === null ? 'a pulse needs ms' : `${show(ms)} is not a pulse length`, hint: `give the pulse length in ms, an integer from 1 to ${MAX_MS}` });
    } else if (state !== 'pulse' && ms !== null) {
      problems.push({ path: `${at}.ms`, message: `ms is only for a pulse, and the state is ${show(state)}`, hint: 'use "state": "pulse" with "ms", or remove ms' });
    }
    return problems.length > before ? null : { type: 'output', output, state: state as OutputAction, ms: ms as number | null };
  }

  if (kind === 'log') {
    const message = text('message', null, 1000);
    templateIssues(message, `${at}.message`, problems);
    const level = raw.level ?? 'info';
    if (level !== 'info' && level !== 'warn') problems.push({ path: `${at}.level`, message: `${show(level)} is not a log level for an action`, hint: 'allowed: info, warn' });
    return problems.length > before ? null : { type: 'log', level: level as 'info' | 'warn', message };
  }

  const topicTemplate = text('topic', null, 1000);
  const topicUnknown = unknownPlaceholders(topicTemplate, ['deviceId', 'rule']);
  // At most 1000 characters with {deviceId} and {rule} (64 characters each) filled in: always
  // under MQTT's 65535 bytes, so only the characters need checking here.
  const topicIssue = topicTemplate === '' ? null : topicTextIssue(topicTemplate, 'topic');
  if (topicIssue) {
    problems.push({ path: `${at}.topic`, ...topicIssue });
  } else if (topicUnknown.length > 0) {
    problems.push({ path: `${at}.topic`, message: `placeholder {${printable(topicUnknown[0]!, 40)}} cannot be used in a topic`, hint: 'a topic may use {deviceId} and {rule} only: content from the network never chooses where the agent publishes' });
  } else if (/[+#]/.test(topicTemplate) || topicTemplate.startsWith('$')) {
    problems.push({ path: `${at}.topic`, message: `${show(topicTemplate)} is not a publish topic`, hint: 'no + or # wildcards and no leading $, e.g. "devices/{deviceId}/ack"' });
  }
  const payload = raw.payload ?? '{"device":"{deviceId}","rule":"{rule}","value":"{value}","condition":{condition}}';
  if (typeof payload !== 'string' || payload.length > 10_000) problems.push({ path: `${at}.payload`, message: `${show(payload)} is not a payload template`, hint: 'give a string (up to 10000 characters) with placeholders such as {value}' });
  else templateIssues(payload, `${at}.payload`, problems);
  const qos = raw.qos ?? 1;
  if (qos !== 0 && qos !== 1 && qos !== 2) problems.push({ path: `${at}.qos`, message: `${show(qos)} is not a QoS`, hint: 'allowed: 0, 1, 2' });
  const retain = raw.retain ?? false;
  if (typeof retain !== 'boolean') problems.push({ path: `${at}.retain`, message: `${show(retain)} is not true or false`, hint: 'use true or false' });
  if (problems.length > before) return null;
  // The topic is fixed now: only {deviceId} and {rule}, both known at load time.
  const topic = fillTemplate(topicTemplate, ['deviceId', 'rule'], { deviceId: ctx.deviceId, rule: ctx.rule });
  return { type: 'publish', topic, payload: payload as string, qos: qos as Qos, retain: retain as boolean };
}
