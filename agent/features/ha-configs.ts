/**
 * What the agent announces to Home Assistant, as pure functions of the config: a `sensor` per
 * published measurement, a `switch` per output, a `binary_sensor` per input, diagnostic sensors
 * from the health report, and a `button` per output that toggles it through the command topic.
 * Then laid out as Home Assistant's MQTT discovery takes it: one retained config per entity
 * (`{prefix}/{component}/{node}/{object}/config`) or one per device (`{prefix}/device/{node}/config`
 * with every entity under `components`). Keys are Home Assistant's full option names
 * (home-assistant.io/integrations/mqtt, "Discovery messages").
 */
import type { Quantity } from '../../drivers/sensor.js';
import { BOARD_PROFILES } from '../config/boards.js';
import type { AgentConfig, MeasurementConfig, SensorConfig } from '../config/types.js';
import { sampleTopic } from '../publishing/publisher.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../template.js';
import { entityIds, type Component, type EntityIds, type EntityKey } from './ha-ids.js';
import { latestTopic } from './ha-latest.js';

export interface DiscoveryMessage {
  topic: string;
  /** The config object (JSON-encoded when published), or null to remove what the topic announced. */
  config: Record<string, unknown> | null;
}

/** One entity: its ids and its component config, without what the device shares (device, origin, availability). */
export interface Entity {
  key: EntityKey;
  ids: EntityIds;
  config: Record<string, unknown>;
}

/** Where support is found: the repository (package.json `homepage`) shown as the origin's support URL. */
export interface Origin {
  version: string;
  supportUrl?: string;
}

/** Home Assistant's device classes for what the agent measures (altitude is a distance). */
const DEVICE_CLASS: Record<Quantity, string> = {
  temperature: 'temperature',
  pressure: 'atmospheric_pressure',
  humidity: 'humidity',
  altitude: 'distance',
};

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
 * Where a measurement's entity reads its state, and how: the one place that says so. The entity
 * follows the measurement's latest-value topic (ha-latest.ts), never the measurement topic itself,
 * whose replayed backlog Home Assistant would stamp as current. A JSON payload also carries the
 * sample's time and sequence number, shown as the entity's attributes.
 */
export function measurementState(config: AgentConfig, sensor: SensorConfig, quantity: Quantity, m: MeasurementConfig): Record<string, string> {
  // With layout per-sample the sensor's one JSON object per sample holds every measurement as a
  // field (publisher.ts): the entity reads its field from the sample topic's latest value.
  const perSample = sensor.layout === 'per-sample';
  const topic = perSample
    ? sampleTopic(config.deviceId, sensor)
    : fillTemplate(m.topic, TOPIC_PLACEHOLDERS, { deviceId: config.deviceId, sensor: sensor.name, measurement: quantity }, { strict: true });
  const state_topic = latestTopic(topic);
  if (!perSample && m.format !== 'json') return { state_topic };
  return {
    state_topic,
    value_template: perSample ? `{{ value_json.${quantity} }}` : '{{ value_json.value }}',
    json_attributes_topic: state_topic,
    json_attributes_template: '{{ {"ts": value_json.ts, "seq": value_json.seq} | tojson }}',
  };
}

function entity(config: AgentConfig, component: Component, path: readonly string[], body: Record<string, unknown>): Entity {
  const key = { component, deviceId: config.deviceId, path };
  const ids = entityIds(key);
  return { key, ids, config: { ...body, unique_id: ids.uniqueId, default_entity_id: ids.defaultEntityId } };
}

function measurementEntities(config: AgentConfig, measured: (sensor: string) => readonly Quantity[] | undefined): Entity[] {
  const out: Entity[] = [];
  for (const sensor of config.sensors) {
    for (const [quantity, m] of Object.entries(sensor.measurements) as Array<[Quantity, MeasurementConfig | undefined]>) {
      if (!m?.enabled || measured(sensor.name)?.includes(quantity) === false) continue;
      const expire = expireAfterS(sensor, m, config.homeassistant.expireAfterS);
      out.push(entity(config, 'sensor', [sensor.name, quantity], {
        name: `${title(sensor.name)} ${quantity}`,
        ...measurementState(config, sensor, quantity, m),
        device_class: DEVICE_CLASS[quantity],
        state_class: 'measurement',
        unit_of_measurement: m.unit,
        suggested_display_precision: m.decimals,
        ...(expire !== undefined ? { expire_after: expire } : {}),
      }));
    }
  }
  return out;
}

const withLook = (deviceClass: string, icon: string): Record<string, string> => ({ ...(deviceClass ? { device_class: deviceClass } : {}), ...(icon ? { icon } : {}) });

function ioEntities(config: AgentConfig): Entity[] {
  const out: Entity[] = [];
  for (const output of config.outputs) {
    out.push(entity(config, 'switch', [output.name], {
      name: title(output.name),
      command_topic: output.setTopic,
      state_topic: output.stateTopic,
      payload_on: 'ON',
      payload_off: 'OFF',
      state_on: 'ON',
      state_off: 'OFF',
      optimistic: false,
      ...withLook(output.deviceClass, output.icon),
    }));
  }
  for (const input of config.inputs) {
    out.push(entity(config, 'binary_sensor', [input.name], {
      name: title(input.name),
      state_topic: input.stateTopic,
      payload_on: 'ON',
      payload_off: 'OFF',
      ...withLook(input.deviceClass, input.icon),
    }));
  }
  // A button per output that toggles it: the one JSON command with no answer to wait for that a
  // press makes sense for (commands.ts; get, list and stats answer on the response topic).
  if (config.commands.enabled) {
    for (const output of config.outputs) {
      out.push(entity(config, 'button', [output.name, 'toggle'], {
        name: `Toggle ${output.name}`,
        command_topic: config.commands.topic,
        payload_press: JSON.stringify({ cmd: 'set', output: output.name, state: 'toggle' }),
        icon: 'mdi:toggle-switch',
      }));
    }
  }
  return out;
}

