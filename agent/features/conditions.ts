/**
 * Rule conditions, pure: take the value out of a payload, then decide the condition's new state
 * from the value and the previous state. Hysteresis is the previous state's job: once true, an
 * `atLeast: 100, hysteresis: 5` condition stays true down to 95 and turns false only below it, so a
 * drone hovering at 99–101 ft does not flick the LED on and off with every reading.
 */
import type { ConditionConfig } from '../config/subscriber-types.js';
import { quoteLogText } from '../log/logger.js';

export type ExtractResult = { value: number | string } | { reason: 'malformed' | 'wrong-type'; detail: string };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Untrusted text, bounded and quoted with every control character escaped (agent/log/logger.ts). */
const preview = (text: string): string => (text.length > 40 ? `${quoteLogText(text.slice(0, 40))}…` : quoteLogText(text));

/** What kind of JSON value this is, in words: never the value itself, which may be anything. */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'string') return 'text';
  return typeof value === 'number' ? 'a number' : 'missing';
}

/** Does this condition compare numbers (all but `equals` with a string)? */
export function isNumeric(condition: ConditionConfig): boolean {
  return condition.equals === null || typeof condition.equals === 'number';
}

/** The value a condition looks at: the payload itself, or a field of a JSON payload. */
export function extractValue(condition: ConditionConfig | null, payload: string): ExtractResult {
  if (condition === null) return { value: payload };
  let raw: unknown = payload.trim();
  if (condition.field !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return { reason: 'malformed', detail: `payload ${preview(payload)} is not JSON, and field '${condition.field}' is read from JSON` };
    }
    raw = parsed;
    for (const key of condition.field.split('.')) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.prototype.hasOwnProperty.call(raw, key)) {
        return { reason: 'wrong-type', detail: `payload has no field '${condition.field}'` };
      }
      raw = (raw as Record<string, unknown>)[key];
    }
  }
  if (isNumeric(condition)) {
    // Text that looks like a number may still not be one a condition can compare: 1e309 parses to
    // Infinity (as it does inside JSON), which would pass `atLeast` and reach templates as
    // "Infinity", not JSON. Only finite numbers are values.
    const number = typeof raw === 'number' ? raw : typeof raw === 'string' && condition.field === null && NUMBER.test(raw) ? Number(raw) : undefined;
    if (number !== undefined && Number.isFinite(number)) return { value: number };
    if (condition.field === null) return { reason: 'wrong-type', detail: `payload ${preview(String(raw))} is not ${number === undefined ? 'a number' : 'a finite number'}` };
    if (typeof raw === 'string') return { reason: 'wrong-type', detail: `field '${condition.field}' ${preview(raw)} is not a number` };
    return { reason: 'wrong-type', detail: `field '${condition.field}' is ${number === undefined ? describeJson(raw) : 'a number out of range'}, not a finite number` };
  }
  if (typeof raw === 'string' || typeof raw === 'boolean') return { value: String(raw) };
  // Compared as text, a number must still be one: JSON's 1e309 is Infinity.
  if (typeof raw === 'number' && Number.isFinite(raw)) return { value: String(raw) };
  return { reason: 'wrong-type', detail: `field '${condition.field}' is ${typeof raw === 'number' ? 'a number out of range' : describeJson(raw)}, not text` };
}

/** The condition's state after `value`, given its state before (undefined: no value seen yet). */
export function nextState(condition: ConditionConfig, value: number | string, previous: boolean | undefined): boolean {
  const { hysteresis: h } = condition;
  const held = previous === true;
  if (condition.equals !== null) return typeof condition.equals === 'number' ? value === condition.equals : String(value) === condition.equals;
  if (typeof value !== 'number') return false;
  if (condition.above !== null) return value > condition.above || (held && value >= condition.above - h);
  if (condition.atLeast !== null) return value >= condition.atLeast || (held && value >= condition.atLeast - h);
  if (condition.below !== null) return value < condition.below || (held && value <= condition.below + h);
  if (condition.atMost !== null) return value <= condition.atMost || (held && value <= condition.atMost + h);
  return true;
}
