/**
 * The schema of one `sensors` entry, built from the driver registry (drivers/registry.ts): the keys
 * every sensor has (name, address, interval, faults, measurements: the agent's), then the `settings`
 * and `simulation` the entry's driver describes, and the rules about a sensor that follow from the
 * descriptions (addresses, quantities, reading time) or that a driver brings along. Nothing here
 * names a chip: a registered driver appears in the schema, its checks and the reference as it is.
 */
import { optionLeaves, type Option } from '../../drivers/options.js';
import { DEFAULT_DRIVER, DRIVERS, type AnyDriver, type DriverName } from '../../drivers/registry.js';
import type { Quantity } from '../../drivers/sensor.js';
import type { ConfigProblem } from './config-error.js';
import { FORMATS, type FormatName, type KeyFormat } from './formats.js';
import { optionFormat } from './option-formats.js';
import type { CrossFieldRule, RuleContext, SchemaLeaf, SchemaNode } from './schema.js';
import type { SensorConfig, Unit } from './types.js';

export const QUANTITIES: readonly Quantity[] = ['temperature', 'pressure', 'humidity', 'altitude'];

/** Default unit of each quantity, and the decimals used when `decimals` is null. */
export const DEFAULT_UNIT: Record<Quantity, Unit> = { temperature: '°C', pressure: 'Pa', humidity: '%', altitude: 'm' };
export const DEFAULT_DECIMALS: Record<Unit, number> = { '°C': 2, '°F': 2, Pa: 0, hPa: 2, '%': 1, m: 1, ft: 0 };

const UNIT_FORMAT: Record<Quantity, FormatName> = {
  temperature: 'temperature-unit',
  pressure: 'pressure-unit',
  humidity: 'humidity-unit',
  altitude: 'altitude-unit',
};

const UNIT_FORMAT_OF: Record<Unit, FormatName> = {
  '°C': 'temperature-unit',
  '°F': 'temperature-unit',
  Pa: 'pressure-unit',
  hPa: 'pressure-unit',
  '%': 'humidity-unit',
  m: 'altitude-unit',
  ft: 'altitude-unit',
};

const hex = (n: number): string => `0x${n.toString(16)}`;
/** A driver's chips as messages name them: "BMP388/BMP390" (drivers/description.ts stays types only, unloaded). */
const chipNames = (driver: AnyDriver): string => driver.chips.join('/');

