/**
 * The registry is the one place a driver is described: the configuration schema, its checks, the
 * generated reference and `probe` all follow it. Every expectation here is computed from the
 * registry's descriptions, so a new chip is covered by being registered, and a description the
 * rest of the agent does not follow fails here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderConfigReference } from '../agent/config/describe.js';
import { checkConfig, loadConfig } from '../agent/config/load-config.js';
import { formatOf, leaves, type SchemaLeaf } from '../agent/config/schema.js';
import { DRIVER_SCHEMAS, optionDefaults, SENSOR_SCHEMA } from '../agent/config/sensor-schema.js';
import { ManualClock } from '../drivers/clock.js';
import type { DriverDescription } from '../drivers/description.js';
import { registerTransaction } from '../drivers/i2c/register-file.js';
import { SimulatedI2cBus, type I2cDevice } from '../drivers/i2c/simulated-bus.js';
import { optionLeaves, type Option } from '../drivers/options.js';
import { probe, probePlan } from '../drivers/probe.js';
import { DEFAULT_DRIVER, DRIVERS, type AnyDriver } from '../drivers/registry.js';
import { fuzzRandom } from './helpers/fuzz-seed.js';

const hex = (n: number): string => `0x${n.toString(16)}`;
const all: readonly AnyDriver[] = DRIVERS;
const configText = (sensor: Record<string, unknown>, top: Record<string, unknown> = {}): string => JSON.stringify({ deviceId: 'rig', ...top, sensors: [{ name: 'alt', ...sensor }] });
const problemsOf = (sensor: Record<string, unknown>) => checkConfig({ text: configText(sensor), env: {} }).problems;

/** What the reference shows as allowed for an option, derived from the option alone. */
function allowedFor(option: Option): string | undefined {
  const type = option.type;
  if (type.kind === 'choice') return type.values.map(String).join(' | ');
  if (type.kind === 'number') return `${type.integer ? 'integer' : 'number'} ${type.min}–${type.max}`;
  return type.allowed;
}

function leafAt(schema: ReturnType<typeof leaves>, path: string): SchemaLeaf | undefined {
  return schema.find(([p]) => p === path)?.[1];
}

describe('the registry is well formed', () => {
  it('names, aliases and chips are unique across drivers; the first driver is the default', () => {
    const names = all.flatMap((d) => [d.name, ...d.aliases].map((n) => n.toLowerCase()));
    assert.equal(new Set(names).size, names.length, `a name or alias is used twice: ${names.join(' ')}`);
    assert.equal(DEFAULT_DRIVER, all[0]!.name);
    for (const d of all) {
      assert.ok(d.addresses.includes(d.defaultAddress), `${d.name}: default ${hex(d.defaultAddress)} is not one of its addresses`);
      for (const a of d.addresses) {
        assert.ok(a >= 0x03 && a <= 0x77, `${d.name}: ${hex(a)} is not a 7-bit address`);
        assert.ok(d.addressHint.includes(hex(a)), `${d.name}: the address hint does not mention ${hex(a)}`);
      }
      assert.ok(d.measures.length > 0);
      for (const q of Object.keys(d.measuredOnlyBy ?? {})) assert.ok(d.measures.includes(q as never), `${d.name}: ${q} measured only by … but not measured`);
    }
  });

  it('every option has a doc, a default its own check accepts, and a non-empty allowed text', () => {
    for (const d of all) {
      for (const [path, option] of [...optionLeaves(d.settings), ...optionLeaves(d.simulation)]) {
        assert.ok(option.doc.length > 10, `${d.name} ${path}: no doc`);
        assert.ok((allowedFor(option) ?? '').length > 0, `${d.name} ${path}: nothing allowed`);
      }
      const defaults = { settings: optionDefaults(d.settings), simulation: optionDefaults(d.simulation) };
      const text = configText({ driver: d.name, address: hex(d.defaultAddress), settings: defaults.settings, simulation: defaults.simulation });
      assert.deepEqual(checkConfig({ text, env: {} }).problems, [], `${d.name}: its own defaults, written out, are not a valid entry`);
    }
  });

  it('probe refuses two drivers that claim one ID in one register', () => {
    const clash = { name: 'clash', addresses: [0x76], identify: { register: 0xd0, ids: { 0x58: 'NOT-A-BMP280' } } };
    assert.throws(() => probePlan([...all, clash]), /clash and bmp280(, bmp180)? both claim ID 0x58 in register 0xd0/);
  });
});

