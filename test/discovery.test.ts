/**
 * Home Assistant MQTT discovery: the configs checked field by field against the keys and values
 * Home Assistant documents for sensor, switch and binary_sensor (home-assistant.io/integrations/
 * sensor.mqtt, switch.mqtt, binary_sensor.mqtt; sensor device classes and their units), then the
 * protocol against a real Mosquitto: announce, re-announce on Home Assistant's birth, removal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { loadConfig } from '../agent/config/load-config.js';
import { discoveryMessages, removals } from '../agent/features/discovery.js';
import { Publisher } from '../agent/publishing/publisher.js';
import { startAgent, writeTempConfig } from './helpers/agent-process.js';
import { findBinary, useMosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';
import { tempDir } from './helpers/temp-dir.js';

/** What Home Assistant's MQTT integration accepts, for the keys we use (documented types and values). */
const COMMON = ['name', 'unique_id', 'availability_topic', 'payload_available', 'payload_not_available', 'device', 'origin'];
const COMPONENTS = {
  sensor: { required: ['state_topic'], optional: [...COMMON, 'value_template', 'device_class', 'state_class', 'unit_of_measurement', 'suggested_display_precision', 'expire_after'] },
  switch: { required: ['command_topic'], optional: [...COMMON, 'state_topic', 'payload_on', 'payload_off', 'state_on', 'state_off', 'optimistic'] },
  binary_sensor: { required: ['state_topic'], optional: [...COMMON, 'payload_on', 'payload_off'] },
} as const;
const UNITS_OF_CLASS: Record<string, string[]> = {
  temperature: ['°C', '°F', 'K'],
  atmospheric_pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'kPa', 'mbar', 'Pa', 'psi'],
  humidity: ['%'],
  distance: ['km', 'm', 'cm', 'mm', 'mi', 'nmi', 'yd', 'in', 'ft'],
};
const DEVICE_KEYS = ['identifiers', 'name', 'manufacturer', 'model', 'sw_version'];

function checkAgainstHomeAssistant(topic: string, config: Record<string, unknown>): void {
  const [prefix, component, objectId, last] = topic.split('/');
  assert.equal(prefix, 'homeassistant');
  assert.equal(last, 'config');
  assert.match(objectId!, /^[a-zA-Z0-9_-]+$/, 'object_id: letters, digits, _ and - only');
  const schema = COMPONENTS[component as keyof typeof COMPONENTS];
  assert.ok(schema, `component ${component}`);
  for (const key of schema.required) assert.equal(typeof config[key], 'string', `${topic}: ${key} is required`);
  for (const key of Object.keys(config)) assert.ok((schema.required as readonly string[]).includes(key) || (schema.optional as readonly string[]).includes(key), `${topic}: ${key} is not a ${component} option`);
  assert.equal(typeof config.unique_id, 'string');
  assert.equal(config.availability_topic, 'sensors/drone01/status');
  assert.deepEqual([config.payload_available, config.payload_not_available], ['online', 'offline']);
  const device = config.device as Record<string, unknown>;
  assert.deepEqual(Object.keys(device).sort(), [...DEVICE_KEYS].sort());
  assert.ok(Array.isArray(device.identifiers) && device.identifiers.length === 1);
  if (component === 'sensor') {
    assert.equal(config.state_class, 'measurement');
    assert.ok(UNITS_OF_CLASS[config.device_class as string]?.includes(config.unit_of_measurement as string), `${config.device_class} in ${config.unit_of_measurement}`);
    if ('expire_after' in config) assert.ok(Number.isInteger(config.expire_after) && (config.expire_after as number) > 0, 'expire_after: a positive integer');
    assert.ok(Number.isInteger(config.suggested_display_precision));
  }
}

const both = {
  board: 'raspberry-pi',
  role: 'both',
  deviceId: 'drone01',
  i2c: { simulated: true },
  gpio: { simulated: true },
  homeassistant: { enabled: true },
  sensors: [{
    name: 'altimeter', driver: 'bmp280', address: '0x76', intervalMs: 1000,
    measurements: {
      altitude: { unit: 'ft', filters: [{ type: 'delta', min: 1 }, { type: 'heartbeat', seconds: 60 }] },
      pressure: { unit: 'hPa', format: 'json' },
      temperature: { unit: '°C', filters: [{ type: 'throttle', seconds: 30 }] },
    },
    simulation: { chip: 'bme280' },
  }],
  outputs: [{ name: 'led', pin: '17' }],
  inputs: [{ name: 'button', pin: '27' }],
  rules: [{ name: 'r', topic: 'sensors/drone01/altitude', condition: { atLeast: 100, hysteresis: 5 }, actions: [{ type: 'output', output: 'led', state: 'on' }], elseActions: [{ type: 'output', output: 'led', state: 'off' }] }],
};

