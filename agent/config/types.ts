/**
 * The validated configuration as the rest of the agent sees it. The convict schema
 * (`schema.ts`) is the source of truth and the documentation; this is its typed result after
 * board defaults have been applied, so nothing downstream deals with nulls meaning "default".
 */
import type { Quantity } from '../../drivers/sensor.js';

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
}

export interface SensorConfig {
  name: string;
  driver: 'bmp280';
  address: number;
  intervalMs: number;
  settings: Bmp280Settings;
  measurements: Partial<Record<Quantity, MeasurementConfig>>;
  simulation: SimulationConfig;
}

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
  /** Empty strings mean "not set" (convict defaults). */
  username: string;
  /** From EDGE_AGENT_MQTT_PASSWORD (or the JSON); masked by printableConfig. */
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

export interface AgentConfig {
  board: Board;
  role: Role;
  deviceId: string;
  i2c: { bus: number; simulated: boolean };
  mqtt: MqttConfig;
  sensors: SensorConfig[];
  subscriptions: SubscriptionConfig[];
  log: { level: LogLevel };
}
