/**
 * The convict schema: the single source of truth for every setting, and the documentation
 * (`describe.ts` renders it into the README). Three schemas: the top level, ONE sensor entry (each
 * element of `sensors`) and ONE subscription entry. Every key has `doc`, `format`, `default`, and
 * `env` where an environment variable makes sense (not inside array entries). A `null` default
 * means "required" unless the key is `nullable` (then null means "resolve it", e.g. board default).
 */
import type { Quantity } from '../../drivers/sensor.js';
import { OSS as BMP180_OSS, PRESSURE_MAX_MS as BMP180_PRESSURE_MS, TEMPERATURE_MAX_MS as BMP180_TEMPERATURE_MS } from '../../drivers/bmp180/registers.js';
import { conversionTimeMs as bmp388ConversionMs, toRegisters as bmp388Registers } from '../../drivers/bmp388/settings.js';
import { OVERSAMPLING_CODE as MPL3115A2_OS, SAMPLE_TIME_MS as MPL3115A2_SAMPLE_MS } from '../../drivers/mpl3115a2/registers.js';
import { CONVERSION_MAX_MS as MS5611_MAX_MS, OSRS as MS5611_OSRS } from '../../drivers/ms5611/commands.js';
import type { ConfigProblem } from './config-error.js';
import { BROKER_AUTH_RULE } from './broker-auth-rule.js';
import { FORMATS, topicLengthProblem, type FormatName } from './formats.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../template.js';
import type {
  Bmp280SensorConfig, Bmp280Settings, Board, CommandsConfig, DriverName, HealthConfig, HomeAssistantConfig, LogLevel, MqttConfig, OversamplingName, QueueConfig, Role, SensorConfig, Unit,
} from './types.js';

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
      doc: 'First wait before reconnecting, ms; it doubles on each failed attempt up to reconnectMaxMs, with random jitter (0 = do not reconnect).',
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
    filters: {
      doc: 'Filters applied in order before rounding (README, Filters): offset, linear, clamp, round, movingAverage, median, ema, delta, throttle, heartbeat.',
      format: 'filter-list',
      default: [],
    },
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
  driver: { doc: 'Driver: bmp280 (BMP280, BME280), bmp388 (BMP388, BMP390), ms5611, bmp180 (BMP180, BMP085), mpl3115a2. Each has its own settings (see Supported chips).', format: 'driver', default: 'bmp280' },
  address: { doc: 'I2C address: 0x76 (SDO to GND) or 0x77 (SDO to VDDIO).', format: 'i2c-address', default: '0x76' },
  intervalMs: { doc: 'Time between readings, ms (at least 10).', format: 'interval-ms', default: 1000 },
  faults: {
    readAttempts: {
      doc: 'Attempts per reading when the I2C bus reports a transient error (EIO, EREMOTEIO, ENXIO, ETIMEDOUT, EAGAIN, EBUSY), 2, 4, 8… ms apart, within half the interval; 1 = no retry.',
      format: 'read-attempts',
      default: 3,
    },
    reinitAfter: {
      doc: 'Consecutive failed or rejected readings after which the sensor is re-initialised (chip ID, calibration, configuration) on the next tick.',
      format: 'reinit-after',
      default: 3,
    },
  },
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
    faultRate: {
      doc: 'Share of this chip\'s I2C transactions that fail with EIO (0–1, fixed seed), to watch the fault handling work.',
      format: 'fault-rate',
      default: 0,
    },
  },
} satisfies SchemaNode;

