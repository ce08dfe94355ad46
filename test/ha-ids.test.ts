/**
 * Home Assistant ids are one-to-one with what they name (issue 16, item 7): `drone.01` and
 * `drone_01` no longer claim the same entities. Proved by decoding every id back to its names over
 * many random names (seed printed), and by collisions never found among them; plain names keep the
 * ids they had, so users' customisations in Home Assistant (hung on unique_id) stay.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeId, entityIds, escapeName, joinNames, legacyObjectId, type Component } from '../agent/features/ha-ids.js';
import { fuzzRandom } from './helpers/fuzz-seed.js';

/** Names from an alphabet rich in what escapes: _ . - digits, hex letters, multi-byte characters. */
function randomName(random: () => number): string {
  const alphabet = ['_', '_', '.', '-', 'a', 'b', 'F', '0', '5', 'x', 'é', '°', '😀', ' ', '$'];
  const length = 1 + Math.floor(random() * 6);
  let name = '';
  for (let i = 0; i < length; i++) name += alphabet[Math.floor(random() * alphabet.length)]!;
  return name;
}

describe('Home Assistant ids', () => {
  it('drone.01 and drone_01 get different ids, topics and unique ids', () => {
    const a = entityIds({ component: 'sensor', deviceId: 'drone.01', path: ['altimeter', 'altitude'] });
    const b = entityIds({ component: 'sensor', deviceId: 'drone_01', path: ['altimeter', 'altitude'] });
    assert.notEqual(a.nodeId, b.nodeId);
    assert.notEqual(a.uniqueId, b.uniqueId);
    assert.notEqual(a.defaultEntityId, b.defaultEntityId);
    assert.equal(legacyObjectId('drone.01', ['altimeter', 'altitude']), legacyObjectId('drone_01', ['altimeter', 'altitude']), 'the old mapping was not one-to-one');
  });

  it('names of letters, digits and - keep the ids they had', () => {
    const ids = entityIds({ component: 'sensor', deviceId: 'drone-01', path: ['altimeter', 'altitude'] });
    assert.equal(ids.uniqueId, `edge-agent_${legacyObjectId('drone-01', ['altimeter', 'altitude'])}`);
    assert.equal(ids.uniqueId, 'edge-agent_drone-01_altimeter_altitude');
    assert.equal(ids.defaultEntityId, 'sensor.drone_01_altimeter_altitude', 'what Home Assistant made of the device and entity names');
  });

  it('escapes are a topic level of [A-Za-z0-9_-]', () => {
    assert.equal(escapeName('drone_01'), 'drone__5F01');
    assert.equal(escapeName('drone.01'), 'drone__2E01');
    assert.equal(escapeName('°C'), '__C2__B0C');
    assert.match(joinNames(['a b', '😀', '_x_']), /^[A-Za-z0-9_-]+$/);
  });

  it('fuzz: every joined id decodes to its names, and no two names lists share an id', () => {
    const { random } = fuzzRandom('ha-ids');
    const seen = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const names = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomName(random));
      const id = joinNames(names);
      assert.match(id, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(decodeId(id), names, `${JSON.stringify(names)} → ${id}`);
      const key = JSON.stringify(names);
      const before = seen.get(id);
      assert.ok(before === undefined || before === key, `${before} and ${key} both → ${id}`);
      seen.set(id, key);
    }
  });

  it('fuzz: (component, device, path) → discovery topic and unique id is one-to-one', () => {
    const { random } = fuzzRandom('ha-entity-ids');
    const components: Component[] = ['sensor', 'binary_sensor', 'switch', 'button'];
    const topics = new Map<string, string>();
    const uniques = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const key = { component: components[Math.floor(random() * components.length)]!, deviceId: randomName(random), path: Array.from({ length: 1 + Math.floor(random() * 2) }, () => randomName(random)) };
      const ids = entityIds(key);
      const text = JSON.stringify(key);
      const topic = `${key.component}/${ids.nodeId}/${ids.objectId}`;
      assert.ok([undefined, text].includes(topics.get(topic)), `${topics.get(topic)} and ${text} share ${topic}`);
      topics.set(topic, text);
      // unique ids are per component in Home Assistant (its entity registry is per domain).
      const unique = `${key.component} ${ids.uniqueId}`;
      assert.ok([undefined, text].includes(uniques.get(unique)), `${uniques.get(unique)} and ${text} share ${unique}`);
      uniques.set(unique, text);
    }
  });
});
