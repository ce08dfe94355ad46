/**
 * Agent configurations for the benchmark, validated by the real loader. The loader (rightly) allows
 * two BMP280s per bus; the 20-sensor load clones one validated sensor entry under 20 names, which
 * is what a board with several buses or muxes would hand the agent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../agent/config/load-config.js';
import type { AgentConfig, SensorConfig } from '../agent/config/types.js';
import type { Quantity } from '../drivers/sensor.js';

export interface BenchConfigOptions {
  deviceId: string;
  url: string;
  intervalMs: number;
  /** Quantities per sensor, one entry per sensor. */
  sensors: Quantity[][];
  qos: 0 | 1;
  queue: boolean;
  /**
   * How a sample's measurements become messages: one per measurement (the seed's layout, the
   * default) or one JSON object per sample (`layout: "per-sample"`).
   */
  layout?: 'per-measurement' | 'per-sample';
  /** queue.dir; a new temporary directory if not given. */
  queueDir?: string;
  format?: 'plain' | 'json';
  window?: number;
  role?: 'publisher' | 'subscriber';
  subscriptions?: Array<{ topic: string; qos: 0 | 1 }>;
}

const ALL: Quantity[] = ['temperature', 'pressure', 'humidity', 'altitude'];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `edge-agent-bench-${prefix}-`));
}

function sensorEntry(name: string, quantities: Quantity[], options: BenchConfigOptions, address: string): Record<string, unknown> {
  const perSample = options.layout === 'per-sample';
  // Per sample, a measurement's format and topic are refused: the sensor's sampleTopic carries it.
  const enabled = perSample ? { qos: options.qos } : { qos: options.qos, format: options.format ?? 'plain', topic: 'bench/{deviceId}/{sensor}/{measurement}' };
  const measurements = Object.fromEntries(ALL.map((q) => [q, quantities.includes(q) ? enabled : { enabled: false }]));
  const layout = perSample ? { layout: 'per-sample', sampleTopic: 'bench/{deviceId}/{sensor}' } : {};
  // Normal mode: no forced conversion to fit in the interval (the InstantSensor does not convert anyway).
  return { name, address, intervalMs: options.intervalMs, ...layout, settings: { mode: 'normal' }, measurements, simulation: { chip: quantities.includes('humidity') ? 'bme280' : 'bmp280' } };
}

/** The configuration file's content (what `edge-agent run --config` reads), before loading. */
export function benchRawConfig(options: BenchConfigOptions): Record<string, unknown> {
  const role = options.role ?? 'publisher';
  const first = options.sensors.slice(0, 2);
  const raw = {
    deviceId: options.deviceId,
    role,
    i2c: { simulated: true },
    mqtt: { url: options.url, reconnectPeriodMs: 200, reconnectMaxMs: 1000 },
    queue: { enabled: options.queue, dir: options.queueDir ?? tempDir(options.deviceId), window: options.window ?? 100 },
    health: { intervalS: 0 },
    log: { level: 'warn' },
    sensors: role === 'subscriber' ? [] : first.map((q, i) => sensorEntry(`s${i}`, q, options, i === 0 ? '0x76' : '0x77')),
    subscriptions: options.subscriptions ?? [],
  };
  return raw;
}

export function benchConfig(options: BenchConfigOptions): AgentConfig {
  const raw = benchRawConfig(options);
  const config = loadConfig({ text: JSON.stringify(raw), file: `bench:${options.deviceId}` });
  if (options.sensors.length > 2) {
    const template = config.sensors[0]! as SensorConfig;
    config.sensors = options.sensors.map((_, i) => ({ ...template, name: `s${i}` }));
  }
  return config;
}
