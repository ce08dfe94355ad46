/**
 * The per-sample layout: one JSON object per sample (agent/publishing/encoders.ts SAMPLE_ENCODER),
 * chosen per sensor (`layout`, `sampleTopic`), its QoS and retain flag from the sensor's
 * measurements, and the config's checks around it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, type ConfigProblem } from '../agent/config/config-error.js';
import { loadConfig } from '../agent/config/load-config.js';
import type { MeasurementConfig, SensorConfig } from '../agent/config/types.js';
import { extractValue } from '../agent/features/conditions.js';
import { Publisher } from '../agent/publishing/publisher.js';
import type { Reading, Sample } from '../agent/sampling/reading.js';

const base: MeasurementConfig = { enabled: true, unit: '°C', decimals: 2, format: 'plain', qos: 0, retain: false, topic: 'sensors/{deviceId}/{measurement}', filters: [] };
const TS = Date.UTC(2026, 10, 25, 12, 0, 0, 250);

/** A hand-built per-sample sensor: temperature, pressure and humidity, as `change` says. */
function sensor(change: Partial<Record<'temperature' | 'pressure' | 'humidity', Partial<MeasurementConfig>>> = {}, extra: Partial<SensorConfig> = {}): SensorConfig {
  return {
    name: 'env', driver: 'bmp280', address: 0x76, intervalMs: 50, layout: 'per-sample', sampleTopic: 'sensors/{deviceId}/{sensor}',
    measurements: {
      temperature: { ...base, ...change.temperature },
      pressure: { ...base, unit: 'hPa', ...change.pressure },
      humidity: { ...base, unit: '%', decimals: 1, ...change.humidity },
    },
    ...extra,
  } as SensorConfig;
}

function reading(s: SensorConfig, quantity: 'temperature' | 'pressure' | 'humidity', value: number): Reading {
  const measurement = s.measurements[quantity]!;
  return { quantity, value, unit: measurement.unit, measurement };
}

describe('SAMPLE_ENCODER through the Publisher', () => {
  it('gives one message per sample, byte for byte: ts in epoch ms, seq, then each reading in order', () => {
    const s = sensor();
    const [message, ...rest] = new Publisher('pi01', [s]).messages([{ sensor: 'env', seq: 42, ts: TS, readings: [reading(s, 'temperature', 21.5), reading(s, 'pressure', 1013.25), reading(s, 'humidity', 40)] }]);
    assert.equal(rest.length, 0);
    assert.equal(message!.topic, 'sensors/pi01/env');
    assert.equal(message!.payload.toString('utf8'), `{"ts":${TS},"seq":42,"temperature":21.5,"pressure":1013.25,"humidity":40}`);
    assert.deepEqual([message!.qos, message!.retain, message!.ts, message!.sensor, message!.seq], [0, false, TS, 'env', 42]);
    assert.ok(Buffer.isBuffer(message!.payload));
  });

  it('writes values as rounded by sampling, negative, tiny and huge ones as valid JSON', () => {
    const s = sensor();
    const cases: Array<[number, string]> = [[-0.5, '-0.5'], [0, '0'], [-0, '0'], [1e-7, '1e-7'], [1e21, '1e+21'], [101325, '101325']];
    for (const [value, text] of cases) {
      const [message] = new Publisher('d', [s]).messages([{ sensor: 'env', seq: 1, ts: 0, readings: [reading(s, 'temperature', value)] }]);
      const payload = message!.payload.toString();
      assert.equal(payload, `{"ts":0,"seq":1,"temperature":${text}}`);
      assert.equal(JSON.parse(payload).temperature, value === -0 ? 0 : value);
    }
  });

  it('never writes NaN or Infinity: such a value is left out, and a sample of nothing else gives no message', () => {
    const s = sensor();
    const publisher = new Publisher('d', [s]);
    const [message] = publisher.messages([{ sensor: 'env', seq: 3, ts: 5, readings: [reading(s, 'temperature', Number.NaN), reading(s, 'pressure', 1000), reading(s, 'humidity', Number.POSITIVE_INFINITY)] }]);
    assert.deepEqual(JSON.parse(message!.payload.toString()), { ts: 5, seq: 3, pressure: 1000 });
    assert.deepEqual(publisher.messages([{ sensor: 'env', seq: 4, ts: 6, readings: [reading(s, 'temperature', Number.NEGATIVE_INFINITY)] }]), []);
  });

  it('holds only the readings the filters let through; a sample with none publishes nothing', () => {
    const s = sensor();
    const publisher = new Publisher('d', [s]);
    const [message] = publisher.messages([{ sensor: 'env', seq: 9, ts: 1, readings: [reading(s, 'pressure', 1000.5)] }]);
    assert.equal(message!.payload.toString(), '{"ts":1,"seq":9,"pressure":1000.5}');
    assert.deepEqual(publisher.messages([{ sensor: 'env', seq: 10, ts: 2, readings: [] }]), []);
  });

  it('says every message of a sensor alike: the highest QoS of its enabled measurements, retained if any is', () => {
    const s = sensor({ temperature: { qos: 0 }, pressure: { qos: 1, retain: true }, humidity: { qos: 2, enabled: false } });
    const publisher = new Publisher('d', [s]);
    // A sample holding only temperature (QoS 0, not retained) still goes as the sensor's message does.
    const [message] = publisher.messages([{ sensor: 'env', seq: 1, ts: 1, readings: [reading(s, 'temperature', 20)] }]);
    assert.deepEqual([message!.qos, message!.retain], [1, true]);
  });

  it('leaves other sensors per measurement, in the same tick and in order', () => {
    const s = sensor();
    const other: SensorConfig = { ...sensor(), name: 'alt', layout: 'per-measurement' } as SensorConfig;
    const samples: Sample[] = [
      { sensor: 'alt', seq: 1, ts: 0, readings: [reading(other, 'temperature', 1), reading(other, 'pressure', 2)] },
      { sensor: 'env', seq: 1, ts: 0, readings: [reading(s, 'temperature', 3), reading(s, 'pressure', 4)] },
    ];
    const messages = new Publisher('d', [other, s]).messages(samples);
    assert.deepEqual(messages.map((m) => [m.topic, m.payload.toString()]), [
      ['sensors/d/temperature', '1'],
      ['sensors/d/pressure', '2'],
      ['sensors/d/env', '{"ts":0,"seq":1,"temperature":3,"pressure":4}'],
    ]);
  });

  it('a per-sample message is read back by a rule\'s condition field, and hostile neighbours cannot fool it', () => {
    const s = sensor();
    const [message] = new Publisher('d', [s]).messages([{ sensor: 'env', seq: 1, ts: 0, readings: [reading(s, 'temperature', 31.25), reading(s, 'humidity', 55)] }]);
    const condition = { field: 'temperature', above: 30, atLeast: null, below: null, atMost: null, equals: null, hysteresis: 0 };
    assert.deepEqual(extractValue(condition, message!.payload.toString()), { value: 31.25 });
    assert.deepEqual(extractValue({ ...condition, field: 'pressure' }, message!.payload.toString()), { reason: 'wrong-type', detail: "payload has no field 'pressure'" });
  });
});

