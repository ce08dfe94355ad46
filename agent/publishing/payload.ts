/**
 * Payload formats: `plain` is the number as text (`100`), what dashboards and `mosquitto_sub`
 * users expect; `json` carries unit, time and sequence for consumers that need to detect gaps.
 */
import type { PayloadFormat } from '../config/types.js';
import type { Reading } from '../sampling/reading.js';

export function encodePayload(reading: Reading, format: PayloadFormat): string {
  if (format === 'plain') return String(reading.value);
  return JSON.stringify({
    value: reading.value,
    unit: reading.unit,
    ts: new Date(reading.ts).toISOString(),
    seq: reading.seq,
  });
}
