/**
 * The typed configuration of subscriber mode (outputs, inputs, rules, commands), as resolved by the
 * loader: topic templates are filled for the device, pins are the names the user wrote.
 */
import type { Qos } from './types.js';

export type OutputState = 'on' | 'off';
export type EdgeName = 'rising' | 'falling' | 'both';

export interface OutputConfig {
  name: string;
  /** As the user writes it for the board: "17" (Pi BCM), "P8_13" (BeagleBone Black), "25" (Udoo Neo). */
  pin: string;
  activeLow: boolean;
  /** The safe state: driven as the pin is claimed at start, and again on shutdown. */
  initial: OutputState;
  /** Where the state is published (retained) after each change; resolved. */
  stateTopic: string;
  /** Where ON / OFF / TOGGLE / {"state","ms"} commands are taken; resolved. */
  setTopic: string;
  /** Home Assistant's switch device class ('' = none). */
  deviceClass: string;
  /** Home Assistant's icon, mdi:name ('' = the device class's). */
  icon: string;
}

export interface InputConfig {
  name: string;
  pin: string;
  activeLow: boolean;
  debounceMs: number;
  edge: EdgeName;
  /** Retained ON / OFF after each debounced change; resolved. */
  stateTopic: string;
  /** One message per reported edge: "rising" / "falling" (not retained); resolved. */
  edgeTopic: string;
  /** Home Assistant's binary_sensor device class ('' = none): door shows Open/Closed. */
  deviceClass: string;
  /** Home Assistant's icon, mdi:name ('' = the device class's). */
  icon: string;
}

/**
 * At most one comparison is set. `above`/`atLeast` turn the condition true at the threshold and
 * false only once the value is below threshold − hysteresis; `below`/`atMost` mirror that.
 */
export interface ConditionConfig {
  /** Dotted path into a JSON payload ("value", "reading.ft"); null = the payload is the value. */
  field: string | null;
  above: number | null;
  atLeast: number | null;
  below: number | null;
  atMost: number | null;
  equals: string | number | null;
  hysteresis: number;
}

export type OutputAction = 'on' | 'off' | 'toggle' | 'pulse';

export type ActionConfig =
  | { type: 'output'; output: string; state: OutputAction; ms: number | null }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'publish'; topic: string; payload: string; qos: Qos; retain: boolean };

export interface RuleConfig {
  name: string;
  /** Topic filter (+, #, $share/group/...). */
  topic: string;
  qos: Qos;
  /** null: every message on the topic runs `actions`. */
  condition: ConditionConfig | null;
  /** Run when the condition becomes true (or on every message without a condition). */
  actions: ActionConfig[];
  /** Run when the condition becomes false. */
  elseActions: ActionConfig[];
}

export interface CommandsConfig {
  enabled: boolean;
  /** Resolved: devices/bbb01/commands. */
  topic: string;
  responseTopic: string;
}