describe('the configuration schema follows the registry', () => {
  for (const d of all) {
    it(`${d.name}: every option is a key with the driver's doc, default and allowed values; nothing else in settings and simulation`, () => {
      const schema = leaves(DRIVER_SCHEMAS[d.name as keyof typeof DRIVER_SCHEMAS]);
      for (const [section, table] of [['settings', d.settings], ['simulation', d.simulation]] as const) {
        const options = optionLeaves(table).map(([p, o]): [string, Option] => [`${section}.${p}`, o]);
        for (const [path, option] of options) {
          const leaf = leafAt(schema, path);
          assert.ok(leaf, `${d.name}: no key ${path}`);
          assert.equal(leaf.doc, option.doc, `${d.name} ${path}: doc`);
          assert.deepEqual(leaf.default, option.default, `${d.name} ${path}: default`);
          assert.equal(formatOf(leaf).allowed, allowedFor(option), `${d.name} ${path}: allowed`);
        }
        const keys = schema.map(([p]) => p).filter((p) => p.startsWith(`${section}.`));
        const extra = keys.filter((p) => !options.some(([o]) => o === p) && p !== 'simulation.faultRate');
        assert.deepEqual(extra, [], `${d.name}: keys no option declares`);
      }
      assert.equal(leafAt(schema, 'address')!.default, hex(d.defaultAddress));
    });

    it(`${d.name}: loads by its name and each alias, with the option defaults as its settings`, () => {
      for (const spelling of [d.name, ...d.aliases, d.name.toUpperCase()]) {
        const sensor = loadConfig({ text: configText({ driver: spelling }, { i2c: { simulated: true } }), env: {} }).sensors[0]!;
        assert.equal(sensor.driver, d.name, spelling);
        assert.equal(sensor.address, d.defaultAddress, spelling);
        assert.deepEqual(sensor.settings, optionDefaults(d.settings), spelling);
        assert.deepEqual({ ...sensor.simulation, faultRate: undefined }, { ...optionDefaults(d.simulation), faultRate: undefined }, spelling);
        for (const q of ['temperature', 'pressure', 'humidity', 'altitude'] as const) {
          assert.equal(sensor.measurements[q]?.enabled, d.measures.includes(q), `${spelling}: ${q} enabled by default iff measured`);
        }
      }
    });

    it(`${d.name}: every address it has loads; every other 7-bit address is refused with its hint`, () => {
      for (let address = 0x03; address <= 0x77; address++) {
        const problems = problemsOf({ driver: d.name, address: hex(address) }).filter((p) => p.path === 'sensors[0].address');
        if (d.addresses.includes(address)) assert.deepEqual(problems, [], hex(address));
        else {
          assert.equal(problems.length, 1, hex(address));
          assert.equal(problems[0]!.message, `a ${d.chips.join('/')} does not answer at ${hex(address)}`);
          assert.equal(problems[0]!.hint, d.addressHint);
        }
      }
    });
  }

  it('every choice value of every driver is accepted, and mutations of it are refused at its path (seeded)', () => {
    const { seed, random } = fuzzRandom('driver options');
    const mutate = (value: string | number): unknown[] => {
      const text = String(value);
      const at = Math.floor(random() * (text.length + 1));
      return [`${text.slice(0, at)}${String.fromCharCode(33 + Math.floor(random() * 90))}${text.slice(at)}`, `${text} `.repeat(2), typeof value === 'number' ? -value - 1 : { value }, [value], true];
    };
    for (const d of all) {
      for (const [path, option] of optionLeaves(d.settings)) {
        if (option.type.kind !== 'choice') continue;
        const set = (v: unknown): Record<string, unknown> => path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), v) as Record<string, unknown>;
        for (const value of option.type.values) {
          const problems = problemsOf({ driver: d.name, settings: set(value), intervalMs: 10000 });
          // Accepted by its format (a rule across keys may still object: 'skip' with pressure on).
          assert.deepEqual(problems.filter((p) => p.path === `sensors[0].settings.${path}` && /is not a known/.test(p.message)), [], `${d.name} ${path} = ${String(value)} (seed ${seed})`);
          for (const bad of mutate(value)) {
            if (option.type.values.some((v) => String(v).toLowerCase() === String(bad).trim().toLowerCase())) continue; // a legitimate spelling
            const found = problemsOf({ driver: d.name, settings: set(bad) }).filter((p) => p.path === `sensors[0].settings.${path}`);
            assert.equal(found.length, 1, `${d.name} ${path} = ${JSON.stringify(bad)} was not refused (seed ${seed})`);
            assert.ok(found[0]!.message.endsWith(`is not a known ${option.type.what}`), `${found[0]!.message} (seed ${seed})`);
          }
        }
      }
    }
  });

  it('intervalMs below a driver\'s reading time is refused with that time; at it, accepted', () => {
    for (const d of all) {
      const needed = d.readingTimeMs(optionDefaults(d.settings));
      if (needed === undefined) continue;
      const short = problemsOf({ driver: d.name, intervalMs: Math.max(10, Math.ceil(needed) - 1) }).filter((p) => p.path === 'sensors[0].intervalMs');
      if (Math.ceil(needed) - 1 >= 10) {
        assert.equal(short.length, 1, d.name);
        assert.equal(short[0]!.message, `${Math.ceil(needed) - 1} ms is shorter than one reading of this ${d.chips.join('/')} (${needed.toFixed(1)} ms of conversions)`);
      }
      assert.deepEqual(problemsOf({ driver: d.name, intervalMs: Math.ceil(needed) }).filter((p) => p.path === 'sensors[0].intervalMs'), [], d.name);
    }
  });

  it('a quantity a driver does not measure is off by default and refused when enabled', () => {
    for (const d of all) {
      for (const q of (['temperature', 'pressure', 'humidity', 'altitude'] as const).filter((q) => !d.measures.includes(q))) {
        const found = problemsOf({ driver: d.name, measurements: { [q]: { enabled: true } } }).filter((p) => p.path === `sensors[0].measurements.${q}.enabled`);
        assert.equal(found.length, 1, `${d.name} ${q}`);
        assert.equal(found[0]!.message, `a ${d.chips.join('/')} does not measure ${q}`);
      }
    }
  });
});