describe('Home Assistant discovery configs', () => {
  const config = loadConfig({ text: JSON.stringify(both), env: {} });
  const messages = discoveryMessages(config, '0.1.0');
  const byTopic = new Map(messages.map((m) => [m.topic, m.config!]));

  it('one sensor per enabled measurement, a switch per output, a binary_sensor per input, each valid for Home Assistant', () => {
    assert.deepEqual([...byTopic.keys()].sort(), [
      'homeassistant/binary_sensor/drone01_button/config',
      'homeassistant/sensor/drone01_altimeter_altitude/config',
      'homeassistant/sensor/drone01_altimeter_humidity/config',
      'homeassistant/sensor/drone01_altimeter_pressure/config',
      'homeassistant/sensor/drone01_altimeter_temperature/config',
      'homeassistant/switch/drone01_led/config',
    ]);
    for (const [topic, c] of byTopic) checkAgainstHomeAssistant(topic, c);
    assert.equal(new Set(messages.map((m) => m.config!.unique_id)).size, messages.length, 'unique ids are unique');
  });

  it('sensors: device class and unit per measurement, plain state directly, json through value_template', () => {
    const altitude = byTopic.get('homeassistant/sensor/drone01_altimeter_altitude/config')!;
    assert.deepEqual([altitude.state_topic, altitude.device_class, altitude.unit_of_measurement, altitude.value_template], ['sensors/drone01/altitude', 'distance', 'ft', undefined]);
    const pressure = byTopic.get('homeassistant/sensor/drone01_altimeter_pressure/config')!;
    assert.deepEqual([pressure.device_class, pressure.unit_of_measurement, pressure.value_template, pressure.suggested_display_precision], ['atmospheric_pressure', 'hPa', '{{ value_json.value }}', 2]);
    assert.equal(byTopic.get('homeassistant/sensor/drone01_altimeter_humidity/config')!.device_class, 'humidity');
  });

  it('expire_after follows the sampling, stretched by a heartbeat, absent when a gate may hold an unchanged value back', () => {
    assert.equal(byTopic.get('homeassistant/sensor/drone01_altimeter_pressure/config')!.expire_after, 30, 'three 1 s intervals, at least 30 s');
    assert.equal(byTopic.get('homeassistant/sensor/drone01_altimeter_altitude/config')!.expire_after, 120, 'twice the 60 s heartbeat');
    assert.equal('expire_after' in byTopic.get('homeassistant/sensor/drone01_altimeter_temperature/config')!, false, 'throttle without heartbeat');
  });

  it('the switch commands the output through its set topic and reads its state topic', () => {
    const led = byTopic.get('homeassistant/switch/drone01_led/config')!;
    assert.deepEqual([led.command_topic, led.state_topic, led.payload_on, led.state_off], [config.outputs[0]!.setTopic, config.outputs[0]!.stateTopic, 'ON', 'OFF']);
    const button = byTopic.get('homeassistant/binary_sensor/drone01_button/config')!;
    assert.equal(button.state_topic, config.inputs[0]!.stateTopic);
  });

  it('once the chip is identified, announces only what it measures (a BMP280 has no humidity)', () => {
    const bmp280 = discoveryMessages(config, '0.1.0', (sensor) => (sensor === 'altimeter' ? ['temperature', 'pressure', 'altitude'] : undefined));
    assert.equal(bmp280.some((m) => m.topic.includes('humidity')), false);
    assert.equal(bmp280.filter((m) => m.topic.includes('/sensor/')).length, 3);
  });

  it('a per-sample sensor: each measurement reads the sample topic through its own field, keeping its unique id', () => {
    const [altimeter] = both.sensors;
    const perSample = { ...both, sensors: [{ ...altimeter, layout: 'per-sample', sampleTopic: 'tele/{deviceId}/{sensor}/SENSOR', measurements: { altitude: { unit: 'ft' }, pressure: { unit: 'hPa' }, temperature: {} } }] };
    const loaded = loadConfig({ text: JSON.stringify(perSample), env: {} });
    const announced = discoveryMessages(loaded, '0.1.0', () => ['temperature', 'pressure', 'altitude']);
    const sensors = announced.filter((m) => m.topic.includes('/sensor/'));
    assert.equal(sensors.length, 3);
    // What the agent publishes for this sensor, so each template's field is checked against a real message.
    const s = loaded.sensors[0]!;
    const readings = (['temperature', 'pressure', 'altitude'] as const).map((q, i) => ({ quantity: q, value: 10 + i, unit: s.measurements[q]!.unit, measurement: s.measurements[q]! }));
    const [message] = new Publisher(loaded.deviceId, loaded.sensors).messages([{ sensor: 'altimeter', seq: 1, ts: 0, readings }]);
    const sample = JSON.parse(message!.payload.toString()) as Record<string, unknown>;
    for (const { topic, config: c } of sensors) {
      checkAgainstHomeAssistant(topic, c!);
      const quantity = topic.split('/')[2]!.replace('drone01_altimeter_', '');
      assert.equal(c!.state_topic, message!.topic);
      assert.equal(c!.value_template, `{{ value_json.${quantity} }}`);
      assert.equal(typeof sample[quantity], 'number', `${quantity} is a field of the sample message`);
      assert.equal(c!.unique_id, byTopic.get(topic)!.unique_id, 'the same entity as with one topic per measurement');
    }
  });

  it('removes what was announced before and is not any more', () => {
    const gone = removals(['homeassistant/sensor/drone01_altimeter_altitude/config', 'homeassistant/sensor/drone01_old_thing/config'], messages);
    assert.deepEqual(gone, [{ topic: 'homeassistant/sensor/drone01_old_thing/config', config: null }]);
  });
});