/** How a quantity is published; `enabled` says what this driver's chips do with it. */
function measurementSchema(quantity: Quantity, driver: AnyDriver): SchemaNode {
  const decimals = Object.entries(DEFAULT_DECIMALS)
    .filter(([unit]) => UNIT_FORMAT[quantity] === UNIT_FORMAT_OF[unit as Unit])
    .map(([unit, n]) => `${unit} ${n}`)
    .join(', ');
  const only = driver.measuredOnlyBy?.[quantity];
  const enabled: SchemaLeaf = !driver.measures.includes(quantity)
    ? { doc: `Off: a ${chipNames(driver)} does not measure ${quantity}.`, format: 'flag', default: false }
    : only !== undefined
      ? { doc: `Publish ${quantity} (only a ${only} measures it; skipped on a ${driver.chips.filter((c) => c !== only).join('/')}).`, format: 'flag', default: true }
      : { doc: `Publish ${quantity}.`, format: 'flag', default: true };
  return {
    enabled,
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

/** A driver's option table as schema keys, each with a format of its own named `driver.path`. */
function optionSchema(table: object, prefix: string): SchemaNode {
  const node: SchemaNode = {};
  for (const [path, option] of optionLeaves(table)) {
    const keys = path.split('.');
    let at = node;
    for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as SchemaNode;
    at[keys.at(-1)!] = leafOf(option, `${prefix}.${path}`);
  }
  return node;
}

function leafOf(option: Option, name: string): SchemaLeaf {
  return { doc: option.doc, format: optionFormat(option, name), default: option.default, ...(option.nullable ? { nullable: true } : {}) };
}

/** `driver`: the registered names; their chips' names are accepted too. */
const DRIVER_KEY: SchemaLeaf = {
  doc: `Driver: ${DRIVERS.map((d) => (d.chips.length > 1 ? `${d.name} (${d.chips.join(', ')})` : d.name)).join(', ')}. Each has its own settings (see Supported chips).`,
  format: 'driver',
  default: DEFAULT_DRIVER,
};

const FAULTS = {
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
} satisfies SchemaNode;

/** One message per reading, or one per sample (docs/usage.md, "Payload layouts"). */
const LAYOUT: SchemaLeaf = {
  doc: 'per-measurement: each reading on its measurement\'s topic, in its format; per-sample: one JSON object per sample on sampleTopic, {"ts":<epoch ms>,"seq":n,"<measurement>":value,...} (fewer messages; QoS and retain from the measurements, which must agree).',
  format: 'sample-layout',
  default: 'per-measurement',
};

/** Where a per-sample sensor's messages go unless its sampleTopic says otherwise. */
export const DEFAULT_SAMPLE_TOPIC = 'sensors/{deviceId}/{sensor}';

const SAMPLE_TOPIC: SchemaLeaf = {
  doc: 'With layout per-sample: the topic of the sample message; placeholders {deviceId}, {sensor}.',
  format: 'mqtt-topic',
  default: DEFAULT_SAMPLE_TOPIC,
};

/** The agent's own key in every `simulation` (hardware.ts wraps the simulated chip). */
const FAULT_RATE: SchemaLeaf = {
  doc: 'Share of this chip\'s I2C transactions that fail with EIO (0–1, fixed seed), to watch the fault handling work.',
  format: 'fault-rate',
  default: 0,
};

/** One sensor entry of `driver`: the common keys, then its own `settings` and `simulation`. */
function sensorEntry(driver: AnyDriver): SchemaNode {
  return {
    name: { doc: 'Unique name of this sensor ({sensor} in topics, logs). Required.', format: 'sensor-name', default: null },
    driver: DRIVER_KEY,
    address: { doc: `I2C address of the ${chipNames(driver)}: ${driver.addressHint.replace(/^use /, '')}.`, format: 'i2c-address', default: hex(driver.defaultAddress) },
    intervalMs: { doc: 'Time between readings, ms (at least 10).', format: 'interval-ms', default: 1000 },
    layout: LAYOUT,
    sampleTopic: SAMPLE_TOPIC,
    faults: FAULTS,
    settings: optionSchema(driver.settings, `${driver.name}.settings`),
    measurements: Object.fromEntries(QUANTITIES.map((q) => [q, measurementSchema(q, driver)])),
    simulation: { ...optionSchema(driver.simulation, `${driver.name}.simulation`), faultRate: FAULT_RATE },
  };
}

/** One sensor entry per driver, in registry order. */
export const DRIVER_SCHEMAS: Readonly<Record<DriverName, SchemaNode>> = Object.fromEntries(DRIVERS.map((d) => [d.name, sensorEntry(d)])) as Record<DriverName, SchemaNode>;

/** The entry of the default driver: the reference's `sensors[]` table; the others list what differs. */
export const SENSOR_SCHEMA: SchemaNode = DRIVER_SCHEMAS[DEFAULT_DRIVER];

/** Every format made for a driver's option, for convict (formats.ts registerFormats). */
export function keyFormats(node: SchemaNode): KeyFormat[] {
  return Object.values(node).flatMap((entry): KeyFormat[] => {
    if (!('default' in entry)) return keyFormats(entry as SchemaNode);
    const format = (entry as SchemaLeaf).format;
    return typeof format === 'string' ? [] : [format];
  });
}
export const DRIVER_FORMATS: readonly KeyFormat[] = Object.values(DRIVER_SCHEMAS).flatMap(keyFormats);

/** The schema of a sensor entry with this `driver` value (an unknown driver: the default's, whose driver key reports it). */
export function sensorSchemaFor(driver: unknown): SchemaNode {
  const name = typeof driver === 'string' ? FORMATS.driver.coerce?.(driver) : driver;
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(DRIVER_SCHEMAS, name) ? DRIVER_SCHEMAS[name as DriverName] : SENSOR_SCHEMA;
}

/** The values of an option table's defaults, as a driver would be configured with them. */
export function optionDefaults(table: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, option] of optionLeaves(table)) {
    const keys = path.split('.');
    let at = out;
    for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = option.default;
  }
  return out;
}

/*
 * Rules about sensor entries. They look at valid entries only (RuleContext.sensors), so a key with
 * its own problem is reported once.
 */

function driverOf(s: SensorConfig): AnyDriver {
  return DRIVERS.find((d) => d.name === s.driver)!;
}

export function eachSensor(ctx: RuleContext, fn: (s: SensorConfig, at: string, driver: AnyDriver) => ConfigProblem[]): ConfigProblem[] {
  return ctx.sensors.flatMap((s, i) => (s?.valid ? fn(s.sensor, `sensors[${i}]`, driverOf(s.sensor)) : []));
}

/** Drivers with equal address lists, named together: "bmp280, bmp388 0x76 or 0x77; bmp180 0x77". */
function addressList(): string {
  const groups: Array<{ names: string[]; addresses: readonly number[] }> = [];
  for (const d of DRIVERS) {
    const last = groups.at(-1);
    if (last && last.addresses.join() === d.addresses.join()) last.names.push(d.name);
    else groups.push({ names: [d.name], addresses: d.addresses });
  }
  return groups.map((g) => `${g.names.join(', ')} ${g.addresses.map(hex).join(' or ')}`).join('; ');
}

/** Chips that measure a quantity, for hints: "BME280". */
function chipsMeasuring(quantity: Quantity): string {
  return DRIVERS.filter((d) => d.measures.includes(quantity)).map((d) => d.measuredOnlyBy?.[quantity] ?? chipNames(d)).join(', ');
}

