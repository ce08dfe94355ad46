/**
 * Filters per measurement, applied in the order the config lists them, in the published unit and
 * before the final rounding to `decimals`.
 *
 * Two kinds of stage. Value stages (offset, linear, clamp, round, movingAverage, median, ema) turn
 * the value into another. Gates (delta, throttle) decide whether this value is published at all; a
 * gate sees the value as the stages before it left it, and what it compares against is the last value
 * (and time) actually *published*. `heartbeat` overrides the gates: a value is published anyway when
 * the last publication is at least that old. So `[ema, delta 0.5, heartbeat 60]` smooths, publishes
 * on a change of half a unit, and says the value at least once a minute even if it sits still.
 *
 * Time is the monotonic clock's, passed in, so every stage is tested with the manual clock.
 */
import { closest } from '../config/closest.js';
import { keyPath, show } from '../config/printable.js';
import { round } from './units.js';

export type FilterSpec =
  | { type: 'offset'; value: number }
  | { type: 'linear'; scale: number; offset: number }
  | { type: 'clamp'; min: number | null; max: number | null }
  | { type: 'round'; decimals: number }
  | { type: 'movingAverage'; window: number }
  | { type: 'median'; window: number }
  | { type: 'ema'; alpha: number }
  | { type: 'delta'; min: number; percent: boolean }
  | { type: 'throttle'; seconds: number }
  | { type: 'heartbeat'; seconds: number };

export type FilterType = FilterSpec['type'];

interface Published {
  value: number;
  at: number;
}

type Stage =
  | { kind: 'value'; apply(value: number): number }
  | { kind: 'gate'; pass(value: number, now: number, last: Published | undefined): boolean }
  | { kind: 'heartbeat'; due(now: number, last: Published | undefined): boolean };

