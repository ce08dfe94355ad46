/**
 * The convict schema: the single source of truth for every setting, and the documentation
 * (`describe.ts` renders it into the README). The top level, ONE sensor entry per driver (each
 * element of `sensors`, built from the driver registry in sensor-schema.ts), ONE subscription,
 * output, input and rule entry. Every key has `doc`, `format`, `default`, and `env` where an
 * environment variable makes sense (not inside array entries). A `null` default means "required"
 * unless the key is `nullable` (then null means "resolve it", e.g. board default).
 */
import type { ConfigProblem } from './config-error.js';
import { BROKER_AUTH_RULE } from './broker-auth-rule.js';
import { FORMATS, topicLengthProblem, type ConfigFormat, type FormatName, type KeyFormat } from './formats.js';
import { eachSensor, QUANTITIES, SENSOR_RULES } from './sensor-schema.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../template.js';
import type { Board, CommandsConfig, HealthConfig, HomeAssistantConfig, LogLevel, MqttConfig, QueueConfig, Role, SensorConfig } from './types.js';

export { DEFAULT_DECIMALS, DEFAULT_UNIT, DRIVER_FORMATS, DRIVER_SCHEMAS, QUANTITIES, SENSOR_SCHEMA, sensorSchemaFor } from './sensor-schema.js';

export interface SchemaLeaf {
  doc: string;
  /** A shared format by name, or one made for this key alone (a driver's option). */
  format: FormatName | KeyFormat;
  default: unknown;
  env?: string;
  nullable?: boolean;
  sensitive?: boolean;
}
export interface SchemaNode {
  [key: string]: SchemaLeaf | SchemaNode;
}

export function isLeaf(entry: SchemaLeaf | SchemaNode): entry is SchemaLeaf {
  return Object.prototype.hasOwnProperty.call(entry, 'default');
}

/** The format that checks a key's values. */
export function formatOf(leaf: SchemaLeaf): ConfigFormat {
  return typeof leaf.format === 'string' ? FORMATS[leaf.format] : leaf.format;
}

const ENV = 'EDGE_AGENT_';

