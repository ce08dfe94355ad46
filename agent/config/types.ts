/**
 * The validated configuration as the rest of the agent sees it. The convict schema
 * (`schema.ts`) is the source of truth and the documentation; this is its typed result after
 * board defaults have been applied, so nothing downstream deals with nulls meaning "default".
 */
import type { DriverName, SettingsOf, SimulationOf } from '../../drivers/registry.js';
import type { Quantity } from '../../drivers/sensor.js';
import type { FilterSpec } from '../sampling/filters.js';
import type { CommandsConfig, InputConfig, OutputConfig, RuleConfig } from './subscriber-types.js';

export type Board = 'raspberry-pi' | 'beaglebone-black' | 'udoo-neo' | 'generic';
export type Role = 'publisher' | 'subscriber' | 'both';
export type Qos = 0 | 1 | 2;
export type PayloadFormat = 'plain' | 'json';
/**
 * How a sensor's readings become messages: one per reading, on each measurement's topic in its
 * format (`per-measurement`), or one JSON object per sample on the sensor's `sampleTopic`
 * (`per-sample`: agent/publishing/encoders.ts SAMPLE_ENCODER).
 */
export type SampleLayout = 'per-measurement' | 'per-sample';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export type TemperatureUnit = '°C' | '°F';
export type PressureUnit = 'Pa' | 'hPa';
export type AltitudeUnit = 'm' | 'ft';
export type HumidityUnit = '%';
export type Unit = TemperatureUnit | PressureUnit | AltitudeUnit | HumidityUnit;

export interface MeasurementConfig {
  /** Publish this quantity at all. */
  enabled: boolean;
  unit: Unit;
  /** Decimal places after conversion. */
  decimals: number;
  format: PayloadFormat;
  qos: Qos;
  retain: boolean;
  /** Topic template for this quantity; placeholders {deviceId}, {sensor}, {measurement}. */
  topic: string;
  /** Applied in order before rounding (agent/sampling/filters.ts); empty = publish every reading as read. */
  filters: FilterSpec[];
}

/** What the agent does when a sensor fails (agent/sampling/sampler.ts, agent/sampling/sensor-guard.ts). */
export interface FaultConfig {
  /** Attempts per reading on a transient I2C error, the first included (1 = no retry). */
  readAttempts: number;
  /** Consecutive failed readings after which the sensor is re-initialised. */
  reinitAfter: number;
}

/** The settings every sensor entry has, whatever its driver. */
interface SensorCommon {
  name: string;
  address: number;
  intervalMs: number;
  /** Always set by the loader; optional so a config built by hand need not spell it (absent = the schema defaults). */
  faults?: FaultConfig;
  measurements: Partial<Record<Quantity, MeasurementConfig>>;
  /** Always set by the loader; optional so a config built by hand need not spell it (absent = per-measurement). */
  layout?: SampleLayout;
  /** The topic of the sample message with layout per-sample; placeholders {deviceId}, {sensor}. */
  sampleTopic?: string;
}

/**
 * The agent's own key in every `simulation`: the share (0–1) of the simulated chip's I2C
 * transactions that fail with EIO, from a fixed seed. Always set by the loader; optional so a
 * config built by hand (tests) need not spell it (absent = 0).
 */
export interface SimulationFaults {
  faultRate?: number;
}

/**
 * One sensor entry: a union on `driver`, each driver with the `settings` and `simulation` its
 * description declares (drivers/registry.ts). A new driver extends this union by being registered.
 */
export type SensorConfig = {
  [D in DriverName]: SensorCommon & { driver: D; settings: SettingsOf<D>; simulation: SimulationOf<D> & SimulationFaults };
}[DriverName];
export type { DriverName };

export interface SubscriptionConfig {
  topic: string;
  qos: Qos;
  /**
   * Nice to have, not needed for what the user configured (Home Assistant's removal sweep when Home
   * Assistant is off): a broker's ACL refusing it is logged at info, not as an error.
   */
  optional?: boolean;
}

export interface MqttConfig {
  /**
   * One broker URL, or a cluster's nodes separated by commas (brokerUrls in formats.ts splits it;
   * the session goes round them: agent/mqtt/server-list.ts).
   */
  url: string;
  clientId: string;
  keepaliveS: number;
  clean: boolean;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5, auto = 5 unless the broker refuses it, then 3.1.1 (per server). */
  protocolVersion: 4 | 5 | 'auto';
  statusTopic: string;
  connectTimeoutMs: number;
  reconnectPeriodMs: number;
  /** MQTT 5 only: how long the broker keeps a persistent session (clean false) after a disconnect. */
  sessionExpiryS: number;
  reconnectMaxMs: number;
  /** The first reconnect is random over this window (and each later one over a doubled window). */
  reconnectSpreadMs: number;
  /** Empty strings mean "not set" (convict defaults). */
  username: string;
  /** From EDGE_AGENT_MQTT_PASSWORD (or the JSON); never logged (the URL is shown through redactUrl). */
  password: string;
  passwordFile: string;
  tls: MqttTlsConfig;
}

export interface MqttTlsConfig {
  /** PEM file paths; empty = not set. */
  ca: string;
  cert: string;
  key: string;
  insecureSkipVerify: boolean;
}

export interface QueueConfig {
  enabled: boolean;
  /** Resolved: never empty after loading. */
  dir: string;
  sync: 'always' | 'interval';
  syncIntervalMs: number;
  maxBytes: number;
  segmentBytes: number;
  maxAgeS: number;
  window: number;
  qos0: 'buffer' | 'drop';
}

export interface HomeAssistantConfig {
  enabled: boolean;
  prefix: string;
  /** 0 = derived per measurement (agent/features/discovery.ts). */
  expireAfterS: number;
  /** One retained config per entity, or one per device with every entity in it. */
  discovery: 'entity' | 'device';
  /** A measurement's newest value goes to Home Assistant's state topic after a reconnection only if younger than this, s. */
  latestMaxAgeS: number;
}

export interface HealthConfig {
  intervalS: number;
  /** Resolved for the device. */
  topic: string;
}

export interface AgentConfig {
  board: Board;
  role: Role;
  deviceId: string;
  i2c: { bus: number; simulated: boolean };
  mqtt: MqttConfig;
  sensors: SensorConfig[];
  subscriptions: SubscriptionConfig[];
  queue: QueueConfig;
  health: HealthConfig;
  homeassistant: HomeAssistantConfig;
  log: { level: LogLevel };
  // Subscriber mode (agent/features/outputs.ts, inputs.ts, rules.ts, commands.ts): see subscriber-types.ts.
  gpio: { simulated: boolean };
  outputs: OutputConfig[];
  inputs: InputConfig[];
  rules: RuleConfig[];
  commands: CommandsConfig;
  messages: { maxBytes: number };
}

export type { ActionConfig, CommandsConfig, ConditionConfig, InputConfig, OutputConfig, OutputState, RuleConfig } from './subscriber-types.js';