describe('Home Assistant discovery against Mosquitto', () => {
  const mosquitto = useMosquitto();

  it('announces retained configs, re-announces on Home Assistant\'s birth, removes a measurement taken out', async () => {
    const state = tempDir('ha');
    const publisher = (measurements: Record<string, unknown>): string =>
      writeTempConfig({
        board: 'raspberry-pi', role: 'publisher', deviceId: 'ha01', i2c: { simulated: true }, queue: { dir: state }, homeassistant: { enabled: true },
        sensors: [{ name: 'altimeter', driver: 'bmp280', address: '0x76', intervalMs: 1000, measurements, simulation: { scenario: 'static' } }],
      });
    let agent = startAgent(['run', '--config', publisher({ temperature: {}, pressure: {}, altitude: {} }), '--broker', mosquitto.broker.url]);
    try {
      await agent.waitFor(/discovery announced entities=3/);
      const retained = await watch({ port: mosquitto.broker.port, topics: ['homeassistant/sensor/+/config'], count: 3 });
      assert.deepEqual(retained.map((m) => m.retained), [true, true, true]);
      assert.equal((JSON.parse(retained.find((m) => m.topic.endsWith('_altitude/config'))!.payload) as { state_topic: string }).state_topic, 'sensors/ha01/altitude');

      const birth = spawnSync(findBinary('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(mosquitto.broker.port), '-t', 'homeassistant/status', '-m', 'online']);
      assert.equal(birth.status, 0);
      await agent.waitFor(/Home Assistant is online: announcing again/);
      await agent.waitFor(/discovery announced entities=3[\s\S]*discovery announced entities=3/, 15_000);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }

    agent = startAgent(['run', '--config', publisher({ temperature: {}, pressure: {}, altitude: { enabled: false } }), '--broker', mosquitto.broker.url]);
    try {
      await agent.waitFor(/Home Assistant entities removed count=1/);
      await agent.waitFor(/discovery announced entities=2/);
      const left = await watch({ port: mosquitto.broker.port, topics: ['homeassistant/sensor/+/config'], count: 2, timeoutS: 2 });
      assert.deepEqual(left.map((m) => m.topic).sort(), ['homeassistant/sensor/ha01_altimeter_pressure/config', 'homeassistant/sensor/ha01_altimeter_temperature/config'], 'the altitude config is gone from the broker');
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  });
});
