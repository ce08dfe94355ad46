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
    const { value, unit } = parseReading(payload);
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
