/**
 * Home Assistant MQTT discovery: one retained config per entity under
 * `{prefix}/{component}/{object_id}/config` — a `sensor` per published measurement, a `switch` per
 * output, a `binary_sensor` per input — so the drone's altitude, the LED and the button appear in
 * Home Assistant without YAML. Re-announced when Home Assistant says `online` on `{prefix}/status`
 * (after a short random delay, so a fleet does not answer in one burst), and removed (an empty
 * retained config) for entities that were announced before and are no longer in the config.
 *
 * The payload builders are pure; the list of what was announced is kept in the state directory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../../drivers/clock.js';
import type { Quantity } from '../../drivers/sensor.js';
import { BOARD_PROFILES } from '../config/boards.js';
import type { AgentConfig, MeasurementConfig, SensorConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Router } from '../mqtt/router.js';
import type { Feature } from './feature.js';
import type { Transport } from '../mqtt/transport.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../template.js';

export interface DiscoveryMessage {
  topic: string;
  /** The config object (JSON-encoded when published), or null to remove the entity. */
  config: Record<string, unknown> | null;
}

/** Home Assistant's device classes for what the agent measures (altitude is a distance). */
const DEVICE_CLASS: Record<Quantity, string> = {
  temperature: 'temperature',
  pressure: 'atmospheric_pressure',
  humidity: 'humidity',
  altitude: 'distance',
};

/** Object ids are one topic level, [a-zA-Z0-9_-]: the rest becomes `_`. */
function objectId(...parts: string[]): string {
  return parts.join('_').replace(/[^a-zA-Z0-9_-]/g, '_');
}

function device(config: AgentConfig, version: string): Record<string, unknown> {
  return {
    identifiers: [`edge-agent_${config.deviceId}`],
    name: config.deviceId,
    manufacturer: 'edge-agent',
    model: BOARD_PROFILES[config.board].label,
    sw_version: version,
  };
}

function common(config: AgentConfig, version: string, uniqueId: string, name: string): Record<string, unknown> {
  return {
    name,
    unique_id: uniqueId,
    availability_topic: config.mqtt.statusTopic,
    payload_available: 'online',
    payload_not_available: 'offline',
    device: device(config, version),
    origin: { name: 'edge-agent', sw_version: version },
  };
}

const title = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Seconds after which Home Assistant shows the value as unavailable if nothing new arrived: the
 * configured value, else three sample intervals (at least 30 s), stretched to twice a heartbeat;
 * none when a delta or throttle filter may hold an unchanged value back with no heartbeat.
 */
export function expireAfterS(sensor: SensorConfig, measurement: MeasurementConfig, configured: number): number | undefined {
  if (configured > 0) return configured;
  const heartbeat = measurement.filters.find((f) => f.type === 'heartbeat');
  const gated = measurement.filters.some((f) => f.type === 'delta' || f.type === 'throttle');
  if (gated && !heartbeat) return undefined;
  const base = Math.max(30, Math.ceil((3 * sensor.intervalMs) / 1000));
  return heartbeat && heartbeat.type === 'heartbeat' ? Math.max(base, Math.ceil(2 * heartbeat.seconds)) : base;
}

/**
 * Where a measurement's entity reads its state: its own topic (the number, or the json format's
 * `value`), or with layout per-sample the sensor's sample topic and its field in the JSON object.
 */
function stateOf(deviceId: string, sensor: SensorConfig, quantity: Quantity, m: MeasurementConfig): { state_topic: string; value_template?: string } {
  if (sensor.layout === 'per-sample') {
    const topic = fillTemplate(sensor.sampleTopic ?? 'sensors/{deviceId}/{sensor}', TOPIC_PLACEHOLDERS, { deviceId, sensor: sensor.name }, { strict: true });
    return { state_topic: topic, value_template: `{{ value_json.${quantity} }}` };
  }
  const topic = fillTemplate(m.topic, TOPIC_PLACEHOLDERS, { deviceId, sensor: sensor.name, measurement: quantity }, { strict: true });
  return m.format === 'json' ? { state_topic: topic, value_template: '{{ value_json.value }}' } : { state_topic: topic };
}

/**
 * Every discovery config the agent's configuration calls for. `measured` says what a sensor's chip
 * really measures once it is known (a BMP280 has no humidity, though the entry may enable it).
 */
export function discoveryMessages(config: AgentConfig, version: string, measured: (sensor: string) => readonly Quantity[] | undefined = () => undefined): DiscoveryMessage[] {
  const { prefix, expireAfterS: configuredExpiry } = config.homeassistant;
  const out: DiscoveryMessage[] = [];
  if (config.role !== 'subscriber') {
    for (const sensor of config.sensors) {
      for (const [quantity, m] of Object.entries(sensor.measurements) as Array<[Quantity, MeasurementConfig | undefined]>) {
        if (!m?.enabled || measured(sensor.name)?.includes(quantity) === false) continue;
        const id = objectId(config.deviceId, sensor.name, quantity);
        const expire = expireAfterS(sensor, m, configuredExpiry);
        out.push({
          topic: `${prefix}/sensor/${id}/config`,
          config: {
            ...common(config, version, `edge-agent_${id}`, `${title(sensor.name)} ${quantity}`),
            ...stateOf(config.deviceId, sensor, quantity, m),
            device_class: DEVICE_CLASS[quantity],
            state_class: 'measurement',
            unit_of_measurement: m.unit,
            suggested_display_precision: m.decimals,
            ...(expire !== undefined ? { expire_after: expire } : {}),
          },
        });
      }
    }
  }
  if (config.role !== 'publisher') {
    for (const output of config.outputs) {
      const id = objectId(config.deviceId, output.name);
      out.push({
        topic: `${prefix}/switch/${id}/config`,
        config: {
          ...common(config, version, `edge-agent_${id}`, title(output.name)),
          command_topic: output.setTopic,
          state_topic: output.stateTopic,
          payload_on: 'ON',
          payload_off: 'OFF',
          state_on: 'ON',
          state_off: 'OFF',
          optimistic: false,
        },
      });
    }
    for (const input of config.inputs) {
      const id = objectId(config.deviceId, input.name);
      out.push({
        topic: `${prefix}/binary_sensor/${id}/config`,
        config: {
          ...common(config, version, `edge-agent_${id}`, title(input.name)),
          state_topic: input.stateTopic,
          payload_on: 'ON',
          payload_off: 'OFF',
        },
      });
    }
  }
  return out;
}