export const AGENT_SCHEMA = {
  board: { doc: 'Board model; sets the default I2C bus.', format: 'board', default: 'generic', env: `${ENV}BOARD` },
  role: {
    doc: 'publisher reads sensors and publishes; subscriber subscribes; both does both.',
    format: 'role',
    default: 'publisher',
    env: `${ENV}ROLE`,
  },
  deviceId: {
    doc: 'This board\'s name in topics ({deviceId}) and the client id. Required.',
    format: 'device-id',
    default: null,
    env: `${ENV}DEVICE_ID`,
  },
  i2c: {
    bus: {
      doc: 'N of /dev/i2c-N; null = the board\'s default (Raspberry Pi 1, BeagleBone Black 2, Udoo Neo 1, generic 1).',
      format: 'i2c-bus',
      default: null,
      nullable: true,
      env: `${ENV}I2C_BUS`,
    },
    simulated: {
      doc: 'Use simulated chips (each sensor\'s `simulation`) instead of /dev/i2c-N.',
      format: 'flag',
      default: false,
      env: `${ENV}I2C_SIMULATED`,
    },
  },
  mqtt: {
    url: {
      doc: 'Broker URL; credentials may be given as mqtt://user:password@host (kept out of logs). A cluster: its nodes\' URLs separated by commas (or a JSON array), all with the same TLS and credentials; on a failure the next one is tried (docs/clusters.md).',
      format: 'mqtt-url',
      default: 'mqtt://localhost:1883',
      env: `${ENV}MQTT_URL`,
      sensitive: true,
    },
    clientId: {
      doc: 'MQTT client id; empty = edge-agent-{deviceId}. {deviceId} is replaced.',
      format: 'mqtt-client-id',
      default: '',
      env: `${ENV}MQTT_CLIENT_ID`,
    },
    keepaliveS: { doc: 'Keepalive interval, seconds (0 = off).', format: 'keepalive-s', default: 60, env: `${ENV}MQTT_KEEPALIVE_S` },
    clean: {
      doc: 'Start a clean session (no queued messages from before); null = true for a publisher, false for subscriber and both (a persistent session: QoS 1 messages sent while the board was off arrive when it returns).',
      format: 'flag',
      default: null,
      nullable: true,
      env: `${ENV}MQTT_CLEAN`,
    },
    sessionExpiryS: {
      doc: 'MQTT 5 only: how long the broker keeps a persistent session after a disconnect, s (MQTT 5 ends it at once unless this is set).',
      format: 'session-expiry-s',
      default: 86400,
      env: `${ENV}MQTT_SESSION_EXPIRY_S`,
    },
    protocolVersion: {
      doc: 'MQTT protocol: 4 = 3.1.1, 5 = MQTT 5, "auto" = MQTT 5 unless a server refuses it, then 3.1.1 for that server (the `connected` log line says which).',
      format: 'mqtt-protocol-version',
      default: 4,
      env: `${ENV}MQTT_PROTOCOL_VERSION`,
    },
    statusTopic: {
      doc: 'Retained online/offline status (also the last will); {deviceId} is the only placeholder here.',
      format: 'mqtt-topic',
      default: 'sensors/{deviceId}/status',
      env: `${ENV}MQTT_STATUS_TOPIC`,
    },
    connectTimeoutMs: {
      doc: 'Give up a connection attempt after this long, ms.',
      format: 'timeout-ms',
      default: 30000,
      env: `${ENV}MQTT_CONNECT_TIMEOUT_MS`,
    },
    reconnectPeriodMs: {
      doc: 'Shortest first reconnect window, ms, when larger than reconnectSpreadMs; each wait is random over its window, which doubles on each failed attempt up to reconnectMaxMs (0 = do not reconnect).',
      format: 'reconnect-ms',
      default: 1000,
      env: `${ENV}MQTT_RECONNECT_PERIOD_MS`,
    },
    reconnectMaxMs: {
      doc: 'Longest wait between reconnection attempts, ms.',
      format: 'reconnect-ms',
      default: 60000,
      env: `${ENV}MQTT_RECONNECT_MAX_MS`,
    },
    reconnectSpreadMs: {
      doc: 'The first reconnect after a lost connection is random over this window, ms, so a fleet that lost its broker at once does not return at once; a lone board waits half of it on average after a blip (docs/reliability.md, "Reconnecting").',
      format: 'reconnect-spread-ms',
      default: 10000,
      env: `${ENV}MQTT_RECONNECT_SPREAD_MS`,
    },
    // Broker security (README "Securing the broker connection"); checked by BROKER_AUTH_RULE.
    username: { doc: 'User name the broker knows this board by (Mosquitto password_file); empty = none.', format: 'mqtt-username', default: '', env: `${ENV}MQTT_USERNAME` },
    password: {
      doc: 'Password for username. Keep it out of the JSON: use passwordFile or the environment variable.',
      format: 'secret',
      default: '',
      env: `${ENV}MQTT_PASSWORD`,
      sensitive: true,
    },
    passwordFile: {
      doc: 'File whose first line is the password (e.g. /etc/edge-agent/mqtt-password, mode 0640 root:edge-agent); wins over password.',
      format: 'file-path',
      default: '',
      env: `${ENV}MQTT_PASSWORD_FILE`,
    },
    tls: {
      ca: { doc: 'PEM file of the CA that signed the broker\'s certificate (a private CA); empty = the system\'s trusted CAs.', format: 'file-path', default: '', env: `${ENV}MQTT_TLS_CA` },
      cert: { doc: 'PEM client certificate for mutual TLS (needs key).', format: 'file-path', default: '', env: `${ENV}MQTT_TLS_CERT` },
      key: { doc: 'PEM private key of the client certificate (needs cert).', format: 'file-path', default: '', env: `${ENV}MQTT_TLS_KEY` },
      insecureSkipVerify: {
        doc: 'DANGEROUS: accept any server certificate and host name (a test bench only); logged as a warning at every start.',
        format: 'flag',
        default: false,
        env: `${ENV}MQTT_TLS_INSECURE_SKIP_VERIFY`,
      },
    },
  },
  queue: {
    enabled: {
      doc: 'Keep every reading on disk until the broker acknowledges it (store and forward). Off: readings that cannot be sent at once are dropped and counted.',
      format: 'flag',
      default: true,
      env: `${ENV}QUEUE_ENABLED`,
    },
    dir: {
      doc: 'Directory of the disk queue; "" = $STATE_DIRECTORY/queue under systemd, else $XDG_STATE_HOME/edge-agent/{deviceId}/queue (~/.local/state/...).',
      format: 'state-dir',
      default: '',
      env: `${ENV}QUEUE_DIR`,
    },
    sync: {
      doc: 'always: fdatasync each sample before it is sent (a power cut loses nothing acknowledged by the disk); interval: every syncIntervalMs (a power cut can lose that much).',
      format: 'queue-sync',
      default: 'interval',
      env: `${ENV}QUEUE_SYNC`,
    },
    syncIntervalMs: { doc: 'With sync "interval": ms between fdatasync calls.', format: 'sync-interval-ms', default: 1000, env: `${ENV}QUEUE_SYNC_INTERVAL_MS` },
    maxBytes: { doc: 'Largest size of the queue on disk; when full the oldest readings are dropped (counted, logged).', format: 'queue-bytes', default: 64 * 2 ** 20, env: `${ENV}QUEUE_MAX_BYTES` },
    segmentBytes: { doc: 'Size of one segment file; whole segments are deleted once delivered.', format: 'segment-bytes', default: 2 ** 20, env: `${ENV}QUEUE_SEGMENT_BYTES` },
    maxAgeS: { doc: 'Readings older than this are dropped instead of sent (0 = no limit).', format: 'age-s', default: 7 * 86400, env: `${ENV}QUEUE_MAX_AGE_S` },
    window: { doc: 'Messages published and not yet acknowledged at once.', format: 'window', default: 100, env: `${ENV}QUEUE_WINDOW` },
    qos0: { doc: 'QoS 0 readings while the broker is away or a backlog waits: buffer them on disk too, or drop and count them.', format: 'qos0-policy', default: 'buffer', env: `${ENV}QUEUE_QOS0` },
  },
  health: {
    intervalS: { doc: 'Seconds between health reports (retained JSON); 0 = off.', format: 'health-interval-s', default: 60, env: `${ENV}HEALTH_INTERVAL_S` },
    topic: { doc: 'Health topic; {deviceId} is the only placeholder here.', format: 'mqtt-topic', default: 'sensors/{deviceId}/health', env: `${ENV}HEALTH_TOPIC` },
  },
  homeassistant: {
    enabled: { doc: 'Announce measurements, outputs and inputs to Home Assistant (MQTT discovery, retained configs).', format: 'flag', default: false, env: `${ENV}HOMEASSISTANT_ENABLED` },
    prefix: { doc: 'Home Assistant\'s discovery prefix (its MQTT integration setting).', format: 'discovery-prefix', default: 'homeassistant', env: `${ENV}HOMEASSISTANT_PREFIX` },
    expireAfterS: {
      doc: 'expire_after of each measurement, s; 0 = three sample intervals (at least 30 s), twice a heartbeat filter, none with a delta/throttle filter and no heartbeat.',
      format: 'age-s',
      default: 0,
      env: `${ENV}HOMEASSISTANT_EXPIRE_AFTER_S`,
    },
    discovery: {
      doc: 'entity: one retained config per entity ({prefix}/{component}/{node}/{object}/config); device: one per device with every entity in it ({prefix}/device/{node}/config, Home Assistant 2024.11+).',
      format: 'ha-discovery',
      default: 'entity',
      env: `${ENV}HOMEASSISTANT_DISCOVERY`,
    },
    latestMaxAgeS: {
      doc: 'Home Assistant\'s entities read each measurement\'s newest value ({topic}/latest, retained), never the replayed backlog; after a reconnection the newest value is sent only if younger than this, s.',
      format: 'latest-max-age-s',
      default: 60,
      env: `${ENV}HOMEASSISTANT_LATEST_MAX_AGE_S`,
    },
  },
  sensors: {
    doc: 'Sensors to read and publish (each entry: see the sensor table). From the environment: a JSON array.',
    format: 'sensor-list',
    default: [],
    env: `${ENV}SENSORS`,
  },
  subscriptions: {
    doc: 'Topic filters to subscribe to, each { topic, qos }. From the environment: a JSON array.',
    format: 'subscription-list',
    default: [],
    env: `${ENV}SUBSCRIPTIONS`,
  },
  log: {
    level: { doc: 'Least severe level written.', format: 'log-level', default: 'info', env: `${ENV}LOG_LEVEL` },
  },
  // Subscriber mode: entry schemas OUTPUT_SCHEMA, INPUT_SCHEMA, RULE_SCHEMA below.
  gpio: {
    simulated: { doc: 'Use the simulated GPIO backend (pins in memory; the demo and tests) instead of the board\'s.', format: 'flag', default: false, env: `${ENV}GPIO_SIMULATED` },
  },
  outputs: { doc: 'GPIO outputs (LEDs, relays), each driven to its safe state at start and on shutdown (see the output table). From the environment: a JSON array.', format: 'output-list', default: [], env: `${ENV}OUTPUTS` },
  inputs: { doc: 'GPIO inputs (buttons, switches) whose debounced state is published (see the input table). From the environment: a JSON array.', format: 'input-list', default: [], env: `${ENV}INPUTS` },
  rules: { doc: 'What to do with messages: topic filter, condition, actions (see the rule table). From the environment: a JSON array.', format: 'rule-list', default: [], env: `${ENV}RULES` },
  commands: {
    enabled: { doc: 'Take JSON commands on commands.topic and answer on commands.responseTopic (roles subscriber and both).', format: 'flag', default: true, env: `${ENV}COMMANDS_ENABLED` },
    topic: { doc: 'Command topic; {deviceId} is the only placeholder.', format: 'device-topic', default: 'devices/{deviceId}/commands', env: `${ENV}COMMANDS_TOPIC` },
    responseTopic: { doc: 'Where each command is answered ({"id","status":"ok"|"error"}); {deviceId} only.', format: 'device-topic', default: 'devices/{deviceId}/responses', env: `${ENV}COMMANDS_RESPONSE_TOPIC` },
  },
  messages: {
    maxBytes: { doc: 'Incoming payloads larger than this are logged, counted and dropped, bytes.', format: 'payload-bytes', default: 4096, env: `${ENV}MESSAGES_MAX_BYTES` },
  },
} satisfies SchemaNode;

