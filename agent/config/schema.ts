/**
 * The convict schema: the single source of truth for every setting, and the documentation
 * (`describe.ts` renders it into the README). Three schemas: the top level, ONE sensor entry (each
 * element of `sensors`) and ONE subscription entry. Every key has `doc`, `format`, `default`, and
 * `env` where an environment variable makes sense (not inside array entries). A `null` default
 * means "required" unless the key is `nullable` (then null means "resolve it", e.g. board default).
 */
import type { Quantity } from '../../drivers/sensor.js';
import type { ConfigProblem } from './config-error.js';
import { BROKER_AUTH_RULE } from './broker-auth-rule.js';
import { fillTopic, type FormatName } from './formats.js';
import type { Bmp280Settings, Board, LogLevel, MqttConfig, OversamplingName, Role, SensorConfig, Unit } from './types.js';

export interface SchemaLeaf {
  doc: string;
  format: FormatName;
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
      doc: 'Broker URL; credentials may be given as mqtt://user:password@host (kept out of logs).',
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
    clean: { doc: 'Start a clean session (no queued messages from before).', format: 'flag', default: true, env: `${ENV}MQTT_CLEAN` },
    protocolVersion: {
      doc: 'MQTT protocol: 4 = 3.1.1, 5 = MQTT 5.',
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
      doc: 'Wait between reconnection attempts, ms (0 = do not reconnect).',
      format: 'reconnect-ms',
      default: 1000,
      env: `${ENV}MQTT_RECONNECT_PERIOD_MS`,
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
} satisfies SchemaNode;

/** Default unit of each quantity, and the decimals used when `decimals` is null. */
export const DEFAULT_UNIT: Record<Quantity, Unit> = { temperature: '°C', pressure: 'Pa', humidity: '%', altitude: 'm' };
export const DEFAULT_DECIMALS: Record<Unit, number> = { '°C': 2, '°F': 2, Pa: 0, hPa: 2, '%': 1, m: 1, ft: 0 };

const UNIT_FORMAT: Record<Quantity, FormatName> = {
  temperature: 'temperature-unit',
  pressure: 'pressure-unit',
  humidity: 'humidity-unit',
  altitude: 'altitude-unit',
};

function measurementSchema(quantity: Quantity): SchemaNode {
  const decimals = Object.entries(DEFAULT_DECIMALS)
    .filter(([unit]) => UNIT_FORMAT[quantity] === UNIT_FORMAT_OF[unit as Unit])
    .map(([unit, n]) => `${unit} ${n}`)
    .join(', ');
  return {
    enabled: {
      doc: quantity === 'humidity' ? 'Publish humidity (only a BME280 measures it; skipped on a BMP280).' : `Publish ${quantity}.`,
      format: 'flag',
      default: true,
    },
    unit: { doc: `Unit ${quantity} is published in.`, format: UNIT_FORMAT[quantity], default: DEFAULT_UNIT[quantity] },
    decimals: { doc: `Decimal places; null = the unit's default (${decimals}).`, format: 'decimals', default: null, nullable: true },
    format: { doc: 'Payload: plain = the number as text ("100"); json = {"value","unit","ts","seq"}.', format: 'payload-format', default: 'plain' },
    qos: { doc: 'QoS of the publication.', format: 'qos', default: 0 },
    retain: { doc: 'Retain the last value on the broker.', format: 'flag', default: false },
    topic: {
      doc: 'Topic template; placeholders {deviceId}, {sensor}, {measurement}.',
      format: 'mqtt-topic',
      default: 'sensors/{deviceId}/{measurement}',
    },
  };
}

const UNIT_FORMAT_OF: Record<Unit, FormatName> = {
  '°C': 'temperature-unit',
  '°F': 'temperature-unit',
  Pa: 'pressure-unit',
  hPa: 'pressure-unit',
  '%': 'humidity-unit',
  m: 'altitude-unit',
  ft: 'altitude-unit',
};

export const QUANTITIES: readonly Quantity[] = ['temperature', 'pressure', 'humidity', 'altitude'];

export const SENSOR_SCHEMA = {
  name: { doc: 'Unique name of this sensor ({sensor} in topics, logs). Required.', format: 'sensor-name', default: null },
  driver: { doc: 'Driver; bmp280 handles BMP280 and BME280 (told apart by chip id).', format: 'driver', default: 'bmp280' },
  address: { doc: 'I2C address: 0x76 (SDO to GND) or 0x77 (SDO to VDDIO).', format: 'i2c-address', default: '0x76' },
  intervalMs: { doc: 'Time between readings, ms (at least 10).', format: 'interval-ms', default: 1000 },
  settings: {
    mode: {
      doc: 'forced: one conversion per reading, then sleep; normal: continuous with standbyMs between conversions.',
      format: 'bmp280-mode',
      default: 'forced',
    },
    oversampling: {
      temperature: { doc: 'Temperature oversampling (skip makes pressure impossible).', format: 'oversampling', default: 'x2' },
      pressure: { doc: 'Pressure oversampling (x16 with temperature x2: the datasheet\'s drone preset).', format: 'oversampling', default: 'x16' },
      humidity: { doc: 'Humidity oversampling (BME280 only).', format: 'oversampling', default: 'x1' },
    },
    filter: { doc: 'IIR filter coefficient (smooths pressure; adds lag of several readings).', format: 'filter', default: 'off' },
    standbyMs: {
      doc: 'Standby between conversions in normal mode, ms; 10 and 20 exist only on the BME280, 2000 and 4000 only on the BMP280.',
      format: 'standby-ms',
      default: 0.5,
    },
    seaLevelPa: { doc: 'Sea-level reference pressure (QNH) for altitude, Pa.', format: 'sea-level-pa', default: 101325 },
  },
  measurements: Object.fromEntries(QUANTITIES.map((q) => [q, measurementSchema(q)])),
  simulation: {
    chip: { doc: 'Chip the simulator answers as.', format: 'chip', default: 'bmp280' },
    scenario: {
      doc: 'flight: ground, climb to hoverFt, hover, land, repeat; static: constant; raw: replay `raw`.',
      format: 'scenario',
      default: 'flight',
    },
    groundAltitudeM: { doc: 'Altitude of the ground, m above sea level.', format: 'altitude-m', default: 0 },
    hoverFt: { doc: 'Hover height above the ground, ft.', format: 'hover-ft', default: 100 },
    cycleS: { doc: 'Length of one flight cycle, s.', format: 'cycle-s', default: 60 },
    temperatureC: { doc: 'Simulated temperature, °C.', format: 'temperature-c', default: 20 },
    humidityPct: { doc: 'Simulated relative humidity (BME280), %.', format: 'humidity-pct', default: 45 },
    calibration: {
      doc: 'Overrides of the simulated calibration NVM words (dig_T1 …); {} = a real chip\'s words.',
      format: 'calibration',
      default: {},
    },
    raw: { doc: 'ADC values for scenario raw: { adcT, adcP, adcH }.', format: 'raw-adc', default: null, nullable: true },
  },
} satisfies SchemaNode;

export const SUBSCRIPTION_SCHEMA = {
  topic: { doc: 'Topic filter (+ and # wildcards, $share/group/...). Required.', format: 'mqtt-topic-filter', default: null },
  qos: { doc: 'Maximum QoS to receive at.', format: 'qos', default: 0 },
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
  mqtt: MqttConfig;
  log: { level: LogLevel };
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
  /** Paths that already have a problem. */
  bad: ReadonlySet<string>;
}

export interface CrossFieldRule {
  doc: string;
  check(ctx: RuleContext): ConfigProblem[];
}

const FACTOR: Record<OversamplingName, number> = { skip: 0, x1: 1, x2: 2, x4: 4, x8: 8, x16: 16 };

/** Worst-case conversion time, ms (BMP280 §3.8.1; BME280 §9.1 adds humidity). */
export function maxMeasurementMs(o: Bmp280Settings['oversampling']): number {
  const [t, p, h] = [FACTOR[o.temperature], FACTOR[o.pressure], FACTOR[o.humidity]];
  return 1.25 + 2.3 * t + (p ? 2.3 * p + 0.575 : 0) + (h ? 2.3 * h + 0.575 : 0);
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function eachSensor(ctx: RuleContext, fn: (s: SensorConfig, at: string) => ConfigProblem[]): ConfigProblem[] {
  return ctx.sensors.flatMap((s, i) => (s?.valid ? fn(s.sensor, `sensors[${i}]`) : []));
}

export const CROSS_FIELD_RULES: CrossFieldRule[] = [
  {
    doc: 'role publisher or both needs at least one sensor; subscriber or both at least one subscription.',
    check({ top, sensorCount, subscriptionCount, bad }) {
      if (bad.has('role')) return [];
      const out: ConfigProblem[] = [];
      if (top.role !== 'subscriber' && sensorCount === 0) {
        out.push({ path: 'sensors', message: `role '${top.role}' needs at least one sensor, and there are none`, hint: 'add a sensor entry, or set role to "subscriber"' });
      }
      if (top.role !== 'publisher' && subscriptionCount === 0) {
        out.push({ path: 'subscriptions', message: `role '${top.role}' needs at least one subscription, and there are none`, hint: 'add { "topic": "sensors/+/altitude", "qos": 1 }, or set role to "publisher"' });
      }
      return out;
    },
  },
  {
    doc: 'Sensor names are unique; no two sensors share an I2C address (they are on the same bus).',
    check(ctx) {
      const names = new Map<string, string>();
      const addresses = new Map<number, string>();
      return ctx.sensors.flatMap((entry, i) => {
        if (!entry) return [];
        const [s, at] = [entry.sensor, `sensors[${i}]`];
        const out: ConfigProblem[] = [];
        const unique = <K>(seen: Map<K, string>, key: K, field: string, problem: (other: string) => ConfigProblem): void => {
          if (ctx.bad.has(`${at}.${field}`)) return; // already reported
          const other = seen.get(key);
          if (other) out.push(problem(other));
          else seen.set(key, at);
        };
        unique(names, s.name, 'name', (other) => ({ path: `${at}.name`, message: `name '${s.name}' is already used by ${other}`, hint: 'sensor names must be unique: they appear in topics ({sensor}) and logs' }));
        unique(addresses, s.address, 'address', (other) => ({ path: `${at}.address`, message: `${hex(s.address)} is already used by ${other} on the same bus`, hint: 'two chips cannot answer at one address: wire SDO of one to VDDIO (0x77) or to GND (0x76)' }));
        return out;
      });
    },
  },
  {
    doc: 'A bmp280 sensor is at 0x76 or 0x77 (the only addresses the chip answers at).',
    check: (ctx) => eachSensor(ctx, (s, at) => (s.address === 0x76 || s.address === 0x77 ? [] : [
      { path: `${at}.address`, message: `a BMP280/BME280 does not answer at ${hex(s.address)}`, hint: 'use 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)' },
    ])),
  },
  {
    doc: 'An enabled quantity is measured: pressure and altitude need pressure oversampling, everything needs temperature (compensation uses t_fine), humidity needs humidity oversampling.',
    check: (ctx) => eachSensor(ctx, (s, at) => {
      const o = s.settings.oversampling;
      const on = (q: Quantity): boolean => s.measurements[q]?.enabled === true;
      const enabled = QUANTITIES.filter(on);
      const out: ConfigProblem[] = [];
      const skipped = (q: 'temperature' | 'pressure' | 'humidity', needs: Quantity[], why: string): void => {
        const affected = needs.filter(on);
        if (o[q] === 'skip' && affected.length > 0) {
          out.push({ path: `${at}.settings.oversampling.${q}`, message: `'skip' while ${affected.join(' and ')} ${affected.length > 1 ? 'are' : 'is'} enabled`, hint: `${why}; use x1 or more, or disable ${affected.join(' and ')}` });
        }
      };
      skipped('temperature', enabled, 'compensating any reading needs t_fine from the temperature (datasheet 3.11.3)');
      skipped('pressure', ['pressure', 'altitude'], 'altitude is computed from pressure');
      skipped('humidity', ['humidity'], 'a skipped humidity reads 0x8000');
      return out;
    }),
  },
  {
    doc: 'In forced mode, intervalMs is at least the worst-case conversion time of the oversampling chosen.',
    check: (ctx) => eachSensor(ctx, (s, at) => {
      const needed = maxMeasurementMs(s.settings.oversampling);
      if (s.settings.mode !== 'forced' || s.intervalMs >= needed) return [];
      return [{ path: `${at}.intervalMs`, message: `${s.intervalMs} ms is shorter than one forced conversion (up to ${needed.toFixed(1)} ms)`, hint: `use at least ${Math.ceil(needed)} ms, or less oversampling` }];
    }),
  },
  {
    doc: 'A raw simulation scenario has raw values; a simulated BMP280 has no dig_H* words; when simulated, standbyMs exists on the simulated chip (10/20 BME280 only, 2000/4000 BMP280 only).',
    check: (ctx) => eachSensor(ctx, (s, at) => {
      const sim = s.simulation;
      const out: ConfigProblem[] = [];
      if (sim.scenario === 'raw' && sim.raw === null) {
        out.push({ path: `${at}.simulation.raw`, message: 'scenario "raw" needs raw ADC values, and raw is null', hint: 'e.g. "raw": { "adcT": 519888, "adcP": 415148 }' });
      }
      if (sim.chip === 'bmp280') {
        for (const word of Object.keys(sim.calibration).filter((w) => w.startsWith('dig_H'))) {
          out.push({ path: `${at}.simulation.calibration.${word}`, message: `a BMP280 has no ${word}`, hint: 'humidity calibration exists on the BME280 only: set simulation.chip to "bme280" or remove it' });
        }
      }
      const only = { 10: 'bme280', 20: 'bme280', 2000: 'bmp280', 4000: 'bmp280' }[s.settings.standbyMs as number];
      if (ctx.top.i2c.simulated === true && s.settings.mode === 'normal' && only !== undefined && only !== sim.chip) {
        out.push({ path: `${at}.settings.standbyMs`, message: `${s.settings.standbyMs} ms standby does not exist on a ${sim.chip.toUpperCase()}`, hint: `only the ${only.toUpperCase()} has it (the t_sb codes 110/111 differ); pick another standby` });
      }
      return out;
    }),
  },
  {
    doc: 'statusTopic uses only {deviceId}; no two enabled measurements (nor the status) publish to the same topic.',
    check(ctx) {
      const { top, bad } = ctx;
      if (bad.has('deviceId')) return [];
      const out: ConfigProblem[] = [];
      const used = new Map<string, string>();
      if (!bad.has('mqtt.statusTopic')) {
        if (/\{(sensor|measurement)\}/.test(top.mqtt.statusTopic)) {
          out.push({ path: 'mqtt.statusTopic', message: `${JSON.stringify(top.mqtt.statusTopic)} uses {sensor} or {measurement}`, hint: 'the status belongs to the device: only {deviceId} is known here' });
        } else {
          used.set(fillTopic(top.mqtt.statusTopic, { deviceId: top.deviceId }), 'mqtt.statusTopic');
        }
      }
      out.push(...eachSensor(ctx, (s, at) => QUANTITIES.flatMap((q) => {
        const m = s.measurements[q];
        if (!m?.enabled) return [];
        const topic = fillTopic(m.topic, { deviceId: top.deviceId, sensor: s.name, measurement: q });
        const path = `${at}.measurements.${q}.topic`;
        const other = used.get(topic);
        if (!other) {
          used.set(topic, path);
          return [];
        }
        return [{ path, message: `publishes to '${topic}', which ${other} already uses`, hint: 'give each its own topic, e.g. "sensors/{deviceId}/{sensor}/{measurement}"' }];
      })));
      return out;
    },
  },
  BROKER_AUTH_RULE,
];