/** Where each driver's chips can answer and what they measure: the address and quantity rules. */
export const DRIVER_CHIPS: Record<DriverName, { chips: string; addresses: readonly number[]; addressHint: string; measures: readonly Quantity[] }> = {
  bmp280: { chips: 'BMP280/BME280', addresses: [0x76, 0x77], addressHint: 'use 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)', measures: QUANTITIES },
  bmp388: { chips: 'BMP388/BMP390', addresses: [0x76, 0x77], addressHint: 'use 0x76 (SDO to GND) or 0x77 (SDO to VDDIO; Adafruit boards)', measures: ['temperature', 'pressure', 'altitude'] },
  ms5611: { chips: 'MS5611', addresses: [0x76, 0x77], addressHint: 'use 0x77 (CSB to GND; GY-63/GY-86 boards) or 0x76 (CSB to VDD)', measures: ['temperature', 'pressure', 'altitude'] },
  bmp180: { chips: 'BMP180/BMP085', addresses: [0x77], addressHint: 'the BMP180 answers only at 0x77', measures: ['temperature', 'pressure', 'altitude'] },
  mpl3115a2: { chips: 'MPL3115A2', addresses: [0x60], addressHint: 'the MPL3115A2 answers only at 0x60', measures: ['temperature', 'pressure', 'altitude'] },
};

/** `measurements` of a driver that cannot measure some quantities: those are off by default. */
function measurementsFor(driver: DriverName): SchemaNode {
  const { chips, measures } = DRIVER_CHIPS[driver];
  return Object.fromEntries(QUANTITIES.map((q) => {
    const node = measurementSchema(q);
    if (measures.includes(q)) return [q, node];
    return [q, { ...node, enabled: { doc: `Off: a ${chips} does not measure ${q}.`, format: 'flag', default: false } }];
  }));
}

/** The chip-neutral `simulation` keys (flight/static; see drivers/environment.ts) for a driver's chips. */
function environmentSimulation(chipFormat: FormatName, chip: string): SchemaNode {
  const { groundAltitudeM, hoverFt, cycleS, temperatureC, faultRate } = SENSOR_SCHEMA.simulation;
  return {
    chip: { doc: 'Chip the simulator answers as.', format: chipFormat, default: chip },
    scenario: { doc: 'flight: climb to hoverFt, hover, land, wait on the ground, repeat; static: constant.', format: 'environment-scenario', default: 'flight' },
    groundAltitudeM, hoverFt, cycleS, temperatureC, faultRate,
  };
}

function sensorEntry(driver: DriverName, address: string, settings: SchemaNode, simulation: SchemaNode): SchemaNode {
  const { chips, addressHint } = DRIVER_CHIPS[driver];
  const { name, intervalMs, faults } = SENSOR_SCHEMA;
  return {
    name,
    driver: SENSOR_SCHEMA.driver,
    address: { doc: `I2C address of the ${chips}: ${addressHint.replace(/^use /, '')}.`, format: 'i2c-address', default: address },
    intervalMs,
    faults,
    settings: { ...settings, seaLevelPa: SENSOR_SCHEMA.settings.seaLevelPa },
    measurements: measurementsFor(driver),
    simulation,
  };
}

/** One sensor entry per driver: common keys, then the driver's own `settings` and `simulation`. */
export const DRIVER_SCHEMAS: Record<DriverName, SchemaNode> = {
  bmp280: SENSOR_SCHEMA,
  bmp388: sensorEntry('bmp388', '0x77', {
    oversampling: {
      temperature: { doc: 'Temperature oversampling (osr_t; x1 or x2 is plenty).', format: 'bmp388-oversampling', default: 'x2' },
      pressure: { doc: 'Pressure oversampling (osr_p; x8 with temperature x1 is Bosch\'s drone preset).', format: 'bmp388-oversampling', default: 'x16' },
    },
    filter: { doc: 'IIR filter coefficient (0 … 127; smooths pressure, adds lag).', format: 'bmp388-filter', default: 'off' },
  }, environmentSimulation('bmp388-chip', 'bmp388')),
  ms5611: sensorEntry('ms5611', '0x77', {
    osr: { doc: 'Oversampling ratio of both conversions: 256 (0.6 ms, 0.065 mbar RMS) … 4096 (9.04 ms, 0.012 mbar).', format: 'ms5611-osr', default: 4096 },
  }, environmentSimulation('ms5611-chip', 'ms5611')),
  bmp180: sensorEntry('bmp180', '0x77', {
    oversampling: { doc: 'Pressure oversampling (oss 0–3): x1 4.5 ms … x8 25.5 ms.', format: 'bmp180-oversampling', default: 'x8' },
  }, environmentSimulation('bmp180-chip', 'bmp180')),
  mpl3115a2: sensorEntry('mpl3115a2', '0x60', {
    mode: { doc: 'barometer: the chip reports pressure (altitude computed here); altimeter: the chip reports altitude itself (no pressure).', format: 'mpl3115a2-mode', default: 'barometer' },
    oversampling: { doc: 'Oversampling: x1 (6 ms) … x128 (512 ms between samples).', format: 'mpl3115a2-oversampling', default: 'x128' },
  }, environmentSimulation('mpl3115a2-chip', 'mpl3115a2')),
};