function window(size: number, reduce: (values: number[]) => number): Stage {
  const values: number[] = [];
  return {
    kind: 'value',
    apply(value) {
      values.push(value);
      if (values.length > size) values.shift();
      return reduce(values);
    },
  };
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function stage(spec: FilterSpec): Stage {
  switch (spec.type) {
    case 'offset':
      return { kind: 'value', apply: (v) => v + spec.value };
    case 'linear':
      return { kind: 'value', apply: (v) => v * spec.scale + spec.offset };
    case 'clamp':
      return { kind: 'value', apply: (v) => Math.min(spec.max ?? Infinity, Math.max(spec.min ?? -Infinity, v)) };
    case 'round':
      return { kind: 'value', apply: (v) => round(v, spec.decimals) };
    case 'movingAverage':
      return window(spec.window, mean);
    case 'median':
      return window(spec.window, median);
    case 'ema': {
      let state: number | undefined;
      return {
        kind: 'value',
        apply(v) {
          state = state === undefined ? v : spec.alpha * v + (1 - spec.alpha) * state;
          return state;
        },
      };
    }
    case 'delta':
      return {
        kind: 'gate',
        pass(v, _now, last) {
          if (!last) return true;
          const change = Math.abs(v - last.value);
          return spec.percent ? change >= (Math.abs(last.value) * spec.min) / 100 : change >= spec.min;
        },
      };
    case 'throttle':
      return { kind: 'gate', pass: (_v, now, last) => !last || now - last.at >= spec.seconds * 1000 };
    case 'heartbeat':
      return { kind: 'heartbeat', due: (now, last) => last !== undefined && now - last.at >= spec.seconds * 1000 };
  }
}

export class FilterChain {
  private readonly stages: Stage[];
  private last: Published | undefined;

  constructor(readonly specs: readonly FilterSpec[]) {
    this.stages = specs.map(stage);
  }

  /** The value to publish, or undefined when a gate holds it back. Windows see every value either way. */
  apply(input: number, now: number): number | undefined {
    let value = input;
    let held = false;
    let heartbeat = false;
    for (const s of this.stages) {
      if (s.kind === 'value') value = s.apply(value);
      else if (s.kind === 'gate') held ||= !s.pass(value, now, this.last);
      else heartbeat ||= s.due(now, this.last);
    }
    if (held && !heartbeat) return undefined;
    this.last = { value, at: now };
    return value;
  }
}

const NUMBER_KEYS: Record<FilterType, readonly string[]> = {
  offset: ['value'],
  linear: ['scale', 'offset'],
  clamp: ['min', 'max'],
  round: ['decimals'],
  movingAverage: ['window'],
  median: ['window'],
  ema: ['alpha'],
  delta: ['min', 'percent'],
  throttle: ['seconds'],
  heartbeat: ['seconds'],
};

export const FILTER_TYPES = Object.keys(NUMBER_KEYS) as FilterType[];

export interface FilterIssue {
  /** Where in the list, e.g. "[2].window". */
  key: string;
  message: string;
  hint: string;
}

const EXAMPLES: Record<FilterType, string> = {
  offset: '{ "type": "offset", "value": -0.5 }',
  linear: '{ "type": "linear", "scale": 1.02, "offset": 0 }',
  clamp: '{ "type": "clamp", "min": 0, "max": 500 }',
  round: '{ "type": "round", "decimals": 1 }',
  movingAverage: '{ "type": "movingAverage", "window": 5 }',
  median: '{ "type": "median", "window": 5 }',
  ema: '{ "type": "ema", "alpha": 0.3 }',
  delta: '{ "type": "delta", "min": 0.5 } or { "type": "delta", "min": 1, "percent": true }',
  throttle: '{ "type": "throttle", "seconds": 10 }',
  heartbeat: '{ "type": "heartbeat", "seconds": 60 }',
};

/** Check a `filters` list from the config; every problem with its position and a hint. */
export function checkFilters(value: unknown): FilterIssue[] {
  if (!Array.isArray(value)) return [{ key: '', message: 'filters must be a list', hint: `e.g. [${EXAMPLES.median}, ${EXAMPLES.delta.split(' or ')[0]}]` }];
  const issues: FilterIssue[] = [];
  value.forEach((entry: unknown, i) => {
    const at = `[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      issues.push({ key: at, message: `${show(entry)} is not a filter object`, hint: `e.g. ${EXAMPLES.median}` });
      return;
    }
    const f = entry as Record<string, unknown>;
    const type = f.type;
    if (typeof type !== 'string' || !Object.hasOwn(NUMBER_KEYS, type)) {
      const guess = typeof type === 'string' ? closest(type, FILTER_TYPES) : undefined;
      issues.push({ key: `${at}.type`, message: `${show(type)} is not a filter type`, hint: `${guess ? `did you mean "${guess}"? ` : ''}one of ${FILTER_TYPES.join(', ')}` });
      return;
    }
    const t = type as FilterType;
    const allowed = NUMBER_KEYS[t];
    for (const key of Object.keys(f)) {
      if (key !== 'type' && !allowed.includes(key)) issues.push({ key: keyPath(at, key), message: `unknown key for a ${t} filter`, hint: `a ${t} filter takes ${allowed.join(', ')}: ${EXAMPLES[t]}` });
    }
    const need = (key: string, ok: (n: number) => boolean, what: string, optional = false): void => {
      const v = f[key];
      if (v === undefined && optional) return;
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) issues.push({ key: `${at}.${key}`, message: `${show(v)} is not ${what}`, hint: EXAMPLES[t] });
    };
    switch (t) {
      case 'offset':
        need('value', () => true, 'a number');
        break;
      case 'linear':
        need('scale', (n) => n !== 0, 'a non-zero number');
        need('offset', () => true, 'a number', true);
        break;
      case 'clamp':
        if (f.min === undefined && f.max === undefined) issues.push({ key: at, message: 'a clamp needs min, max or both', hint: EXAMPLES.clamp });
        need('min', () => true, 'a number', true);
        need('max', () => true, 'a number', true);
        if (typeof f.min === 'number' && typeof f.max === 'number' && f.min > f.max) issues.push({ key: `${at}.min`, message: `min ${f.min} is above max ${f.max}`, hint: 'swap them' });
        break;
      case 'round':
        need('decimals', (n) => Number.isInteger(n) && n >= 0 && n <= 10, 'an integer 0–10');
        break;
      case 'movingAverage':
      case 'median':
        need('window', (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'an integer 1–1000 (readings)');
        break;
      case 'ema':
        need('alpha', (n) => n > 0 && n <= 1, 'a number above 0 and at most 1 (the weight of the newest reading)');
        break;
      case 'delta':
        need('min', (n) => n >= 0, 'a number ≥ 0 (in the published unit, or % with "percent": true)');
        if (f.percent !== undefined && typeof f.percent !== 'boolean') issues.push({ key: `${at}.percent`, message: `${show(f.percent)} is not true or false`, hint: EXAMPLES.delta });
        break;
      case 'throttle':
      case 'heartbeat':
        need('seconds', (n) => n > 0 && n <= 86400, 'a number of seconds above 0, at most 86400');
        break;
    }
  });
  const hasGate = value.some((f: unknown) => typeof f === 'object' && f !== null && ['delta', 'throttle'].includes((f as { type?: unknown }).type as string));
  const beat = value.findIndex((f: unknown) => typeof f === 'object' && f !== null && (f as { type?: unknown }).type === 'heartbeat');
  if (beat >= 0 && !hasGate) issues.push({ key: `[${beat}]`, message: 'a heartbeat without a delta or throttle filter does nothing: every reading is published anyway', hint: 'add { "type": "delta", … } or { "type": "throttle", … }, or remove the heartbeat' });
  return issues;
}

/** The typed list after `checkFilters` found nothing wrong (defaults filled). */
export function toFilterSpecs(value: readonly Record<string, unknown>[]): FilterSpec[] {
  return value.map((f) => {
    switch (f.type as FilterType) {
      case 'linear':
        return { type: 'linear', scale: f.scale as number, offset: (f.offset as number | undefined) ?? 0 };
      case 'clamp':
        return { type: 'clamp', min: (f.min as number | undefined) ?? null, max: (f.max as number | undefined) ?? null };
      case 'delta':
        return { type: 'delta', min: f.min as number, percent: f.percent === true };
      default:
        return { ...f } as FilterSpec;
    }
  });
}
