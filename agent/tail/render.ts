/**
 * The `tail` screen and its plain-text form. Rendering is a pure function of the fleet and the time,
 * so a terminal snapshot is a string a test can compare.
 */
import { parseSample, type DeviceState, type Fleet, type TopicRow } from './fleet.js';

const BARS = '▁▂▃▄▅▆▇█';

/** Recent values as a row of bars scaled between their own min and max. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return BARS[3]!.repeat(values.length);
  return values.map((v) => BARS[Math.round(((v - min) / (max - min)) * (BARS.length - 1))]).join('');
}

/** "3s", "2m", "1h": how long ago, short enough for a column. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function formatValue(row: TopicRow): string {
  const value = typeof row.value === 'number' ? String(row.value) : row.value;
  return row.unit ? `${value} ${row.unit}` : value;
}

function fit(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text + ' '.repeat(width - chars.length);
}

function deviceLine(d: DeviceState, now: number): string {
  const status = d.status ?? '?';
  const parts = [`${fit(d.deviceId, 16)} ${fit(status, 8)}`];
  const h = d.health;
  if (h) {
    const dropped = h.readings.dropped.queueFull + h.readings.dropped.expired + h.readings.dropped.offline;
    parts.push(`up ${age(h.uptimeS * 1000)}`, `readings ${h.readings.taken}`, `acked ${h.readings.acknowledged}`, `queued ${h.readings.buffered}`);
    if (dropped > 0) parts.push(`dropped ${dropped}`);
    parts.push(`reconnects ${h.reconnects}`);
    const errors = Object.entries(h.sensors).filter(([, s]) => s.errors > 0);
    for (const [name, s] of errors) parts.push(`${name} errors ${s.errors}`);
    if (d.healthAt !== undefined) parts.push(`(health ${age(now - d.healthAt)} ago)`);
  }
  return parts.join('  ');
}

/** The full screen: readings first (one row per topic), then the agents seen. */
export function renderScreen(fleet: Fleet, now: number, filter: string, broker: string, width = 100): string[] {
  const lines = [fit(`edge-agent tail  ${broker}  ${filter}  (${fleet.rows.size} topics, Ctrl-C to quit)`, width).trimEnd(), ''];
  const topicWidth = Math.min(40, Math.max(5, ...[...fleet.rows.keys()].map((t) => [...t].length)));
  lines.push(`${fit('TOPIC', topicWidth)}  ${fit('VALUE', 14)}  ${fit('AGE', 5)}  RECENT`);
  for (const row of [...fleet.rows.values()].sort((a, b) => a.topic.localeCompare(b.topic))) {
    const ageText = `${age(now - row.at)}${row.retained ? 'r' : ''}`;
    lines.push(`${fit(row.topic, topicWidth)}  ${fit(formatValue(row), 14)}  ${fit(ageText, 5)}  ${sparkline(row.history)}`.trimEnd());
  }
  if (fleet.devices.size > 0) {
    lines.push('', 'AGENTS');
    for (const d of [...fleet.devices.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId))) lines.push(deviceLine(d, now));
  }
  return lines.map((l) => fit(l, width).trimEnd());
}

/** One line per message, for pipes and logs (stdout not a terminal). */
export function plainLine(topic: string, payload: string, at: number, fleet: Fleet): string {
  const time = new Date(at).toISOString();
  const sample = parseSample(payload);
  if (sample) return `${time} ${topic} ${sample.fields.map(([name, value]) => `${name}=${value}`).join(' ')} seq=${sample.seq}`;
  const row = fleet.rows.get(topic);
  if (row && row.at === at) return `${time} ${topic} ${formatValue(row)}`;
  return `${time} ${topic} ${payload.replace(/[\r\n]+/g, ' ')}`;
}