describe('a rule reading a per-sample message (condition.field), hostile payloads', () => {
  const condition = { field: 'altitude', above: null, atLeast: 100, below: null, atMost: null, equals: null, hysteresis: 0 };
  const refused = (payload: string, field = 'altitude'): string => {
    const result = extractValue({ ...condition, field }, payload);
    assert.ok('reason' in result, `${payload} gave ${JSON.stringify(result)}`);
    return result.reason;
  };

  it('takes only an own, finite number field', () => {
    assert.deepEqual(extractValue(condition, '{"ts":1,"seq":2,"altitude":120.5}'), { value: 120.5 });
    assert.equal(refused('{"ts":1,"seq":2}'), 'wrong-type');
    assert.equal(refused('{"altitude":"120"}'), 'wrong-type');
    assert.equal(refused('{"altitude":null}'), 'wrong-type');
    assert.equal(refused('{"altitude":{"value":120}}'), 'wrong-type');
    assert.equal(refused('{"altitude":1e999}'), 'wrong-type');
    assert.equal(refused('[{"altitude":120}]'), 'wrong-type');
    assert.equal(refused('{"altitude":120'), 'malformed');
  });

  it('prototype keys neither supply a value nor reach Object.prototype', () => {
    assert.equal(refused('{"__proto__":{"altitude":120}}'), 'wrong-type');
    assert.equal(refused('{"constructor":{"prototype":{"altitude":120}}}'), 'wrong-type');
    // Inherited names are not fields of a payload that lacks them.
    for (const field of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) assert.equal(refused('{"ts":1,"seq":2}', field), 'wrong-type', field);
    // A payload's own __proto__ key is only a key: read as such, and nothing else is polluted.
    assert.deepEqual(extractValue({ ...condition, field: '__proto__' }, '{"__proto__":150}'), { value: 150 });
    assert.equal(({} as Record<string, unknown>).altitude, undefined);
  });

  it('a large object within the size limit is read, the field found wherever it stands', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',');
    assert.deepEqual(extractValue(condition, `{${keys},"altitude":101}`), { value: 101 });
    assert.deepEqual(extractValue(condition, `{"altitude":99,${keys}}`), { value: 99 });
  });
});