export const SUBSCRIPTION_SCHEMA = {
  topic: { doc: 'Topic filter (+ and # wildcards, $share/group/...). Required.', format: 'mqtt-topic-filter', default: null },
  qos: { doc: 'Maximum QoS to receive at.', format: 'qos', default: 0 },
} satisfies SchemaNode;

export const OUTPUT_SCHEMA = {
  name: { doc: 'Unique name of this output ({name} in its topics, `output` in actions and commands). Required.', format: 'output-name', default: null },
  pin: { doc: 'Pin as the board names it: BCM number on a Raspberry Pi ("17"), header name on a BeagleBone Black ("P8_13"), GPIO number on a Udoo Neo ("25"). Required.', format: 'gpio-pin', default: null },
  activeLow: { doc: 'The load is on when the pin is low (many relay boards): on/off stay logical.', format: 'flag', default: false },
  initial: { doc: 'Safe state, driven as the pin is claimed at start and again on shutdown.', format: 'output-state', default: 'off' },
  stateTopic: { doc: 'State ON/OFF is published here, retained, after each change; {deviceId}, {name}.', format: 'io-topic', default: 'devices/{deviceId}/outputs/{name}/state' },
  setTopic: { doc: 'Takes ON, OFF, TOGGLE, or {"state":"ON","ms":500} (on for 500 ms, then back); {deviceId}, {name}.', format: 'io-topic', default: 'devices/{deviceId}/outputs/{name}/set' },
  deviceClass: { doc: 'Home Assistant switch device class: outlet or switch; "" = none.', format: 'ha-switch-class', default: '' },
  icon: { doc: 'Home Assistant icon, "mdi:<name>"; "" = the device class\'s.', format: 'ha-icon', default: '' },
} satisfies SchemaNode;

