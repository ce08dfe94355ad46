import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeasurementConfig, PayloadFormat } from '../agent/config/types.js';
import { ENCODERS } from '../agent/publishing/encoders.js';
import type { Sample } from '../agent/sampling/reading.js';
import { topicMatches } from '../agent/mqtt/topic-filter.js';
import { ACTION_PLACEHOLDERS, fillTemplate, TOPIC_PLACEHOLDERS } from '../agent/template.js';
import { convert, round, roundExact } from '../agent/sampling/units.js';

const measurement: MeasurementConfig = { enabled: true, unit: 'ft', decimals: 0, format: 'plain', qos: 0, retain: false, topic: 'sensors/{deviceId}/{measurement}', filters: [] };
const sample: Sample = { sensor: 'altimeter', seq: 42, ts: Date.UTC(2026, 10, 24, 10), readings: [{ quantity: 'altitude', value: 100, unit: 'ft', measurement }] };

/** The payload `format` gives a one-reading sample, as text. */
function encodePayload(s: Sample, format: PayloadFormat): string {
  const out: Parameters<(typeof ENCODERS)['plain']['encode']>[3] = [];
  ENCODERS[format].encode(s, s.readings, () => 'topic', out);
  return out[0]!.payload.toString();
}

describe('units', () => {
  it('converts from the canonical units', () => {
    assert.equal(round(convert('altitude', 30.48, 'ft'), 6), 100);
    assert.equal(convert('pressure', 101325, 'hPa'), 1013.25);
    assert.equal(convert('temperature', 100, '°F'), 212);
    assert.equal(convert('temperature', -40, '°F'), -40);
    assert.equal(convert('humidity', 55.5, '%'), 55.5);
  });

  it('refuses a unit of another quantity', () => {
    assert.throws(() => convert('pressure', 1, 'ft'), /unit ft does not measure pressure/);
  });

  it('rounds half away from zero without binary artefacts and without -0', () => {
    assert.equal(round(1.005, 2), 1.01);
    assert.equal(round(-1.005, 2), -1.01);
    assert.equal(round(99.96, 0), 100);
    assert.equal(round(-0.004, 2), 0);
    assert.ok(!Object.is(round(-0.004, 2), -0));
  });

  it('leaves a value that is not finite as it is, instead of turning Infinity into NaN', () => {
    for (const v of [Infinity, -Infinity]) {
      assert.equal(round(v, 2), v);
      assert.equal(roundExact(v, 0), v);
    }
    assert.ok(Number.isNaN(round(NaN, 1)));
  });

  it('the arithmetic fast path agrees with the exact text rounding, ties and all', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const values: number[] = [0, -0, 1.005, 2.675, 1.255, 0.125, -0.125, 1e-7, 123456.789, 99999.5, 0.5, 1.5, -2.5];
    for (let i = 0; i < 20_000; i++) {
      const decimals = i % 5;
      values.push((random() - 0.5) * 10 ** (i % 9)); // readings from µ-values to 1e8
      values.push(Math.round(random() * 1e6) / 10 ** (decimals + 1) + 5 / 10 ** (decimals + 1)); // exact decimal ties
    }
    for (const value of values) {
      for (const decimals of [0, 1, 2, 3, 4, 6]) {
        assert.ok(Object.is(round(value, decimals), roundExact(value, decimals)), `round(${value}, ${decimals}): ${round(value, decimals)} vs ${roundExact(value, decimals)}`);
      }
    }
  });
});

describe('topics', () => {
  it('renders the default template to the classic topic', () => {
    assert.equal(fillTemplate('sensors/{deviceId}/{measurement}', TOPIC_PLACEHOLDERS, { deviceId: 'drone01', measurement: 'altitude' }, { strict: true }), 'sensors/drone01/altitude');
    assert.equal(fillTemplate('{deviceId}/{sensor}/{measurement}', TOPIC_PLACEHOLDERS, { deviceId: 'd', sensor: 's', measurement: 'm' }, { strict: true }), 'd/s/m');
  });

  it('names a placeholder it cannot fill', () => {
    assert.throws(() => fillTemplate('sensors/{deviceId}/{sensor}', TOPIC_PLACEHOLDERS, { deviceId: 'd' }, { strict: true }), /needs \{sensor\}/);
    // The config loader fills what it knows and leaves the rest (and non-placeholders) as written.
    assert.equal(fillTemplate('sensors/{deviceId}/{sensor}/{other}', TOPIC_PLACEHOLDERS, { deviceId: 'd' }), 'sensors/d/{sensor}/{other}');
  });

  it('fills once, left to right: a value that holds a placeholder is not filled again', () => {
    const values = { deviceId: 'd{rule}', rule: 'r{deviceId}', topic: 't', value: '{value}', condition: 'true', ts: 'now' };
    assert.equal(fillTemplate('{deviceId}/{rule}/{value}/{nope}', ACTION_PLACEHOLDERS, values), 'd{rule}/r{deviceId}/{value}/{nope}');
    assert.equal(fillTemplate('{deviceId}-{name}', ['deviceId', 'name'], { deviceId: 'x{name}', name: 'led' }), 'x{name}-led');
  });

  it('matches filters with + and # as MQTT does', () => {
    assert.ok(topicMatches('sensors/drone01/altitude', 'sensors/drone01/altitude'));
    assert.ok(topicMatches('sensors/+/altitude', 'sensors/drone01/altitude'));
    assert.ok(topicMatches('sensors/#', 'sensors/drone01/altitude'));
    assert.ok(topicMatches('sensors/drone01/#', 'sensors/drone01'), '# also matches the parent level');
    assert.ok(topicMatches('$share/fleet/sensors/+/altitude', 'sensors/drone01/altitude'));
    assert.ok(!topicMatches('sensors/+', 'sensors/drone01/altitude'));
    assert.ok(!topicMatches('sensors/+/altitude', 'sensors/drone01/pressure'));
    assert.ok(!topicMatches('#', '$SYS/broker/uptime'), 'wildcards do not match $ topics');
  });
});

describe('payloads', () => {
  it('plain is the number as text', () => {
    assert.equal(encodePayload(sample, 'plain'), '100');
    assert.equal(encodePayload({ ...sample, readings: [{ ...sample.readings[0]!, value: 1009.64 }] }, 'plain'), '1009.64');
  });

  it('json carries value, unit, UTC time and sequence', () => {
    assert.deepEqual(JSON.parse(encodePayload(sample, 'json')), { value: 100, unit: 'ft', ts: '2026-11-24T10:00:00.000Z', seq: 42 });
  });
});