describe('the generated reference follows the registry', () => {
  const reference = renderConfigReference();
  const rows = reference.split('\n');

  for (const d of all) {
    it(`${d.name}: a row of the driver table with its chips, every address and its reading time`, () => {
      const row = rows.find((r) => r.startsWith(`| \`${d.name}\``));
      assert.ok(row, `no driver row for ${d.name}`);
      for (const chip of d.chips) assert.ok(row.includes(chip), `${d.name}: ${chip}`);
      for (const alias of d.aliases) assert.ok(row.includes(`\`${alias}\``), `${d.name}: alias ${alias}`);
      for (const a of d.addresses) assert.ok(row.includes(`0x${a.toString(16).padStart(2, '0')}`), `${d.name}: ${hex(a)}`);
      const ms = d.readingTimeMs(optionDefaults(d.settings));
      if (ms !== undefined) assert.ok(row.includes(`${ms.toFixed(1)} ms`), `${d.name}: reading time`);
    });

    it(`${d.name}: every option appears, as its own row or as the default driver's identical row; its rules are listed`, () => {
      const base = leaves(SENSOR_SCHEMA);
      for (const [path] of leaves(DRIVER_SCHEMAS[d.name as keyof typeof DRIVER_SCHEMAS]).filter(([p]) => /^(settings|simulation|address)/.test(p))) {
        const own = rows.some((r) => r.startsWith(`| \`sensors[] (${d.name}).${path}\``));
        const shared = rows.some((r) => r.startsWith(`| \`sensors[].${path}\``)) && leafAt(base, path) !== undefined;
        assert.ok(own || shared, `${d.name} ${path} is not in the reference`);
      }
      for (const rule of d.rules ?? []) assert.ok(reference.includes(`- \`${d.name}\`: ${rule.doc}`), `${d.name}: rule ${rule.doc}`);
      assert.ok(rows.some((r) => r.startsWith('- A sensor is at an address') && d.addresses.every((a) => r.includes(hex(a))) && r.includes(d.name)));
    });
  }
});