export const INPUT_SCHEMA = {
  name: { doc: 'Unique name of this input ({name} in its topics). Required.', format: 'input-name', default: null },
  pin: { doc: 'Pin as the board names it (as for outputs). Required.', format: 'gpio-pin', default: null },
  activeLow: { doc: 'Active (ON, pressed) when the pin is low: a button to ground with a pull-up.', format: 'flag', default: false },
  debounceMs: { doc: 'A change counts only after the level has been stable this long, ms.', format: 'debounce-ms', default: 50 },
  edge: { doc: 'Which changes go out on edgeTopic: rising (becomes active), falling, or both (the state topic follows every change).', format: 'edge', default: 'both' },
  stateTopic: { doc: 'State ON/OFF, retained, at start and after each reported change; {deviceId}, {name}.', format: 'io-topic', default: 'devices/{deviceId}/inputs/{name}/state' },
  edgeTopic: { doc: 'One message "rising" or "falling" per reported change (not retained); {deviceId}, {name}.', format: 'io-topic', default: 'devices/{deviceId}/inputs/{name}/edge' },
  deviceClass: { doc: 'Home Assistant binary_sensor device class (door: Open/Closed, motion, window, ...); "" = none (On/Off).', format: 'ha-binary-sensor-class', default: '' },
  icon: { doc: 'Home Assistant icon, "mdi:<name>"; "" = the device class\'s.', format: 'ha-icon', default: '' },
} satisfies SchemaNode;