/** The configs to remove: announced last time, not any more. */
export function removals(previous: readonly string[], current: readonly DiscoveryMessage[]): DiscoveryMessage[] {
  const now = new Set(current.map((m) => m.topic));
  return previous.filter((topic) => !now.has(topic)).map((topic) => ({ topic, config: null }));
}

export interface DiscoveryOptions {
  config: AgentConfig;
  session: Transport;
  router: Router;
  logger: Logger;
  version: string;
  /** Where the announced topics are remembered between runs. */
  stateFile: string;
  /** For the delay before answering Home Assistant's birth message. */
  clock: Clock;
  /** Delay before answering Home Assistant's birth message, ms (default: random 0.5–5 s). */
  delayMs?: () => number;
  /** What each sensor's chip measures, once it has been identified. */
  measured?: (sensor: string) => readonly Quantity[] | undefined;
}

/**
 * Built before the session connects: it listens for Home Assistant's birth message (the router
 * subscribes) and announces on every connection.
 */
export class HomeAssistantDiscovery implements Feature {
  readonly name = 'homeassistant';
  private readonly statusTopic: string;
  /** The wait before answering a birth message; a later one starts it again. */
  private birthWait: AbortController | undefined;
  private removed = false;
  announcements = 0;

  constructor(private readonly options: DiscoveryOptions) {
    this.statusTopic = `${options.config.homeassistant.prefix}/status`;
    options.router.route(this.name, [{ topic: this.statusTopic, qos: 1 }], (_topic, payload) => this.birth(payload));
    options.session.onConnect(() => void this.connected(), this.name);
  }

  /** Computed when used: sensors identified since the start count. */
  private get messages(): DiscoveryMessage[] {
    return discoveryMessages(this.options.config, this.options.version, this.options.measured);
  }

  /** Nothing to bring up: it works on connections and on Home Assistant's messages. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.birthWait?.abort();
  }

  /** Home Assistant says `online` on its status topic when it (re)starts: announce again. */
  private birth(payload: Buffer): void {
    if (payload.toString('utf8').trim() !== 'online') return;
    this.birthWait?.abort();
    const wait = new AbortController();
    this.birthWait = wait;
    const delay = this.options.delayMs?.() ?? 500 + Math.random() * 4500;
    this.options.logger.info('Home Assistant is online: announcing again', { inMs: Math.round(delay) });
    this.options.clock.sleep(delay, wait.signal).then(
      () => void this.announce(),
      () => undefined, // a later birth message, or the agent stopping
    );
  }

  /**
   * On every connection: the first time, remove what is gone; then announce. A broker restarted
   * without persistence has lost the retained configs, and announcing costs a few small messages.
   */
  async connected(): Promise<void> {
    if (!this.removed) {
      this.removed = true;
      const gone = removals(this.previous(), this.messages);
      for (const m of gone) await this.publish(m);
      if (gone.length > 0) this.options.logger.info('Home Assistant entities removed', { count: gone.length, topics: gone.map((m) => m.topic).join(' ') });
      this.remember();
    }
    await this.announce();
  }

  async announce(): Promise<void> {
    const messages = this.messages;
    for (const m of messages) await this.publish(m);
    this.announcements++;
    this.options.logger.info('Home Assistant discovery announced', { entities: messages.length, prefix: this.options.config.homeassistant.prefix });
  }

  private async publish(m: DiscoveryMessage): Promise<void> {
    const payload = m.config === null ? '' : JSON.stringify(m.config);
    await this.options.session.publish(m.topic, payload, { qos: 1, retain: true }).catch((error: unknown) =>
      this.options.logger.warn('could not publish a discovery config', { topic: m.topic, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  private previous(): string[] {
    try {
      const parsed = JSON.parse(readFileSync(this.options.stateFile, 'utf8')) as { topics?: unknown };
      return Array.isArray(parsed.topics) ? parsed.topics.filter((t): t is string => typeof t === 'string') : [];
    } catch {
      return [];
    }
  }

  private remember(): void {
    try {
      mkdirSync(dirname(this.options.stateFile), { recursive: true });
      const temp = `${this.options.stateFile}.tmp`;
      writeFileSync(temp, JSON.stringify({ topics: this.messages.map((m) => m.topic) }));
      renameSync(temp, this.options.stateFile);
    } catch (error) {
      this.options.logger.warn('could not remember the announced entities (removal next time may miss some)', { file: this.options.stateFile, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
