import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeasurementConfig } from '../agent/config/types.js';
import { Publisher } from '../agent/publishing/publisher.js';
import type { Reading } from '../agent/sampling/reading.js';

const altitude: MeasurementConfig = { enabled: true, unit: 'ft', decimals: 0, format: 'plain', qos: 0, retain: false, topic: 'sensors/{deviceId}/{sensor}/{measurement}', filters: [] };

function reading(sensor: string, value: number, seq: number): Reading {
  return { sensor, measurement: 'altitude', value, unit: 'ft', ts: Date.UTC(2026, 10, 25), seq };
}

describe('Publisher', () => {
  it('gives each sensor its own topic when sensors share one measurement entry (clones of a template)', () => {
    const publisher = new Publisher('drone01');
    const first = publisher.messages([{ reading: reading('left', 100, 1), measurement: altitude }, { reading: reading('right', 101, 1), measurement: altitude }]);
    const again = publisher.messages([{ reading: reading('right', 102, 2), measurement: altitude }, { reading: reading('left', 103, 2), measurement: altitude }]);
    assert.deepEqual(first.map((m) => [m.topic, m.payload]), [['sensors/drone01/left/altitude', '100'], ['sensors/drone01/right/altitude', '101']]);
    assert.deepEqual(again.map((m) => [m.topic, m.payload]), [['sensors/drone01/right/altitude', '102'], ['sensors/drone01/left/altitude', '103']]);
  });

  it('keeps entries apart: the same sensor under another template gets that template\'s topic', () => {
    const publisher = new Publisher('drone01');
    const own: MeasurementConfig = { ...altitude, topic: 'alt/{sensor}' };
    const [a] = publisher.messages([{ reading: reading('baro', 1, 1), measurement: own }]);
    const [b] = publisher.messages([{ reading: reading('baro', 2, 2), measurement: own }]);
    assert.equal(a!.topic, 'alt/baro');
    assert.equal(b!.topic, 'alt/baro');
    const [c] = publisher.messages([{ reading: reading('baro', 3, 3), measurement: altitude }]);
    assert.equal(c!.topic, 'sensors/drone01/baro/altitude');
  });

  it('gives each quantity its own topic even when a hand-built config shares one entry between them', () => {
    const publisher = new Publisher('d');
    const shared: MeasurementConfig = { ...altitude, unit: 'Pa' };
    const sample = (seq: number) => publisher.messages([
      { reading: { ...reading('baro', 1, seq), measurement: 'altitude' }, measurement: shared },
      { reading: { ...reading('baro', 2, seq), measurement: 'pressure' }, measurement: shared },
    ]);
    for (const seq of [1, 2]) assert.deepEqual(sample(seq).map((m) => m.topic), ['sensors/d/baro/altitude', 'sensors/d/baro/pressure']);
  });
});
