/**
 * The validated configuration as the rest of the agent sees it. The convict schema
 * (`schema.ts`) is the source of truth and the documentation; this is its typed result after
 * board defaults have been applied, so nothing downstream deals with nulls meaning "default".
 */
import type { Quantity } from '../../drivers/sensor.js';
import type { FilterSpec } from '../sampling/filters.js';
import type { CommandsConfig, InputConfig, OutputConfig, RuleConfig } from './subscriber-types.js';

export type Board = 'raspberry-pi' | 'beaglebone-black' | 'udoo-neo' | 'generic';
export type Role = 'publisher' | 'subscriber' | 'both';
export type Qos = 0 | 1 | 2;
export type PayloadFormat = 'plain' | 'json';
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

export type Bmp280Mode = 'forced' | 'normal';
export type OversamplingName = 'skip' | 'x1' | 'x2' | 'x4' | 'x8' | 'x16';
export type FilterName = 'off' | 'x2' | 'x4' | 'x8' | 'x16';
/** Normal-mode standby between conversions, in ms as the datasheet names them. */
export type StandbyMs = 0.5 | 10 | 20 | 62.5 | 125 | 250 | 500 | 1000 | 2000 | 4000;

export interface Bmp280Settings {
  mode: Bmp280Mode;
  oversampling: { temperature: OversamplingName; pressure: OversamplingName; humidity: OversamplingName };
  filter: FilterName;
  standbyMs: StandbyMs;
  /** Sea-level reference pressure (QNH) for altitude, Pa. */
  seaLevelPa: number;
}

/** Calibration words as the datasheet names them (dig_T1 … dig_H6). */
export type CalibrationWords = Record<string, number>;

export interface SimulationConfig {
  chip: 'bmp280' | 'bme280';
  /**
   * `flight`: the classic drone profile (ground, climb to hoverFt, hover, land), repeating.
   * `static`: constant conditions. `raw`: the ADC values in `raw`, replayed as they are.
   */
  scenario: 'flight' | 'static' | 'raw';
  groundAltitudeM: number;
  hoverFt: number;
  /** Length of one flight cycle, seconds. */
  cycleS: number;
  temperatureC: number;
  humidityPct: number;
  /** Overrides of the simulated chip's calibration NVM (default: a real chip's words). */
  calibration: CalibrationWords;
  raw: { adcT: number; adcP: number; adcH: number } | null;
  /**
   * Share (0–1) of this chip's I2C transactions that fail with EIO, from a fixed seed. Always set by
   * the loader; optional so a config built by hand (tests) need not spell it (absent = 0).
   */
  faultRate?: number;
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
}

/**
 * `simulation` of the chips other than the BMP280: the shared flight/static scenarios (no `raw`:
 * raw counts are chip-specific) and, where a driver handles several chips, which one to simulate.
 */
export interface ChipSimulationConfig<Chip extends string> {
  chip: Chip;
  scenario: 'flight' | 'static';
  groundAltitudeM: number;
  hoverFt: number;
  cycleS: number;
  temperatureC: number;
  /** Share (0–1) of this chip's I2C transactions that fail with EIO (seeded); absent = 0. */
  faultRate?: number;
}

export type Bmp388Oversampling = 'x1' | 'x2' | 'x4' | 'x8' | 'x16' | 'x32';
/** IIR coefficients as the BMP3 API names them (0, 1, 3, 7 … 127). */
export type Bmp388Filter = 'off' | 'c1' | 'c3' | 'c7' | 'c15' | 'c31' | 'c63' | 'c127';
export interface Bmp388Settings {
  oversampling: { temperature: Bmp388Oversampling; pressure: Bmp388Oversampling };
  filter: Bmp388Filter;
  seaLevelPa: number;
}

export type Ms5611Osr = 256 | 512 | 1024 | 2048 | 4096;
export interface Ms5611Settings {
  /** Oversampling ratio of both conversions (D1 and D2). */
  osr: Ms5611Osr;
  seaLevelPa: number;
}

/** BMP180 oss 0–3: ultra low power, standard, high, ultra high resolution. */
export type Bmp180Oversampling = 'x1' | 'x2' | 'x4' | 'x8';
export interface Bmp180Settings {
  oversampling: Bmp180Oversampling;
  seaLevelPa: number;
}

export type Mpl3115a2Mode = 'barometer' | 'altimeter';
export type Mpl3115a2Oversampling = 'x1' | 'x2' | 'x4' | 'x8' | 'x16' | 'x32' | 'x64' | 'x128';
export interface Mpl3115a2Settings {
  mode: Mpl3115a2Mode;
  oversampling: Mpl3115a2Oversampling;
  /** Sea-level pressure, Pa: for our altitude in barometer mode, written to BAR_IN in altimeter mode. */
  seaLevelPa: number;
}

export interface Bmp280SensorConfig extends SensorCommon {
  driver: 'bmp280';
  settings: Bmp280Settings;
  simulation: SimulationConfig;
}
export interface Bmp388SensorConfig extends SensorCommon {
  driver: 'bmp388';
  settings: Bmp388Settings;
  simulation: ChipSimulationConfig<'bmp388' | 'bmp390'>;
}
export interface Ms5611SensorConfig extends SensorCommon {
  driver: 'ms5611';
  settings: Ms5611Settings;
  simulation: ChipSimulationConfig<'ms5611'>;
}
export interface Bmp180SensorConfig extends SensorCommon {
  driver: 'bmp180';
  settings: Bmp180Settings;
  simulation: ChipSimulationConfig<'bmp180'>;
}
export interface Mpl3115a2SensorConfig extends SensorCommon {
  driver: 'mpl3115a2';
  settings: Mpl3115a2Settings;
  simulation: ChipSimulationConfig<'mpl3115a2'>;
}

/** One sensor entry: a union on `driver`, each driver with its own settings. */
export type SensorConfig = Bmp280SensorConfig | Bmp388SensorConfig | Ms5611SensorConfig | Bmp180SensorConfig | Mpl3115a2SensorConfig;
export type DriverName = SensorConfig['driver'];

export interface SubscriptionConfig {
  topic: string;
  qos: Qos;
}

export interface MqttConfig {
  url: string;
  clientId: string;
  keepaliveS: number;
  clean: boolean;
  protocolVersion: 4 | 5;
  statusTopic: string;
  connectTimeoutMs: number;
  reconnectPeriodMs: number;
  /** MQTT 5 only: how long the broker keeps a persistent session (clean false) after a disconnect. */
  sessionExpiryS: number;
  reconnectMaxMs: number;
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