export const RULE_SCHEMA = {
  name: { doc: 'Unique name of this rule ({rule} in templates, logs). Required.', format: 'rule-name', default: null },
  topic: { doc: 'Topic filter the rule subscribes to (+, #, $share/group/...). Required.', format: 'mqtt-topic-filter', default: null },
  qos: { doc: 'QoS of the rule\'s subscription (1: nothing lost while the board is away, with a persistent session).', format: 'qos', default: 1 },
  condition: {
    field: { doc: 'Dotted path of the value in a JSON payload ("value"); null = the payload itself is the value.', format: 'json-field', default: null, nullable: true },
    above: { doc: 'True when the value is > this; false again only below above − hysteresis.', format: 'threshold', default: null, nullable: true },
    atLeast: { doc: 'True when the value is ≥ this; false again only below atLeast − hysteresis.', format: 'threshold', default: null, nullable: true },
    below: { doc: 'True when the value is < this; false again only above below + hysteresis.', format: 'threshold', default: null, nullable: true },
    atMost: { doc: 'True when the value is ≤ this; false again only above atMost + hysteresis.', format: 'threshold', default: null, nullable: true },
    equals: { doc: 'True when the value (text or number) equals this.', format: 'match-value', default: null, nullable: true },
    hysteresis: { doc: 'Dead band that keeps a value hovering at a threshold from chattering, in the value\'s unit.', format: 'hysteresis', default: 0 },
  },
  actions: { doc: 'Run when the condition becomes true (every message if there is no condition): {type:"output",output,state:on|off|toggle|pulse,ms}, {type:"log",message}, {type:"publish",topic,payload,qos,retain}.', format: 'action-list', default: [] },
  elseActions: { doc: 'Run when the condition becomes false.', format: 'action-list', default: [] },
} satisfies SchemaNode;

/** Every leaf of a schema with its dotted path, in declaration order. */
export function leaves(node: SchemaNode, prefix = ''): Array<[string, SchemaLeaf]> {
  return Object.entries(node).flatMap(([key, entry]): Array<[string, SchemaLeaf]> => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isLeaf(entry) ? [[path, entry]] : leaves(entry, path);
  });
}

/*
 * Rules across keys. Each has a `doc` (rendered into the reference beside the tables) and a check
 * that sees the entries as loaded; keys that already have a problem (`bad`) are left alone, so one
 * mistake is reported once.
 */

/** The top level as loaded, before board defaults are applied (values may be invalid: see `bad`). */
export interface LoadedTop {
  board: Board;
  role: Role;
  deviceId: string;
  i2c: { bus: number | null; simulated: boolean };
  /** From a JSON file, url may be an array of URLs: joined into the comma list once checked. */
  mqtt: Omit<MqttConfig, 'clean' | 'url'> & { clean: boolean | null; url: string | string[] };
  queue: QueueConfig;
  health: HealthConfig;
  homeassistant: HomeAssistantConfig;
  log: { level: LogLevel };
  gpio: { simulated: boolean };
  commands: CommandsConfig;
  messages: { maxBytes: number };
}