/** A value of the health report (health.ts, HealthReport), by template. */
const DIAGNOSTICS: ReadonlyArray<{ field: string; name: string; template: string; extra: Record<string, unknown> }> = [
  { field: 'uptime', name: 'Uptime', template: '{{ value_json.uptimeS }}', extra: { device_class: 'duration', unit_of_measurement: 's', state_class: 'measurement' } },
  { field: 'queue', name: 'Queue depth', template: '{{ value_json.readings.buffered }}', extra: { unit_of_measurement: 'readings', state_class: 'measurement', icon: 'mdi:tray-full' } },
  {
    field: 'dropped',
    name: 'Readings dropped',
    template: '{% set d = value_json.readings.dropped %}{{ d.queueFull + d.expired + d.offline + d.refused + d.diskFull }}',
    extra: { unit_of_measurement: 'readings', state_class: 'total_increasing', icon: 'mdi:delete-alert' },
  },
  { field: 'reconnects', name: 'Reconnects', template: '{{ value_json.reconnects }}', extra: { state_class: 'total_increasing', icon: 'mdi:lan-disconnect' } },
  // Which node of a cluster the board is on (mqtt.url lists several: clusters.md).
  { field: 'server', name: 'Broker', template: "{{ value_json.server or 'none' }}", extra: { icon: 'mdi:server-network' } },
  // A state is at most 255 characters in Home Assistant.
  { field: 'last-error', name: 'Last error', template: "{{ (value_json.lastError or 'none')[:255] }}", extra: { icon: 'mdi:alert-circle-outline' } },
];

/**
 * The health report as diagnostic sensors, reading its retained JSON (so they need no messages of
 * their own). Their paths start with `health` and end in none of the quantities, so their ids never
 * meet a measurement's; a sensor's error count has one level more.
 */
function diagnosticEntities(config: AgentConfig): Entity[] {
  if (config.health.intervalS <= 0) return [];
  const common = { state_topic: config.health.topic, entity_category: 'diagnostic' };
  const out = DIAGNOSTICS.map(({ field, name, template, extra }) => entity(config, 'sensor', ['health', field], { name, ...common, value_template: template, ...extra }));
  if (config.role !== 'subscriber') {
    for (const sensor of config.sensors) {
      // The name as a JSON string is a valid Jinja string literal (its escapes are Python's).
      out.push(entity(config, 'sensor', ['health', 'errors', sensor.name], {
        name: `${title(sensor.name)} errors`,
        ...common,
        value_template: `{{ value_json.sensors[${JSON.stringify(sensor.name)}].errors }}`,
        state_class: 'total_increasing',
        icon: 'mdi:alert',
      }));
    }
  }
  return out;
}

/** Every entity the agent's configuration calls for. `measured` says what a sensor's chip really measures once known. */
export function entities(config: AgentConfig, measured: (sensor: string) => readonly Quantity[] | undefined = () => undefined): Entity[] {
  return [
    ...(config.role !== 'subscriber' ? measurementEntities(config, measured) : []),
    ...(config.role !== 'publisher' ? ioEntities(config) : []),
    ...diagnosticEntities(config),
  ];
}

/** The identifier of a board's device in Home Assistant (the same since 0.1: the sweep relies on it). */
export function deviceIdentifier(deviceId: string): string {
  return `edge-agent_${deviceId}`;
}

function device(config: AgentConfig, origin: Origin): Record<string, unknown> {
  return {
    identifiers: [deviceIdentifier(config.deviceId)],
    name: config.deviceId,
    manufacturer: 'edge-agent',
    model: BOARD_PROFILES[config.board].label,
    sw_version: origin.version,
  };
}

/** What every entity of the device shares. */
function shared(config: AgentConfig, origin: Origin): Record<string, unknown> {
  return {
    availability_topic: config.mqtt.statusTopic,
    payload_available: 'online',
    payload_not_available: 'offline',
    device: device(config, origin),
    origin: { name: 'edge-agent', sw_version: origin.version, ...(origin.supportUrl ? { support_url: origin.supportUrl } : {}) },
  };
}

export function entityTopic(prefix: string, e: Entity): string {
  return `${prefix}/${e.key.component}/${e.ids.nodeId}/${e.ids.objectId}/config`;
}

export function deviceTopic(prefix: string, nodeId: string): string {
  return `${prefix}/device/${nodeId}/config`;
}

/** The discovery messages for `list`, in the configured layout. */
export function discoveryMessages(config: AgentConfig, origin: Origin, list: readonly Entity[]): DiscoveryMessage[] {
  const { prefix, discovery } = config.homeassistant;
  const common = shared(config, origin);
  if (discovery === 'entity') return list.map((e) => ({ topic: entityTopic(prefix, e), config: { ...e.config, ...common } }));
  if (list.length === 0) return [];
  // Object ids differ between components only by the component: the key carries it.
  const components = Object.fromEntries(list.map((e) => [`${e.key.component}_${e.ids.objectId}`, { platform: e.key.component, ...e.config }]));
  return [{ topic: deviceTopic(prefix, list[0]!.ids.nodeId), config: { ...common, components } }];
}