/** Conversion time one reading waits for, ms, from each driver's own timing tables. */
function readingTimeMs(s: SensorConfig): number | undefined {
  switch (s.driver) {
    case 'bmp388': {
      const { osrP, osrT } = bmp388Registers(s.settings);
      return bmp388ConversionMs(osrP, osrT);
    }
    case 'ms5611':
      return 2 * MS5611_MAX_MS[MS5611_OSRS.indexOf(s.settings.osr)]!;
    case 'bmp180':
      return BMP180_TEMPERATURE_MS + BMP180_PRESSURE_MS[BMP180_OSS[s.settings.oversampling]]!;
    case 'mpl3115a2':
      return MPL3115A2_SAMPLE_MS[MPL3115A2_OS[s.settings.oversampling]]!;
    default:
      return undefined; // bmp280: its own rule above, which knows the modes
  }
}

/** The schema of a sensor entry with this `driver` value (an unknown driver: bmp280's, whose driver key reports it). */
export function sensorSchemaFor(driver: unknown): SchemaNode {
  const name = typeof driver === 'string' ? FORMATS.driver.coerce?.(driver) : driver;
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(DRIVER_SCHEMAS, name) ? DRIVER_SCHEMAS[name as DriverName] : SENSOR_SCHEMA;
}

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
} satisfies SchemaNode;

