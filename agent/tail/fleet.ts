/**
 * What `edge-agent tail` knows about a fleet, built from the messages it sees: one row per reading
 * topic (last value, unit, when, recent values), and per device its status and last health report.
 * Pure: messages and times come in as arguments, so the view is tested from recorded messages.
 */
import type { HealthReport } from '../features/health.js';

const HISTORY = 24;
const SHOWN_BYTES = 40;

export interface TopicRow {
  topic: string;
  /** The value as shown: a number when the payload had one, else the (bounded) text. */
  value: number | string;
  unit: string;
  /** When the last message arrived, epoch ms (tail's own clock: retained messages are old news). */
  at: number;
  retained: boolean;
  /** Recent numeric values, oldest first. */
  history: number[];
}

export interface DeviceState {
  deviceId: string;
  status: string | undefined;
  statusAt: number | undefined;
  health: HealthReport | undefined;
  healthAt: number | undefined;
}

/** The agent's conventions: `…/{deviceId}/status` and `…/{deviceId}/health` (README, Topics). */
function deviceTopic(topic: string): { deviceId: string; kind: 'status' | 'health' } | undefined {
  const levels = topic.split('/');
  const kind = levels.at(-1);
  if ((kind !== 'status' && kind !== 'health') || levels.length < 2) return undefined;
  return { deviceId: levels.at(-2)!, kind };
}

/** A payload as the agent publishes it: `plain` ("100") or `json` ({"value":100,"unit":"ft",…}). */
export function parseReading(payload: string): { value: number | string; unit: string } {
  const trimmed = payload.trim();
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return { value: Number(trimmed), unit: '' };
  if (trimmed.startsWith('{')) {
    try {
      const body = JSON.parse(trimmed) as { value?: unknown; unit?: unknown };
      if (typeof body.value === 'number') return { value: body.value, unit: typeof body.unit === 'string' ? body.unit : '' };
    } catch {
      // not JSON after all: shown as text
    }
  }
  const text = payload.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return { value: text.length > SHOWN_BYTES ? `${text.slice(0, SHOWN_BYTES)}…` : text, unit: '' };
}

/** A per-sample message's measurement names: short words, nothing a terminal would act on. */
const FIELD = /^[A-Za-z][\w-]{0,31}$/;
/** More fields than any sensor has is not one of ours: shown as text, not as rows. */
const MAX_FIELDS = 16;

/**
 * A message of a sensor with layout per-sample, `{"ts":…,"seq":7,"temperature":21.5,…}`: its
 * measurements as [name, value] in order, with its number; undefined when the payload is not one
 * (then it is shown as any other). Only an object with a numeric `seq`, no `value`, and finite
 * numbers under short names qualifies, so a stranger's JSON cannot flood the screen with rows.
 */
export function parseSample(payload: string): { seq: number; fields: Array<[string, number]> } | undefined {
  const trimmed = payload.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const entries = Object.entries(body);
  const { seq } = body as { seq?: unknown };
  if (typeof seq !== 'number' || Object.prototype.hasOwnProperty.call(body, 'value') || entries.length > MAX_FIELDS + 2) return undefined;
  const fields: Array<[string, number]> = [];
  for (const [name, value] of entries) {
    if (name === 'ts' || name === 'seq') continue;
    if (!FIELD.test(name) || typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    fields.push([name, value]);
  }
  return fields.length > 0 ? { seq, fields } : undefined;
}

export class Fleet {
  readonly rows = new Map<string, TopicRow>();
  readonly devices = new Map<string, DeviceState>();
  /** Unit per topic learnt from JSON payloads, so plain payloads on the same topic keep it. */
  private readonly units = new Map<string, string>();

  ingest(topic: string, payload: string, at: number, retained = false): void {
    const device = deviceTopic(topic);
    if (device) {
      const state = this.device(device.deviceId);
      if (device.kind === 'status') {
        state.status = payload.trim() || '(cleared)';
        state.statusAt = at;
      } else {
        try {
          state.health = JSON.parse(payload) as HealthReport;
          state.healthAt = at;
        } catch {
          // a health topic that is not JSON is not ours; ignore it rather than show garbage
        }
      }
      return;
    }
    const sample = parseSample(payload);
    if (sample) {
      // One row per measurement of the sample, named "topic field", each with its own history.
      for (const [name, value] of sample.fields) this.update(`${topic} ${name}`, value, '', at, retained);
      return;
    }
    const { value, unit } = parseReading(payload);
    this.update(topic, value, unit, at, retained);
  }

  private update(topic: string, value: number | string, unit: string, at: number, retained: boolean): void {
    if (unit) this.units.set(topic, unit);
    const row = this.rows.get(topic) ?? { topic, value, unit: '', at, retained, history: [] };
    row.value = value;
    row.unit = unit || this.units.get(topic) || '';
    row.at = at;
    row.retained = retained;
    if (typeof value === 'number') {
      row.history.push(value);
      if (row.history.length > HISTORY) row.history.shift();
    }
    this.rows.set(topic, row);
  }

  private device(deviceId: string): DeviceState {
    let state = this.devices.get(deviceId);
    if (!state) {
      state = { deviceId, status: undefined, statusAt: undefined, health: undefined, healthAt: undefined };
      this.devices.set(deviceId, state);
    }
    return state;
  }
}