describe('layout in the configuration', () => {
  const load = (sensors: unknown[], extra: Record<string, unknown> = {}) => loadConfig({ text: JSON.stringify({ deviceId: 'pi01', sensors, ...extra }), env: {} });
  function problems(sensors: unknown[], extra: Record<string, unknown> = {}): ConfigProblem[] {
    try {
      load(sensors, extra);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.problems;
    }
    return assert.fail('expected a ConfigError');
  }
  const at = (list: ConfigProblem[], path: string): ConfigProblem => {
    const found = list.find((p) => p.path === path);
    assert.ok(found, `no problem at ${path}: ${list.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    return found;
  };

  it('defaults to per-measurement with sampleTopic sensors/{deviceId}/{sensor}, so nothing changes for existing configs', () => {
    const [s] = load([{ name: 'baro' }]).sensors;
    assert.equal(s!.layout, 'per-measurement');
    assert.equal(s!.sampleTopic, 'sensors/{deviceId}/{sensor}');
  });

  it('takes per-sample, and the publisher built from the loaded config uses it', () => {
    const config = load([{ name: 'baro', layout: 'per-sample', sampleTopic: 'tele/{deviceId}/{sensor}/SENSOR', measurements: { temperature: { qos: 1 } } }]);
    const s = config.sensors[0]!;
    assert.equal(s.layout, 'per-sample');
    const readings = (['temperature', 'pressure'] as const).map((q, i) => ({ quantity: q, value: i + 0.5, unit: s.measurements[q]!.unit, measurement: s.measurements[q]! }));
    const [message, ...rest] = new Publisher(config.deviceId, config.sensors).messages([{ sensor: 'baro', seq: 1, ts: 0, readings }]);
    assert.equal(rest.length, 0);
    assert.deepEqual([message!.topic, message!.qos, message!.payload.toString()], ['tele/pi01/baro/SENSOR', 1, '{"ts":0,"seq":1,"temperature":0.5,"pressure":1.5}']);
  });

  it('refuses an unknown layout with the values allowed', () => {
    const problem = at(problems([{ name: 'baro', layout: 'grouped' }]), 'sensors[0].layout');
    assert.match(`${problem.message} ${problem.hint}`, /per-sample/);
  });

  it('refuses {measurement} in sampleTopic, and a measurement format or topic the layout would ignore', () => {
    const list = problems([{ name: 'baro', layout: 'per-sample', sampleTopic: 's/{sensor}/{measurement}', measurements: { temperature: { format: 'json' }, pressure: { topic: 'p/{sensor}' } } }]);
    assert.match(at(list, 'sensors[0].sampleTopic').message, /\{measurement\}/);
    assert.match(at(list, 'sensors[0].measurements.temperature.format').hint, /per-measurement/);
    assert.match(at(list, 'sensors[0].measurements.pressure.topic').hint, /sampleTopic/);
    // A disabled measurement's keys are not used either way: not reported.
    assert.deepEqual(problems([{ name: 'baro', layout: 'per-sample', measurements: { temperature: { format: 'json' }, pressure: { enabled: false, format: 'json' } } }]).map((p) => p.path), ['sensors[0].measurements.temperature.format']);
  });

  it('a per-measurement sensor keeps its measurements\' formats and topics, and its sampleTopic is not checked for collisions', () => {
    const config = load([{ name: 'status', measurements: { temperature: { format: 'json', topic: 't/{sensor}' }, pressure: { topic: 'p/{sensor}' } } }]);
    assert.equal(config.sensors[0]!.measurements.temperature!.format, 'json');
  });

  it('finds a sample topic used twice, or used by a measurement, the status or the health topic', () => {
    const two = problems([{ name: 'a', layout: 'per-sample', sampleTopic: 'x/{deviceId}' }, { name: 'b', address: '0x77', layout: 'per-sample', sampleTopic: 'x/{deviceId}' }]);
    const problem = at(two, 'sensors[1].sampleTopic');
    assert.match(problem.message, /'x\/pi01', which sensors\[0\]\.sampleTopic already uses/);
    assert.match(problem.hint, /own topic/);
    const withMeasurement = problems([{ name: 'a', measurements: { temperature: { topic: 'x/t' }, pressure: { topic: 'x/p' } } }, { name: 'b', address: '0x77', layout: 'per-sample', sampleTopic: 'x/t' }]);
    assert.match(at(withMeasurement, 'sensors[1].sampleTopic').message, /sensors\[0\]\.measurements\.temperature\.topic/);
    assert.match(at(problems([{ name: 'status', layout: 'per-sample' }]), 'sensors[0].sampleTopic').message, /mqtt\.statusTopic/);
    assert.match(at(problems([{ name: 'health', layout: 'per-sample' }]), 'sensors[0].sampleTopic').message, /health\.topic/);
    // With health reports off, its topic is free.
    assert.equal(load([{ name: 'health', layout: 'per-sample' }], { health: { intervalS: 0 } }).sensors[0]!.name, 'health');
  });
});