export const INPUT_SCHEMA = {
  name: { doc: 'Unique name of this input ({name} in its topics). Required.', format: 'input-name', default: null },
  pin: { doc: 'Pin as the board names it (as for outputs). Required.', format: 'gpio-pin', default: null },
  activeLow: { doc: 'Active (ON, pressed) when the pin is low: a button to ground with a pull-up.', format: 'flag', default: false },
  debounceMs: { doc: 'A change counts only after the level has been stable this long, ms.', format: 'debounce-ms', default: 50 },
  edge: { doc: 'Which changes go out on edgeTopic: rising (becomes active), falling, or both (the state topic follows every change).', format: 'edge', default: 'both' },
  stateTopic: { doc: 'State ON/OFF, retained, at start and after each reported change; {deviceId}, {name}.', format: 'io-topic', default: 'devices/{deviceId}/inputs/{name}/state' },
  edgeTopic: { doc: 'One message "rising" or "falling" per reported change (not retained); {deviceId}, {name}.', format: 'io-topic', default: 'devices/{deviceId}/inputs/{name}/edge' },
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
  mqtt: Omit<MqttConfig, 'clean'> & { clean: boolean | null };
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

/** The rules about BMP280 settings look at bmp280 entries only. */
function eachBmp280(ctx: RuleContext, fn: (s: Bmp280SensorConfig, at: string) => ConfigProblem[]): ConfigProblem[] {
  return eachSensor(ctx, (s, at) => (s.driver === 'bmp280' ? fn(s, at) : []));
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
    doc: 'A sensor is at an address its chip can answer at: bmp280, bmp388, ms5611 0x76 or 0x77; bmp180 0x77; mpl3115a2 0x60.',
    check: (ctx) => eachSensor(ctx, (s, at) => {
      const { chips, addresses, addressHint } = DRIVER_CHIPS[s.driver];
      return addresses.includes(s.address) ? [] : [{ path: `${at}.address`, message: `a ${chips} does not answer at ${hex(s.address)}`, hint: addressHint }];
    }),
  },
  {
    doc: 'An enabled quantity is one the chip measures (no humidity but on a BME280; no pressure from an MPL3115A2 in altimeter mode).',
    check: (ctx) => eachSensor(ctx, (s, at) => {
      const { chips, measures } = DRIVER_CHIPS[s.driver];
      const out: ConfigProblem[] = QUANTITIES.filter((q) => s.measurements[q]?.enabled === true && !measures.includes(q)).map((q) => ({
        path: `${at}.measurements.${q}.enabled`,
        message: `a ${chips} does not measure ${q}`,
        hint: `set measurements.${q}.enabled to false (or remove it), or use a chip that measures ${q} (BME280)`,
      }));
      if (s.driver === 'mpl3115a2' && s.settings.mode === 'altimeter' && s.measurements.pressure?.enabled === true) {
        out.push({ path: `${at}.measurements.pressure.enabled`, message: 'an MPL3115A2 in altimeter mode reports altitude, not pressure', hint: 'set measurements.pressure.enabled to false, or settings.mode to "barometer" (altitude is then computed from pressure)' });
      }
      return out;
    }),
  },
  {
    doc: 'An enabled quantity is measured: pressure and altitude need pressure oversampling, everything needs temperature (compensation uses t_fine), humidity needs humidity oversampling.',
    check: (ctx) => eachBmp280(ctx, (s, at) => {
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
      skipped('humidity', ['humidity'], 'a chip with humidity oversampling off does not measure it');
      return out;
    }),
  },
  {
    doc: 'In forced mode, intervalMs is at least the worst-case conversion time of the oversampling chosen.',
    check: (ctx) => eachBmp280(ctx, (s, at) => {
      const needed = maxMeasurementMs(s.settings.oversampling);
      if (s.settings.mode !== 'forced' || s.intervalMs >= needed) return [];
      return [{ path: `${at}.intervalMs`, message: `${s.intervalMs} ms is shorter than one forced conversion (up to ${needed.toFixed(1)} ms)`, hint: `use at least ${Math.ceil(needed)} ms, or less oversampling` }];
    }),
  },
  {
    doc: 'For bmp388, ms5611, bmp180 and mpl3115a2, intervalMs is at least the conversions one reading waits for (datasheet maxima).',
    check: (ctx) => eachSensor(ctx, (s, at) => {
      const needed = readingTimeMs(s);
      if (needed === undefined || s.intervalMs >= needed) return [];
      return [{ path: `${at}.intervalMs`, message: `${s.intervalMs} ms is shorter than one reading of this ${DRIVER_CHIPS[s.driver].chips} (${needed.toFixed(1)} ms of conversions)`, hint: `use at least ${Math.ceil(needed)} ms, or less oversampling` }];
    }),
  },
  {
    doc: 'A raw simulation scenario has raw values; a simulated BMP280 has no dig_H* words; when simulated, standbyMs exists on the simulated chip (10/20 BME280 only, 2000/4000 BMP280 only).',
    check: (ctx) => eachBmp280(ctx, (s, at) => {
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
    doc: 'statusTopic uses only {deviceId}; no two enabled measurements (nor the status) publish to the same topic; every topic, placeholders filled in, is at most 65535 bytes (MQTT 3.1.1 §4.7.3).',
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
      out.push(...eachSensor(ctx, (s, at) => QUANTITIES.flatMap((q) => {
        const m = s.measurements[q];
        if (!m?.enabled) return [];
        const topic = fillTemplate(m.topic, TOPIC_PLACEHOLDERS, { deviceId: top.deviceId, sensor: s.name, measurement: q });
        const path = `${at}.measurements.${q}.topic`;
        const tooLong = topicLengthProblem(topic, path);
        if (tooLong) return [tooLong];
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