export interface RuleContext {
  top: LoadedTop;
  /**
   * Sensor entries in order (null where the entry is not even an object). `valid` is false when
   * some key of the entry has a problem; then only its keys not in `bad` may be trusted.
   */
  sensors: Array<{ sensor: SensorConfig; valid: boolean } | null>;
  /** Lengths of the arrays, null when they are not arrays. */
  sensorCount: number | null;
  subscriptionCount: number | null;
  /** Rules, outputs and inputs together: each gives a subscriber something to do. */
  ruleCount?: number | null;
  /** Paths that already have a problem. */
  bad: ReadonlySet<string>;
}

export interface CrossFieldRule {
  doc: string;
  check(ctx: RuleContext): ConfigProblem[];
}

export const CROSS_FIELD_RULES: CrossFieldRule[] = [
  {
    doc: 'role publisher or both needs at least one sensor; subscriber or both at least one subscription, rule, output or input.',
    check({ top, sensorCount, subscriptionCount, ruleCount, bad }) {
      if (bad.has('role')) return [];
      const out: ConfigProblem[] = [];
      if (top.role !== 'subscriber' && sensorCount === 0) {
        out.push({ path: 'sensors', message: `role '${top.role}' needs at least one sensor, and there are none`, hint: 'add a sensor entry, or set role to "subscriber"' });
      }
      if (top.role !== 'publisher' && subscriptionCount === 0 && !ruleCount) {
        out.push({ path: 'subscriptions', message: `role '${top.role}' needs at least one subscription, rule, output or input, and there are none`, hint: 'add { "topic": "sensors/+/altitude", "qos": 1 } or a rule, or set role to "publisher"' });
      }
      return out;
    },
  },
  ...SENSOR_RULES,
  {
    doc: 'statusTopic uses only {deviceId}; no two enabled measurements or per-sample sensors (nor the status) publish to the same topic; every topic, placeholders filled in, is at most 65535 bytes (MQTT 3.1.1 §4.7.3).',
    check(ctx) {
      const { top, bad } = ctx;
      if (bad.has('deviceId')) return [];
      const out: ConfigProblem[] = [];
      const used = new Map<string, string>();
      if (!bad.has('mqtt.statusTopic')) {
        if (/\{(sensor|measurement)\}/.test(top.mqtt.statusTopic)) {
          out.push({ path: 'mqtt.statusTopic', message: `${JSON.stringify(top.mqtt.statusTopic)} uses {sensor} or {measurement}`, hint: 'the status belongs to the device: only {deviceId} is known here' });
        } else {
          used.set(fillTemplate(top.mqtt.statusTopic, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId }), 'mqtt.statusTopic');
        }
      }
      // A per-sample sensor named `health` would publish on the default health topic.
      if (top.health.intervalS > 0 && !bad.has('health.topic') && !bad.has('health.intervalS')) used.set(fillTemplate(top.health.topic, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId }), 'health.topic');
      out.push(...eachSensor(ctx, (s, at) => publishedTopics(s, at).flatMap(([template, path, measurement]) => {
        const topic = fillTemplate(template, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId, sensor: s.name, ...(measurement === undefined ? {} : { measurement }) });
        const tooLong = topicLengthProblem(topic, path);
        if (tooLong) return [tooLong];
        const other = used.get(topic);
        if (!other) {
          used.set(topic, path);
          return [];
        }
        const hint = measurement === undefined ? 'give the sample its own topic, e.g. "sensors/{deviceId}/{sensor}/sample"' : 'give each its own topic, e.g. "sensors/{deviceId}/{sensor}/{measurement}"';
        return [{ path, message: `publishes to '${topic}', which ${other} already uses`, hint }];
      })));
      return out;
    },
  },
  BROKER_AUTH_RULE,
];

/**
 * The topics a sensor publishes on, as [template, key path, measurement]: one per enabled
 * measurement, or with layout per-sample the sensor's sampleTopic (once, if anything is enabled).
 */
function publishedTopics(s: SensorConfig, at: string): Array<[string, string, string | undefined]> {
  const enabled = QUANTITIES.filter((q) => s.measurements[q]?.enabled === true);
  if (s.layout === 'per-sample') return enabled.length > 0 && s.sampleTopic !== undefined ? [[s.sampleTopic, `${at}.sampleTopic`, undefined]] : [];
  return enabled.map((q) => [s.measurements[q]!.topic, `${at}.measurements.${q}.topic`, q]);
}
