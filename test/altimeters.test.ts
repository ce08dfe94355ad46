/**
 * What every driver shares: configured through its own `driver` entry, simulated from the same
 * flight profile, and recognised by probe. One table of drivers; a new chip adds one row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FORMATS } from '../agent/config/formats.js';
import { checkConfig, loadConfig } from '../agent/config/load-config.js';
import { DRIVER_SCHEMAS, leaves } from '../agent/config/schema.js';
import type { DriverName } from '../agent/config/types.js';
import { simulatedBus } from '../agent/hardware.js';
import { createSensor } from '../agent/sensors.js';
import { ManualClock } from '../drivers/clock.js';
import { flightProfile } from '../drivers/environment.js';
import { probe } from '../drivers/probe.js';
import { runCli, writeTempConfig } from './helpers/agent-process.js';
import { drive, near, valueOf } from './helpers/drive.js';

/** Each driver, the address its board usually has, and what probe calls the simulated chip. */
const DRIVERS: Array<{ driver: DriverName; address: number; chip: string; id: number }> = [
  { driver: 'bmp280', address: 0x76, chip: 'BMP280', id: 0x58 },
  { driver: 'bmp388', address: 0x77, chip: 'BMP388', id: 0x50 },
  { driver: 'ms5611', address: 0x77, chip: 'MS5611', id: 0xb },
  { driver: 'bmp180', address: 0x77, chip: 'BMP180', id: 0x55 },
  { driver: 'mpl3115a2', address: 0x60, chip: 'MPL3115A2', id: 0xc4 },
];

const hexAddress = (n: number): string => `0x${n.toString(16)}`;
const configText = (sensors: unknown[]): string => JSON.stringify({ deviceId: 'rig', i2c: { simulated: true }, sensors });

describe('every driver flies the same simulated flight', () => {
  for (const { driver, address } of DRIVERS) {
    it(`${driver}: altitude follows the shared flight profile within 0.5 m over one 60 s cycle`, async () => {
      const config = loadConfig({ text: configText([{ name: 'alt', driver, address: hexAddress(address) }]), env: {} });
      const sensorConfig = config.sensors[0]!;
      const clock = new ManualClock();
      const sensor = await createSensor(await simulatedBus(config, clock), clock, sensorConfig);
      const profile = flightProfile({ hoverFt: 100, cycleS: 60, temperatureC: 20 });
      await drive(clock, sensor.init());
      let highest = 0;
      for (let s = 0; s < 60; s++) {
        const m = await drive(clock, sensor.read());
        // The conversion ends within a few ms of now; the climb rate peaks near 4 m/s, hence 0.5 m.
        near(valueOf(m, 'altitude'), profile.altitudeM(clock.now()), 0.5, `${driver} altitude at ${clock.now()} ms`);
        highest = Math.max(highest, valueOf(m, 'altitude')!);
        await clock.advance(1000 - (clock.now() % 1000));
      }
      near(highest, 30.48, 0.5, `${driver} hover height (100 ft)`);
    });
  }
});

describe('every driver declares its datasheet operating range (the sampler rejects values outside it)', () => {
  for (const { driver, address } of DRIVERS) {
    it(`${driver}: pressure and temperature limits, and a normal reading inside them`, async () => {
      const config = loadConfig({ text: configText([{ name: 'alt', driver, address: hexAddress(address), simulation: { scenario: 'static' } }]), env: {} });
      const clock = new ManualClock();
      const sensor = await createSensor(await simulatedBus(config, clock), clock, config.sensors[0]!);
      const range = sensor.operatingRange;
      assert.ok(range?.pressure && range.temperature, `${driver} declares pressure and temperature limits`);
      assert.ok(range.temperature.min <= -40 && range.temperature.max >= 85, 'at least the common −40…+85 °C');
      await drive(clock, sensor.init());
      const m = await drive(clock, sensor.read());
      for (const q of ['pressure', 'temperature'] as const) {
        const v = valueOf(m, q);
        if (v === undefined) continue; // MPL3115A2 in altimeter mode has no pressure
        assert.ok(v >= range[q]!.min && v <= range[q]!.max, `${driver} ${q} ${v} inside its range`);
      }
    });
  }
});

