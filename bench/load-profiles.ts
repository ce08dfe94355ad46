/**
 * The two realistic loads of issue 8. The peers that carry them are in agent-peer.ts, naive-peer.ts
 * and collectd.ts; each runs as its own process so the kernel's accounting of it is its own.
 */
import type { Quantity } from '../drivers/sensor.js';

export interface LoadProfile {
  name: string;
  label: string;
  intervalMs: number;
  sensors: Quantity[][];
  /** What users run (issue 17): QoS 1, plain payloads, the disk queue on. */
  qos: 0 | 1;
  /**
   * `per-measurement`: one message per measurement (the seed's layout); `per-sample`: one JSON
   * object per sample holding all its measurements (docs/usage.md, "One message per sample").
   */
  layout: 'per-measurement' | 'per-sample';
  /**
   * A profile that is another one's load in a different layout: only the agent runs it, and its
   * figures are compared with that profile's naive loop, floor and collectd (same values, same run).
   */
  sameLoadAs?: string;
  /**
   * How the agent peer runs: `unit` is the CLI as the systemd unit starts it (unit-peer.ts);
   * `in-process` is the composition root with instant sensors, for a load no configuration file
   * may describe (20 sensors on two addresses).
   */
  agent: 'unit' | 'in-process';
}

export const PROFILES: Record<string, LoadProfile> = {
  // A BME280 (4 values) and a BMP280 (3 values) at 20 Hz: 140 values/s.
  r7x20: { name: 'r7x20', label: '7 readings × 20 Hz', intervalMs: 50, sensors: [['temperature', 'pressure', 'humidity', 'altitude'], ['temperature', 'pressure', 'altitude']], qos: 1, layout: 'per-measurement', agent: 'unit' },
  // The same 140 values/s as one message per sample (2 messages per tick instead of 7).
  r7x20s: { name: 'r7x20s', label: '7 readings × 20 Hz, one message per sample', intervalMs: 50, sensors: [['temperature', 'pressure', 'humidity', 'altitude'], ['temperature', 'pressure', 'altitude']], qos: 1, layout: 'per-sample', agent: 'unit', sameLoadAs: 'r7x20' },
  // 20 sensors of one value each at 10 Hz: 200 values/s.
  s20x10: { name: 's20x10', label: '20 sensors × 10 Hz', intervalMs: 100, sensors: Array.from({ length: 20 }, (): Quantity[] => ['temperature']), qos: 1, layout: 'per-measurement', agent: 'in-process' },
};

export function valuesPerSecond(profile: LoadProfile): number {
  return (profile.sensors.flat().length * 1000) / profile.intervalMs;
}
