/**
 * The example configurations in config/ are valid and resolve as the README describes; the
 * reference rendered from the schema documents every key.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BOARD_PROFILES } from '../agent/config/boards.js';
import { checkConfig, configSchemaDoc, loadConfig, renderConfigReference } from '../agent/config/load-config.js';
import { AGENT_SCHEMA, leaves, SENSOR_SCHEMA, SUBSCRIPTION_SCHEMA } from '../agent/config/schema.js';
import { fillTemplate, TOPIC_PLACEHOLDERS } from '../agent/template.js';

const dir = join(process.cwd(), 'config');
const files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
const load = (name: string) => loadConfig({ file: join(dir, name), env: {} });

test('config/ holds example configurations', () => {
  assert.ok(files.length > 0, `no *.json in ${dir}`);
  for (const expected of ['raspberry-pi.json', 'beaglebone-black.json', 'udoo-neo.json', 'datasheet-example.json']) {
    assert.ok(files.includes(expected), `${expected} is missing from config/`);
  }
});

for (const name of files) {
  test(`config/${name} loads without problems`, () => {
    const { config, problems } = checkConfig({ file: join(dir, name), env: {} });
    assert.deepEqual(problems, []);
    assert.ok(config);
  });
}

test('the classic publisher publishes altitude in feet on sensors/drone01/altitude over bus 1', () => {
  const config = load('raspberry-pi.json');
  assert.equal(config.board, 'raspberry-pi');
  assert.equal(config.role, 'publisher');
  assert.deepEqual(config.i2c, { bus: 1, simulated: false });
  assert.equal(config.mqtt.url, 'mqtt://localhost:1883');
  assert.equal(config.mqtt.clientId, 'edge-agent-drone01');
  const [sensor] = config.sensors;
  assert.ok(sensor);
  assert.equal(sensor.name, 'altimeter');
  assert.equal(sensor.address, 0x76);
  assert.equal(sensor.intervalMs, 1000);
  const altitude = sensor.measurements.altitude;
  assert.ok(altitude);
  assert.equal(fillTemplate(altitude.topic, TOPIC_PLACEHOLDERS, { deviceId: config.deviceId, sensor: sensor.name, measurement: 'altitude' }, { strict: true }), 'sensors/drone01/altitude');
  assert.deepEqual(
    { unit: altitude.unit, decimals: altitude.decimals, format: altitude.format, qos: altitude.qos, enabled: altitude.enabled },
    { unit: 'ft', decimals: 0, format: 'plain', qos: 1, enabled: true },
  );
  assert.equal(sensor.measurements.pressure?.unit, 'hPa');
  assert.equal(sensor.measurements.pressure?.decimals, 2);
  assert.equal(sensor.measurements.temperature?.unit, '°C');
  assert.equal(sensor.simulation.scenario, 'flight');
  assert.equal(sensor.simulation.hoverFt, 100);
});

test('the BeagleBone Black subscriber resolves /dev/i2c-2 and subscribes to the altitude at QoS 1', () => {
  const config = load('beaglebone-black.json');
  assert.equal(config.i2c.bus, 2);
  assert.equal(config.role, 'subscriber');
  assert.deepEqual(config.sensors, []);
  assert.deepEqual(config.subscriptions, [{ topic: 'sensors/drone01/altitude', qos: 1 }]);
});

test('the Udoo Neo subscriber resolves /dev/i2c-1', () => {
  const config = load('udoo-neo.json');
  assert.equal(config.i2c.bus, 1);
  assert.deepEqual(config.subscriptions, [{ topic: 'sensors/drone01/altitude', qos: 1 }]);
});

test('the datasheet example carries the worked example of BMP280 section 3.12', () => {
  const config = load('datasheet-example.json');
  assert.equal(config.i2c.simulated, true);
  const [sensor] = config.sensors;
  assert.ok(sensor);
  assert.equal(sensor.simulation.scenario, 'raw');
  // No adcH in the file: the simulated chip reads what a BME280 reads with humidity off (drivers/bmp280/scenarios.ts).
  assert.deepEqual(sensor.simulation.raw, { adcT: 519888, adcP: 415148 });
  assert.deepEqual(sensor.simulation.calibration, {
    dig_T1: 27504, dig_T2: 26435, dig_T3: -1000,
    dig_P1: 36477, dig_P2: -10685, dig_P3: 3024, dig_P4: 2855, dig_P5: 140,
    dig_P6: -7, dig_P7: 15500, dig_P8: -14600, dig_P9: 6000,
  });
  assert.deepEqual([sensor.measurements.pressure?.unit, sensor.measurements.pressure?.decimals], ['Pa', 2]);
  assert.deepEqual([sensor.measurements.temperature?.unit, sensor.measurements.temperature?.decimals], ['°C', 2]);
});

test('board profiles give each board\'s documented I2C bus and GPIO numbering', () => {
  assert.equal(BOARD_PROFILES['raspberry-pi'].i2c.defaultBus, 1);
  assert.equal(BOARD_PROFILES['beaglebone-black'].i2c.defaultBus, 2);
  assert.equal(BOARD_PROFILES['udoo-neo'].i2c.defaultBus, 1);
});

test('every schema key has doc, format and default; top-level keys have an EDGE_AGENT_ variable', () => {
  for (const [schema, needsEnv] of [[AGENT_SCHEMA, true], [SENSOR_SCHEMA, false], [SUBSCRIPTION_SCHEMA, false]] as const) {
    for (const [path, leaf] of leaves(schema)) {
      assert.ok(leaf.doc.length > 10, `${path} has no doc`);
      assert.ok(leaf.format, `${path} has no format`);
      assert.ok('default' in leaf, `${path} has no default`);
      if (needsEnv) assert.match(leaf.env ?? '', /^EDGE_AGENT_[A-Z0-9_]+$/, `${path} has no environment variable`);
    }
  }
});

test('the rendered reference lists every key and environment variable', () => {
  const reference = renderConfigReference();
  for (const doc of configSchemaDoc()) {
    assert.ok(reference.includes(`\`${doc.path}\``), `${doc.path} is not in the reference`);
    if (doc.env) assert.ok(reference.includes(doc.env), `${doc.env} is not in the reference`);
  }
  assert.match(reference, /\| `sensors\[\]\.measurements\.altitude\.unit` \|/);
  assert.match(reference, /`beaglebone-black` \(BeagleBone Black\) \| 2 \|/);
});
