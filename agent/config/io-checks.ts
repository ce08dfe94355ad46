/**
 * Checks across the subscriber-mode entries (outputs, inputs, rules) that no single key can make:
 * names unique, one pin claimed once, a condition with one comparison, rules that do something.
 * Entries with problems of their own come in as null and are skipped, so one mistake is reported once.
 */
import { pinIssue } from '../../drivers/gpio/pins.js';
import type { ConfigProblem } from './config-error.js';
import type { ConditionConfig, InputConfig, OutputConfig, RuleConfig } from './subscriber-types.js';
import type { Board, Role } from './types.js';

export interface IoEntries {
  /** null when the board itself is not valid (its problem is reported): pins are then not checked. */
  board: Board | null;
  role: Role;
  outputs: Array<OutputConfig | null>;
  inputs: Array<InputConfig | null>;
  /** Rules before their actions are parsed (actions are checked in actions.ts). */
  rules: Array<(Omit<RuleConfig, 'condition' | 'actions' | 'elseActions'> & { condition: ConditionConfig; actionCount: number; elseCount: number }) | null>;
}

const COMPARISONS = ['above', 'atLeast', 'below', 'atMost', 'equals'] as const;

/** The comparisons a condition sets (the loader keeps a condition only when there is one). */
export function comparisonsOf(condition: ConditionConfig): Array<(typeof COMPARISONS)[number]> {
  return COMPARISONS.filter((key) => condition[key] !== null);
}

function unique<T>(entries: Array<T | null>, key: (e: T) => string, at: (i: number) => string, what: string, hint: string): ConfigProblem[] {
  const seen = new Map<string, string>();
  const out: ConfigProblem[] = [];
  entries.forEach((entry, i) => {
    if (!entry) return;
    const k = key(entry);
    const other = seen.get(k);
    if (other) out.push({ path: at(i), message: `${what} '${k}' is already used by ${other}`, hint });
    else seen.set(k, at(i).replace(/\.\w+$/, ''));
  });
  return out;
}

export function checkIo(io: IoEntries): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (io.role === 'publisher') {
    for (const key of ['outputs', 'inputs', 'rules'] as const) {
      if (io[key].length > 0) out.push({ path: key, message: `role 'publisher' does not use ${key}`, hint: 'set role to "both" (sample and react) or "subscriber", or remove them' });
    }
  }
  out.push(...unique(io.outputs, (o) => o.name, (i) => `outputs[${i}].name`, 'output name', 'output names must be unique: commands and actions name them'));
  out.push(...unique(io.inputs, (o) => o.name, (i) => `inputs[${i}].name`, 'input name', 'input names must be unique: they appear in topics'));
  out.push(...unique(io.rules, (r) => r.name, (i) => `rules[${i}].name`, 'rule name', 'rule names must be unique: they appear in logs and {rule}'));

  const pins = [...io.outputs.map((o, i) => (o ? { pin: o.pin, at: `outputs[${i}].pin` } : null)), ...io.inputs.map((o, i) => (o ? { pin: o.pin, at: `inputs[${i}].pin` } : null))];
  out.push(...unique(pins, (p) => p.pin, (i) => pins[i]!.at, 'pin', 'a pin can be claimed once: as one output or one input'));
  // A pin unknown on the board, or one that is not usable as GPIO there (the sensor's I2C pins, the
  // eMMC on a BeagleBone…), is a config error with the reason and the name to write instead.
  for (const p of pins) {
    if (!p || io.board === null) continue;
    const issue = pinIssue(io.board, p.pin);
    if (issue) out.push({ path: p.at, message: issue.message, hint: issue.hint });
  }

  const topics: Array<{ topic: string; at: string } | null> = [
    ...io.outputs.flatMap((o, i) => (o ? [{ topic: o.stateTopic, at: `outputs[${i}].stateTopic` }, { topic: o.setTopic, at: `outputs[${i}].setTopic` }] : [])),
    ...io.inputs.flatMap((o, i) => (o ? [{ topic: o.stateTopic, at: `inputs[${i}].stateTopic` }, { topic: o.edgeTopic, at: `inputs[${i}].edgeTopic` }] : [])),
  ];
  out.push(...unique(topics, (t) => t.topic, (i) => topics[i]!.at, 'topic', 'each output and input needs its own topics: keep {name} in the template'));

  io.rules.forEach((rule, i) => {
    if (!rule) return;
    const at = `rules[${i}]`;
    const set = comparisonsOf(rule.condition);
    if (set.length > 1) {
      out.push({ path: `${at}.condition`, message: `sets ${set.join(' and ')}; a condition has one comparison`, hint: 'keep one; for "on above 100, off below 95" use { "atLeast": 100, "hysteresis": 5 }' });
    }
    if (set.length === 0 && rule.condition.field !== null) {
      out.push({ path: `${at}.condition.field`, message: 'a field is given but nothing to compare it with', hint: 'add above, atLeast, below, atMost or equals, or remove the condition' });
    }
    if (rule.condition.hysteresis > 0 && (set.length === 0 || set[0] === 'equals')) {
      out.push({ path: `${at}.condition.hysteresis`, message: 'hysteresis needs a threshold (above, atLeast, below or atMost)', hint: 'remove it, or compare against a threshold' });
    }
    if (rule.actionCount === 0 && rule.elseCount === 0) {
      out.push({ path: `${at}.actions`, message: 'the rule has no actions', hint: 'add e.g. { "type": "output", "output": "led", "state": "on" }; to only log messages use "subscriptions"' });
    }
    if (set.length === 0 && rule.elseCount > 0) {
      out.push({ path: `${at}.elseActions`, message: 'elseActions never run without a condition', hint: 'add a condition, or move them to actions' });
    }
  });
  return out;
}