/** A device that answers one register with an ID and every other register with 0. */
function idRegister(register: number, id: number): I2cDevice {
  let pointer = 0;
  return {
    transfer(write, readLength) {
      const t = registerTransaction(pointer, write, readLength, () => undefined, (r) => (r === register ? id : 0));
      pointer = t.pointer;
      return t.data;
    },
  };
}

describe('probe follows the registry', () => {
  it('every ID of every driver, at every address of that driver, is named as its chip', async () => {
    for (const d of all) {
      if (!('register' in d.identify)) continue;
      for (const [id, chip] of Object.entries(d.identify.ids)) {
        for (const address of d.addresses) {
          const bus = new SimulatedI2cBus().attach(address, idRegister(d.identify.register, Number(id)));
          assert.deepEqual(await probe(bus), [{ address, chip, id: Number(id), supported: true }], `${d.name} ${chip} at ${hex(address)}`);
        }
      }
    }
  });

  it('every driver\'s simulated chip, with its default options, is found at every address it has', async () => {
    for (const d of all) {
      for (const address of d.addresses) {
        const clock = new ManualClock();
        const chip = await d.simulate(clock, { address, settings: optionDefaults(d.settings), simulation: optionDefaults(d.simulation) });
        const [found, ...more] = await probe(new SimulatedI2cBus().attach(address, chip));
        assert.deepEqual(more, []);
        assert.ok(found && found.address === address && found.supported && d.chips.includes(found.chip), `${d.name} at ${hex(address)}: ${JSON.stringify(found)}`);
      }
    }
  });

  it('asks each address only the questions of drivers that can answer there', () => {
    const plan = probePlan();
    const addresses = [...new Set(all.flatMap((d) => d.addresses))].sort((a, b) => a - b);
    assert.deepEqual([...plan.keys()], addresses);
    for (const [address, questions] of plan) {
      const asked = questions.flatMap((q) => q.drivers).sort();
      assert.deepEqual(asked, all.filter((d) => d.addresses.includes(address)).map((d) => d.name).sort(), hex(address));
    }
  });

  it('a chip a new description adds is found, beside the registered ones', async () => {
    const free = Array.from({ length: 0x70 }, (_, i) => 0x08 + i).find((a) => !all.some((d) => d.addresses.includes(a)))!;
    const known = all.find((d) => 'register' in d.identify)!;
    const { register, ids } = known.identify as { register: number; ids: Record<number, string> };
    const [knownId, knownChip] = Object.entries(ids)[0]!;
    const extra: DriverDescription<'xyz'> = {
      ...(all[0] as DriverDescription<string>),
      name: 'xyz',
      chips: ['XYZ1'],
      addresses: [free],
      defaultAddress: free,
      identify: { register: 0x0f, ids: { 0xa5: 'XYZ1' } },
    };
    const bus = new SimulatedI2cBus().attach(free, idRegister(0x0f, 0xa5)).attach(known.defaultAddress, idRegister(register, Number(knownId)));
    const registered = { address: known.defaultAddress, chip: knownChip, id: Number(knownId), supported: true };
    assert.deepEqual(await probe(bus, [...all, extra]), [{ address: free, chip: 'XYZ1', id: 0xa5, supported: true }, registered].sort((a, b) => a.address - b.address));
    assert.deepEqual(await probe(bus), [registered], 'unregistered: not asked');
  });
});