describe('per-driver config entries', () => {
  it('every driver has a schema whose keys have doc, a known format and a default', () => {
    assert.deepEqual(Object.keys(DRIVER_SCHEMAS), DRIVERS.map((d) => d.driver));
    for (const [driver, schema] of Object.entries(DRIVER_SCHEMAS)) {
      for (const [path, leaf] of leaves(schema)) {
        assert.ok(leaf.doc.length > 10, `${driver} ${path} has no doc`);
        const format = typeof leaf.format === 'string' ? FORMATS[leaf.format] : leaf.format;
        assert.ok(format !== undefined && format.allowed.length > 0, `${driver} ${path}: unknown format ${String(leaf.format)}`);
        assert.ok('default' in leaf, `${driver} ${path} has no default`);
      }
    }
  });

  const problems = (sensor: Record<string, unknown>) => checkConfig({ text: configText([{ name: 'alt', ...sensor }]), env: {} }).problems;
  const at = (list: ReturnType<typeof problems>, path: string) => {
    const found = list.find((p) => p.path === path);
    assert.ok(found, `no problem at ${path}; got ${JSON.stringify(list)}`);
    return found;
  };

  it('a bmp388 entry resolves with its own settings and defaults (address 0x77, humidity off)', () => {
    const config = loadConfig({ text: configText([{ name: 'alt', driver: 'BMP390' }]), env: {} });
    const sensor = config.sensors[0]!;
    assert.ok(sensor.driver === 'bmp388');
    assert.equal(sensor.address, 0x77);
    assert.deepEqual(sensor.settings, { oversampling: { temperature: 'x2', pressure: 'x16' }, filter: 'off', seaLevelPa: 101325 });
    assert.equal(sensor.measurements.humidity?.enabled, false);
    assert.equal(sensor.simulation.chip, 'bmp388');
  });

  it('bmp388: a bad option names its full path and the allowed values', () => {
    const p = at(problems({ driver: 'bmp388', settings: { oversampling: { pressure: 'x64' } } }), 'sensors[0].settings.oversampling.pressure');
    assert.match(p.message, /"x64" is not a known BMP388 oversampling/);
    assert.match(p.hint, /"x1", "x2", "x4", "x8", "x16", "x32"/);
  });

  it('ms5611: osr is one of the five ratios, taken from a string too; the address follows CSB', () => {
    const p = at(problems({ driver: 'ms5611', settings: { osr: 8192 } }), 'sensors[0].settings.osr');
    assert.match(p.message, /8192 is not a known MS5611 oversampling ratio/);
    assert.match(p.hint, /256, 512, 1024, 2048, 4096/);
    const config = loadConfig({ text: configText([{ name: 'alt', driver: 'ms5611', address: '0x76', settings: { osr: '1024' } }]), env: {} });
    const sensor = config.sensors[0]!;
    assert.ok(sensor.driver === 'ms5611');
    assert.equal(sensor.settings.osr, 1024);
    assert.match(at(problems({ driver: 'ms5611', address: '0x60' }), 'sensors[0].address').hint, /0x77 \(CSB to GND/);
  });

  it('bmp180: only at 0x77; oversampling names the four oss', () => {
    assert.match(at(problems({ driver: 'bmp180', address: '0x76' }), 'sensors[0].address').message, /a BMP180\/BMP085 does not answer at 0x76/);
    assert.match(at(problems({ driver: 'bmp085', settings: { oversampling: 'x16' } }), 'sensors[0].settings.oversampling').hint, /"x1", "x2", "x4", "x8"/);
  });

  it('mpl3115a2: altimeter mode cannot publish pressure; barometer mode can', () => {
    const p = at(problems({ driver: 'mpl3115a2', address: '0x60', settings: { mode: 'altimeter' } }), 'sensors[0].measurements.pressure.enabled');
    assert.match(p.message, /altimeter mode reports altitude, not pressure/);
    assert.match(p.hint, /"barometer"/);
    assert.deepEqual(problems({ driver: 'mpl3115a2', settings: { mode: 'altimeter' }, measurements: { pressure: { enabled: false } } }), []);
    assert.match(at(problems({ driver: 'mpl3115a2', address: '0x77' }), 'sensors[0].address').hint, /only at 0x60/);
  });

  it('intervalMs covers one reading\'s conversions, from each chip\'s timing table', () => {
    const p = at(problems({ driver: 'mpl3115a2', intervalMs: 100 }), 'sensors[0].intervalMs');
    assert.match(p.message, /100 ms is shorter than one reading of this MPL3115A2 \(512\.0 ms/);
    assert.match(p.hint, /at least 512 ms/);
    assert.match(at(problems({ driver: 'ms5611', intervalMs: 15 }), 'sensors[0].intervalMs').message, /18\.1 ms/);
    assert.match(at(problems({ driver: 'bmp388', intervalMs: 50, settings: { oversampling: { pressure: 'x32' } } }), 'sensors[0].intervalMs').message, /69\.5 ms/);
    assert.deepEqual(problems({ driver: 'bmp180', intervalMs: 30 }), []);
  });

  it('bmp388: BMP280-only keys are unknown keys, humidity is not measured, 0x60 is not an address', () => {
    const list = problems({ driver: 'bmp388', address: '0x60', settings: { standbyMs: 10 }, measurements: { humidity: { enabled: true } } });
    assert.match(at(list, 'sensors[0].settings.standbyMs').message, /unknown key 'standbyMs'/);
    assert.equal(list.length, 1, 'the entry is not valid: cross-key rules wait until the key is fixed');
    const rules = problems({ driver: 'bmp388', address: '0x60', measurements: { humidity: { enabled: true } } });
    assert.match(at(rules, 'sensors[0].address').hint, /0x76 \(SDO to GND\) or 0x77/);
    const humidity = at(rules, 'sensors[0].measurements.humidity.enabled');
    assert.match(humidity.message, /BMP388\/BMP390 does not measure humidity/);
    assert.match(humidity.hint, /set measurements\.humidity\.enabled to false/);
  });
});

describe('probe recognises every chip', () => {
  it('each chip alone on a simulated bus, at its usual address', async () => {
    for (const { driver, address, chip, id } of DRIVERS) {
      const config = loadConfig({ text: configText([{ name: 'alt', driver, address: hexAddress(address) }]), env: {} });
      assert.deepEqual(await probe(await simulatedBus(config, new ManualClock())), [{ address, chip, id, supported: true }], driver);
    }
  });

  it('a BMP280 at 0x76 beside a BMP388 at 0x77', async () => {
    const topic = (name: string) => Object.fromEntries(['temperature', 'pressure', 'altitude'].map((q) => [q, { topic: `sensors/{deviceId}/${name}/{measurement}` }]));
    const sensors = [
      { name: 'a', driver: 'bmp280', address: '0x76', measurements: topic('a') },
      { name: 'b', driver: 'bmp388', address: '0x77', measurements: topic('b') },
    ];
    const config = loadConfig({ text: configText(sensors), env: {} });
    assert.deepEqual(await probe(await simulatedBus(config, new ManualClock())), [
      { address: 0x76, chip: 'BMP280', id: 0x58, supported: true },
      { address: 0x77, chip: 'BMP388', id: 0x50, supported: true },
    ]);
  });

  it('through the CLI, naming each chip and its address', () => {
    for (const { driver, address, chip, id } of DRIVERS) {
      const file = writeTempConfig({ deviceId: 'rig', sensors: [{ name: 'alt', driver, address: hexAddress(address) }] });
      const result = runCli(['probe', '--simulate', '--config', file]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`${hexAddress(address)}: ${chip} \\(id 0x${id.toString(16).padStart(2, '0')}\\)\\n`));
    }
  });

  it('reads a BMP390 as BMP390 (0x60 at 0x00), not as the BME280 whose 0x60 is at 0xD0', async () => {
    const config = loadConfig({ text: configText([{ name: 'a', driver: 'bmp388', address: '0x76', simulation: { chip: 'bmp390' } }]), env: {} });
    assert.deepEqual(await probe(await simulatedBus(config, new ManualClock())), [{ address: 0x76, chip: 'BMP390', id: 0x60, supported: true }]);
  });
});


