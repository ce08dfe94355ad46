/**
 * The schema rendered as documentation. The README embeds `renderConfigReference()`'s output, so
 * the schema in `schema.ts` is the one place a setting is described.
 */
import { DRIVERS, type AnyDriver } from '../../drivers/registry.js';
import { BOARD_PROFILES } from './boards.js';
import { AGENT_SCHEMA, CROSS_FIELD_RULES, DRIVER_SCHEMAS, formatOf, INPUT_SCHEMA, leaves, OUTPUT_SCHEMA, RULE_SCHEMA, SENSOR_SCHEMA, SUBSCRIPTION_SCHEMA, type SchemaNode } from './schema.js';
import { optionDefaults } from './sensor-schema.js';

export interface ConfigKeyDoc {
  /** Which schema: the top level, one entry of `sensors`, or one entry of `subscriptions`. */
  section: 'top' | 'sensor' | 'subscription' | 'output' | 'input' | 'rule';
  /** Full key path; entries are written `sensors[].settings.mode`. */
  path: string;
  doc: string;
  /** Allowed values, in words. */
  allowed: string;
  default: unknown;
  /** True when there is no default: the key must be given. */
  required: boolean;
  /** Environment variable, if the key has one. */
  env: string | null;
  sensitive: boolean;
}

function rows(section: ConfigKeyDoc['section'], schema: SchemaNode, prefix: string): ConfigKeyDoc[] {
  return leaves(schema).map(([path, leaf]) => ({
    section,
    path: prefix + path,
    doc: leaf.doc,
    allowed: formatOf(leaf).allowed,
    default: leaf.default,
    required: leaf.default === null && leaf.nullable !== true,
    env: leaf.env ?? null,
    sensitive: leaf.sensitive === true,
  }));
}

/**
 * The keys a driver other than bmp280 has of its own (its `settings`, `simulation`, and defaults
 * that differ), written `sensors[] (ms5611).settings.osr`.
 */
function driverRows(): ConfigKeyDoc[] {
  const common = new Map(rows('sensor', SENSOR_SCHEMA, '').map((d) => [d.path, d]));
  return Object.entries(DRIVER_SCHEMAS).flatMap(([driver, schema]) => schema === SENSOR_SCHEMA ? [] : rows('sensor', schema, '').filter((d) => {
    const same = common.get(d.path);
    return !same || same.doc !== d.doc || same.allowed !== d.allowed || JSON.stringify(same.default) !== JSON.stringify(d.default);
  }).map((d) => ({ ...d, path: `sensors[] (${driver}).${d.path}` })));
}

/** Every key of the configuration, documented, in schema order. */
export function configSchemaDoc(): ConfigKeyDoc[] {
  return [...rows('top', AGENT_SCHEMA, ''), ...rows('sensor', SENSOR_SCHEMA, 'sensors[].'), ...driverRows(), ...rows('subscription', SUBSCRIPTION_SCHEMA, 'subscriptions[].'),
    ...rows('output', OUTPUT_SCHEMA, 'outputs[].'), ...rows('input', INPUT_SCHEMA, 'inputs[].'), ...rows('rule', RULE_SCHEMA, 'rules[].')];
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string): string => `\`${text.replace(/\|/g, '\\|')}\``;

function table(docs: ConfigKeyDoc[]): string[] {
  return [
    '| Key | Description | Allowed | Default | Environment |',
    '| --- | --- | --- | --- | --- |',
    ...docs.map((d) => {
      const fallback = d.required ? '*required*' : code(JSON.stringify(d.default));
      const doc = d.sensitive ? `${d.doc} *Sensitive: masked in logs.*` : d.doc;
      return `| ${code(d.path)} | ${cell(doc)} | ${cell(d.allowed)} | ${fallback} | ${d.env ? code(d.env) : '—'} |`;
    }),
  ];
}

const address = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
/** Registers and IDs as the datasheets write them: 0xD0, 0x58. */
const byte = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;

/** How probe tells the chip: "0xD0 = 0x58, 0x56, 0x57 (BMP280), 0x60 (BME280)". */
function identification(d: AnyDriver): string {
  const identify = d.identify;
  if ('what' in identify) return identify.what;
  const byChip = new Map<string, string[]>();
  for (const [id, chip] of Object.entries(identify.ids)) byChip.set(chip, [...(byChip.get(chip) ?? []), byte(Number(id))]);
  return `${byte(identify.register)} = ${[...byChip].map(([chip, ids]) => `${ids.join(', ')} (${chip})`).join(', ')}`;
}

/** One row per registered driver (drivers/registry.ts): what the registry knows of each. */
export function driverTable(drivers: readonly AnyDriver[] = DRIVERS): string[] {
  return [
    '| `driver` | Chips | Addresses | Measures | `probe` recognises it by | One reading waits (default settings) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...drivers.map((d) => {
      const name = `${code(d.name)}${d.aliases.length ? ` (also ${d.aliases.map(code).join(', ')})` : ''}`;
      const addresses = `${d.addresses.map((a) => (a === d.defaultAddress ? `${address(a)} (default)` : address(a))).join(', ')}: ${d.addressHint}`;
      const measures = d.measures.map((q) => (d.measuredOnlyBy?.[q] ? `${q} (${d.measuredOnlyBy[q]} only)` : q)).join(', ');
      const ms = d.readingTimeMs(optionDefaults(d.settings));
      return `| ${name} | ${cell(d.chips.join(', '))} | ${cell(addresses)} | ${measures} | ${cell(identification(d))} | ${ms === undefined ? 'no wait' : `${ms.toFixed(1)} ms`} |`;
    }),
  ];
}

/** The configuration reference as Markdown: tables per schema, rules across keys, board defaults. */
export function renderConfigReference(): string {
  const docs = configSchemaDoc();
  const of = (section: ConfigKeyDoc['section']): ConfigKeyDoc[] => docs.filter((d) => d.section === section);
  return [
    '<!-- generated by renderConfigReference() (agent/config/describe.ts) from agent/config/schema.ts and the driver registry (drivers/registry.ts): edit those, not this -->',
    '',
    'Precedence: defaults < the JSON file < environment variables < command-line options. Unknown keys are errors.',
    '',
    '### Top level',
    '',
    ...table(of('top')),
    '',
    '### Drivers',
    '',
    'One `driver` per chip family, from the driver registry (`drivers/registry.ts`); the keys a driver has of its own are the `sensors[] (driver)` rows of the next table.',
    '',
    ...driverTable(),
    '',
    '### Each entry of `sensors`',
    '',
    'Array entries have no environment variables of their own (`EDGE_AGENT_SENSORS` replaces the whole array, as JSON).',
    '',
    ...table(of('sensor')),
    '',
    '### Each entry of `subscriptions`',
    '',
    ...table(of('subscription')),
    '',
    '### Each entry of `outputs`, `inputs` and `rules` (subscriber mode)',
    '',
    ...table([...of('output'), ...of('input'), ...of('rule')]),
    '',
    'Each action of `rules[].actions` / `elseActions` is checked by agent/config/actions.ts: see "Subscriber mode: rules and outputs" in the README.',
    '',
    '### Rules across keys',
    '',
    ...CROSS_FIELD_RULES.map((rule) => `- ${rule.doc}`),
    '',
    '### Board defaults',
    '',
    '| `board` | Default `i2c.bus` | Notes |',
    '| --- | --- | --- |',
    ...Object.values(BOARD_PROFILES).map((b) => `| ${code(b.board)} (${b.label}) | ${b.i2c.defaultBus} | ${cell(b.i2c.note)} |`),
    '',
  ].join('\n');
}
