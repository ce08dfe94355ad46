import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeasurementConfig } from '../agent/config/types.js';
import { Publisher } from '../agent/publishing/publisher.js';
import type { Sample } from '../agent/sampling/reading.js';

const altitude: MeasurementConfig = { enabled: true, unit: 'ft', decimals: 0, format: 'plain', qos: 0, retain: false, topic: 'sensors/{deviceId}/{sensor}/{measurement}', filters: [] };

/** A sample of one altitude reading, published as `measurement` says. */
function sample(sensor: string, value: number, seq: number, measurement: MeasurementConfig = altitude): Sample {
  return { sensor, seq, ts: Date.UTC(2026, 10, 25), readings: [{ quantity: 'altitude', value, unit: 'ft', measurement }] };
}

const shown = (messages: Array<{ topic: string; payload: Buffer }>): string[][] => messages.map((m) => [m.topic, m.payload.toString()]);

describe('Publisher', () => {
  it('gives each sensor its own topic when sensors share one measurement entry (clones of a template)', () => {
    const publisher = new Publisher('drone01');
    const first = publisher.messages([sample('left', 100, 1), sample('right', 101, 1)]);
    const again = publisher.messages([sample('right', 102, 2), sample('left', 103, 2)]);
    assert.deepEqual(shown(first), [['sensors/drone01/left/altitude', '100'], ['sensors/drone01/right/altitude', '101']]);
    assert.deepEqual(shown(again), [['sensors/drone01/right/altitude', '102'], ['sensors/drone01/left/altitude', '103']]);
  });

  it('keeps entries apart: the same sensor under another template gets that template\'s topic', () => {
    const publisher = new Publisher('drone01');
    const own: MeasurementConfig = { ...altitude, topic: 'alt/{sensor}' };
    const [a] = publisher.messages([sample('baro', 1, 1, own)]);
    const [b] = publisher.messages([sample('baro', 2, 2, own)]);
    assert.equal(a!.topic, 'alt/baro');
    assert.equal(b!.topic, 'alt/baro');
    const [c] = publisher.messages([sample('baro', 3, 3)]);
    assert.equal(c!.topic, 'sensors/drone01/baro/altitude');
  });

  it('gives each quantity its own topic even when a hand-built config shares one entry between them', () => {
    const publisher = new Publisher('d');
    const shared: MeasurementConfig = { ...altitude, unit: 'Pa' };
    const messages = (seq: number) => publisher.messages([{
      sensor: 'baro', seq, ts: Date.UTC(2026, 10, 25),
      readings: [{ quantity: 'altitude', value: 1, unit: 'Pa', measurement: shared }, { quantity: 'pressure', value: 2, unit: 'Pa', measurement: shared }],
    }]);
    for (const seq of [1, 2]) assert.deepEqual(messages(seq).map((m) => m.topic), ['sensors/d/baro/altitude', 'sensors/d/baro/pressure']);
  });
});

describe('encoders', () => {
  it('a sample whose measurements mix formats gives its messages in the readings\' order, each in its format', () => {
    const publisher = new Publisher('d');
    const json: MeasurementConfig = { ...altitude, format: 'json', topic: 'j/{measurement}' };
    const [a, b, c] = publisher.messages([{
      sensor: 'baro', seq: 7, ts: Date.UTC(2026, 10, 25),
      readings: [
        { quantity: 'altitude', value: 100, unit: 'ft', measurement: altitude },
        { quantity: 'pressure', value: 1013.2, unit: 'hPa', measurement: json },
        { quantity: 'temperature', value: 21.5, unit: '°C', measurement: { ...altitude, qos: 1, retain: true } },
      ],
    }]);
    assert.deepEqual([a!.topic, a!.payload.toString(), a!.qos], ['sensors/d/baro/altitude', '100', 0]);
    assert.deepEqual([b!.topic, JSON.parse(b!.payload.toString())], ['j/pressure', { value: 1013.2, unit: 'hPa', ts: '2026-11-25T00:00:00.000Z', seq: 7 }]);
    assert.deepEqual([c!.topic, c!.payload.toString(), c!.qos, c!.retain, c!.seq, c!.sensor], ['sensors/d/baro/temperature', '21.5', 1, true, 7, 'baro']);
    assert.ok(Buffer.isBuffer(a!.payload) && Buffer.isBuffer(b!.payload), 'payloads are bytes');
  });

  it('a sample whose readings were all held back by a gate gives no message', () => {
    assert.deepEqual(new Publisher('d').messages([{ sensor: 'baro', seq: 1, ts: 0, readings: [] }]), []);
  });
});