const unmeasured = QUANTITIES.filter((q) => DRIVERS.some((d) => !d.measures.includes(q) || d.measuredOnlyBy?.[q] !== undefined));

/** One reading's wait with each driver's default settings, for the rule's sentence. */
function defaultReadingTimes(): string {
  return DRIVERS.flatMap((d: AnyDriver) => {
    const ms = d.readingTimeMs(optionDefaults(d.settings));
    return ms === undefined ? [] : [`${d.name} ${ms.toFixed(1)} ms`];
  }).join(', ');
}

/** The defaults of a measurement's keys that the per-sample layout does not use. */
const UNUSED_PER_SAMPLE = { format: 'plain', topic: 'sensors/{deviceId}/{measurement}' } as const;

/** A per-sample sensor's keys that would be ignored or cannot be filled. */
function perSampleProblems(s: SensorConfig, at: string, bad: ReadonlySet<string>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (s.sampleTopic !== undefined && !bad.has(`${at}.sampleTopic`) && s.sampleTopic.includes('{measurement}')) {
    out.push({ path: `${at}.sampleTopic`, message: `${JSON.stringify(s.sampleTopic)} uses {measurement}, and a sample holds every measurement`, hint: 'use {deviceId} and {sensor} only, e.g. "sensors/{deviceId}/{sensor}"' });
  }
  for (const q of QUANTITIES) {
    const m = s.measurements[q];
    if (m?.enabled !== true) continue;
    for (const key of ['format', 'topic'] as const) {
      if (m[key] === UNUSED_PER_SAMPLE[key] || bad.has(`${at}.measurements.${q}.${key}`)) continue;
      out.push({
        path: `${at}.measurements.${q}.${key}`,
        message: `${key} ${JSON.stringify(m[key])} is not used with layout "per-sample"`,
        hint: key === 'format'
          ? 'a per-sample message is one JSON object {"ts","seq","<measurement>":value}: remove format, or set layout to "per-measurement"'
          : 'the sample is published on the sensor\'s sampleTopic: remove this topic (or set sampleTopic), or set layout to "per-measurement"',
      });
    }
  }
  return out;
}

/** The rules about sensors: those every driver's description drives, then each driver's own. */
export const SENSOR_RULES: CrossFieldRule[] = [
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
    doc: `A sensor is at an address its chip can answer at: ${addressList()}.`,
    check: (ctx) => eachSensor(ctx, (s, at, d) => (d.addresses.includes(s.address) ? [] : [{ path: `${at}.address`, message: `a ${chipNames(d)} does not answer at ${hex(s.address)}`, hint: d.addressHint }])),
  },
  {
    doc: `An enabled quantity is one the chip measures (${unmeasured.map((q) => `no ${q} but on a ${chipsMeasuring(q)}`).join('; ')}).`,
    check: (ctx) => eachSensor(ctx, (s, at, d) => QUANTITIES.filter((q) => s.measurements[q]?.enabled === true && !d.measures.includes(q)).map((q) => ({
      path: `${at}.measurements.${q}.enabled`,
      message: `a ${chipNames(d)} does not measure ${q}`,
      hint: `set measurements.${q}.enabled to false (or remove it), or use a chip that measures ${q} (${chipsMeasuring(q)})`,
    }))),
  },
  {
    doc: `intervalMs is at least the conversions one reading waits for, at the datasheet maxima for the settings chosen (with the default settings: ${defaultReadingTimes()}).`,
    check: (ctx) => eachSensor(ctx, (s, at, d) => {
      const needed = d.readingTimeMs(s.settings);
      if (needed === undefined || s.intervalMs >= needed) return [];
      return [{ path: `${at}.intervalMs`, message: `${s.intervalMs} ms is shorter than one reading of this ${chipNames(d)} (${needed.toFixed(1)} ms of conversions)`, hint: `use at least ${Math.ceil(needed)} ms, or less oversampling` }];
    }),
  },
  {
    doc: 'With layout per-sample, sampleTopic uses {deviceId} and {sensor} only, and the measurements keep the default format and topic (the sample is one JSON object on sampleTopic); its QoS is the highest of its enabled measurements\', and it is retained if any of them is.',
    check: (ctx) => eachSensor(ctx, (s, at) => (s.layout === 'per-sample' ? perSampleProblems(s, at, ctx.bad) : [])),
  },
  ...DRIVERS.flatMap((d: AnyDriver) => (d.rules ?? []).map((rule): CrossFieldRule => ({
    doc: `\`${d.name}\`: ${rule.doc}`,
    check: (ctx) => eachSensor(ctx, (s, at, driver) => {
      if (driver !== d) return [];
      const enabled = new Set(QUANTITIES.filter((q) => s.measurements[q]?.enabled === true));
      const entry = { address: s.address, intervalMs: s.intervalMs, settings: s.settings, simulation: s.simulation, enabled };
      return rule.check(entry, { simulated: ctx.top.i2c.simulated === true }).map((p) => ({ ...p, path: `${at}.${p.path}` }));
    }),
  }))),
];
