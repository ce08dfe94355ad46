/**
 * Home Assistant MQTT discovery: the configs checked field by field against the keys and values
 * Home Assistant documents for sensor, switch, binary_sensor and button (home-assistant.io/
 * integrations/sensor.mqtt, switch.mqtt, binary_sensor.mqtt, button.mqtt; the device-based layout
 * and origin in integrations/mqtt; sensor device classes and their units), then the protocol
 * against a real Mosquitto: announce, re-announce on Home Assistant's birth, removal of what the
 * config no longer has, of everything when Home Assistant is turned off, and of the old topics.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BINARY_SENSOR_CLASSES } from '../agent/config/formats.js';
import { loadConfig } from '../agent/config/load-config.js';
import { discoveryMessages, entities, legacyTopics, measurementState, removals } from '../agent/features/discovery.js';
import { latestTopic } from '../agent/features/ha-latest.js';
import { Publisher } from '../agent/publishing/publisher.js';
import { startAgent, writeTempConfig } from './helpers/agent-process.js';
import { findBinary, useMosquitto } from './helpers/mosquitto.js';
import { mosquittoPub, watch } from './helpers/mqtt-watch.js';
import { tempDir } from './helpers/temp-dir.js';

/** What Home Assistant's MQTT integration accepts, for the keys we use (documented types and values). */
const COMMON = ['name', 'unique_id', 'default_entity_id', 'availability_topic', 'payload_available', 'payload_not_available', 'device', 'origin', 'entity_category', 'icon', 'json_attributes_topic', 'json_attributes_template'];
const COMPONENTS = {
  sensor: { required: ['state_topic'], optional: [...COMMON, 'value_template', 'device_class', 'state_class', 'unit_of_measurement', 'suggested_display_precision', 'expire_after'] },
  switch: { required: ['command_topic'], optional: [...COMMON, 'state_topic', 'payload_on', 'payload_off', 'state_on', 'state_off', 'optimistic', 'device_class'] },
  binary_sensor: { required: ['state_topic'], optional: [...COMMON, 'payload_on', 'payload_off', 'device_class'] },
  button: { required: ['command_topic'], optional: [...COMMON, 'payload_press', 'device_class'] },
} as const;
const UNITS_OF_CLASS: Record<string, string[]> = {
  temperature: ['°C', '°F', 'K'],
  atmospheric_pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'kPa', 'mbar', 'Pa', 'psi'],
  humidity: ['%'],
  distance: ['km', 'm', 'cm', 'mm', 'mi', 'nmi', 'yd', 'in', 'ft'],
  duration: ['d', 'h', 'min', 's', 'ms'],
};
const CLASSES: Record<string, readonly string[]> = { switch: ['outlet', 'switch'], binary_sensor: BINARY_SENSOR_CLASSES, button: ['identify', 'restart', 'update'] };
const DEVICE_KEYS = ['identifiers', 'name', 'manufacturer', 'model', 'sw_version'];
const ORIGIN_KEYS = ['name', 'sw_version', 'support_url'];
/** The shared keys of a device-based discovery payload (integrations/mqtt, "Device discovery payload"). */
const DEVICE_PAYLOAD_KEYS = ['device', 'origin', 'components', 'availability_topic', 'payload_available', 'payload_not_available', 'state_topic', 'command_topic', 'qos', 'encoding'];

function checkEntity(where: string, component: string, config: Record<string, unknown>, statusTopic: string): void {
  const schema = COMPONENTS[component as keyof typeof COMPONENTS];
  assert.ok(schema, `component ${component}`);
  for (const key of schema.required) assert.equal(typeof config[key], 'string', `${where}: ${key} is required`);
  for (const key of Object.keys(config)) assert.ok((schema.required as readonly string[]).includes(key) || (schema.optional as readonly string[]).includes(key), `${where}: ${key} is not a ${component} option`);
  assert.equal(typeof config.unique_id, 'string');
  assert.match(config.default_entity_id as string, new RegExp(`^${component}\\.[a-z0-9_]+$`), 'default_entity_id: <component>.<slug>');
  assert.equal(config.availability_topic, statusTopic);
  assert.deepEqual([config.payload_available, config.payload_not_available], ['online', 'offline']);
  const device = config.device as Record<string, unknown>;
  assert.deepEqual(Object.keys(device).sort(), [...DEVICE_KEYS].sort());
  assert.ok(Array.isArray(device.identifiers) && device.identifiers.length === 1);
  const origin = config.origin as Record<string, unknown>;
  assert.equal(origin.name, 'edge-agent');
  for (const key of Object.keys(origin)) assert.ok(ORIGIN_KEYS.includes(key), `origin: ${key}`);
  if ('entity_category' in config) assert.ok(['diagnostic', 'config'].includes(config.entity_category as string));
  if (component === 'sensor' && config.entity_category === 'config') assert.fail('a sensor can only be a diagnostic entity');
  if ('icon' in config) assert.match(config.icon as string, /^mdi:[a-z0-9-]+$/);
  if ('json_attributes_template' in config) assert.equal(typeof config.json_attributes_topic, 'string');
  if (component === 'sensor') {
    if ('state_class' in config) assert.ok(['measurement', 'total', 'total_increasing'].includes(config.state_class as string));
    if ('device_class' in config) assert.ok(UNITS_OF_CLASS[config.device_class as string]?.includes(config.unit_of_measurement as string), `${config.device_class} in ${config.unit_of_measurement}`);
    if ('expire_after' in config) assert.ok(Number.isInteger(config.expire_after) && (config.expire_after as number) > 0, 'expire_after: a positive integer');
    if ('suggested_display_precision' in config) assert.ok(Number.isInteger(config.suggested_display_precision));
  } else if ('device_class' in config) {
    assert.ok(CLASSES[component]!.includes(config.device_class as string), `${component} device class ${config.device_class}`);
  }
}

function checkAgainstHomeAssistant(topic: string, config: Record<string, unknown>, statusTopic = 'sensors/drone01/status'): void {
  const levels = topic.split('/');
  assert.equal(levels[0], 'homeassistant');
  assert.equal(levels.at(-1), 'config');
  for (const level of levels.slice(2, -1)) assert.match(level, /^[a-zA-Z0-9_-]+$/, 'node_id and object_id: letters, digits, _ and - only');
  if (levels[1] === 'device') {
    assert.equal(levels.length, 4);
    for (const key of Object.keys(config)) assert.ok(DEVICE_PAYLOAD_KEYS.includes(key), `device payload: ${key}`);
    const { components, ...common } = config as { components: Record<string, Record<string, unknown>> };
    assert.ok(Object.keys(components).length > 0);
    for (const [id, c] of Object.entries(components)) {
      assert.match(id, /^[a-zA-Z0-9_-]+$/);
      const { platform, ...rest } = c;
      checkEntity(`${topic} ${id}`, platform as string, { ...common, ...rest }, statusTopic);
    }
  } else {
    assert.equal(levels.length, 5, '<prefix>/<component>/<node_id>/<object_id>/config');
    checkEntity(topic, levels[1]!, config, statusTopic);
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
  outputs: [{ name: 'led', pin: '17', icon: 'mdi:led-on' }],
  inputs: [{ name: 'button', pin: '27' }, { name: 'door', pin: '22', deviceClass: 'door' }],
  rules: [{ name: 'r', topic: 'sensors/drone01/altitude', condition: { atLeast: 100, hysteresis: 5 }, actions: [{ type: 'output', output: 'led', state: 'on' }], elseActions: [{ type: 'output', output: 'led', state: 'off' }] }],
};
const ORIGIN = { version: '0.1.0', supportUrl: 'https://example.org/edge-agent' };

describe('Home Assistant discovery configs', () => {
  const config = loadConfig({ text: JSON.stringify(both), env: {} });
  const messages = discoveryMessages(config, ORIGIN, entities(config));
  const byTopic = new Map(messages.map((m) => [m.topic, m.config!]));
  const at = (component: string, object: string): Record<string, unknown> => byTopic.get(`homeassistant/${component}/drone01/${object}/config`)!;

  it('a sensor per measurement, a switch and a button per output, a binary_sensor per input, diagnostics; each valid for Home Assistant', () => {
    assert.deepEqual([...byTopic.keys()].sort(), [
      'homeassistant/binary_sensor/drone01/button/config',
      'homeassistant/binary_sensor/drone01/door/config',
      'homeassistant/button/drone01/led_toggle/config',
      'homeassistant/sensor/drone01/altimeter_altitude/config',
      'homeassistant/sensor/drone01/altimeter_humidity/config',
      'homeassistant/sensor/drone01/altimeter_pressure/config',
      'homeassistant/sensor/drone01/altimeter_temperature/config',
      'homeassistant/sensor/drone01/health_dropped/config',
      'homeassistant/sensor/drone01/health_errors_altimeter/config',
      'homeassistant/sensor/drone01/health_last-error/config',
      'homeassistant/sensor/drone01/health_queue/config',
      'homeassistant/sensor/drone01/health_reconnects/config',
      'homeassistant/sensor/drone01/health_server/config',
      'homeassistant/sensor/drone01/health_uptime/config',
      'homeassistant/switch/drone01/led/config',
    ]);
    for (const [topic, c] of byTopic) checkAgainstHomeAssistant(topic, c);
    for (const component of ['sensor', 'switch', 'binary_sensor', 'button']) {
      const ids = messages.filter((m) => m.topic.split('/')[1] === component).map((m) => m.config!.unique_id);
      assert.equal(new Set(ids).size, ids.length, `${component}: unique ids are unique`);
    }
  });

  it('unique ids of plain names are what they were (the customisations in Home Assistant hang on them)', () => {
    assert.equal(at('sensor', 'altimeter_altitude').unique_id, 'edge-agent_drone01_altimeter_altitude');
    assert.equal(at('switch', 'led').unique_id, 'edge-agent_drone01_led');
    assert.equal(at('binary_sensor', 'button').unique_id, 'edge-agent_drone01_button');
  });

  it('sensors follow the latest-value topic: device class and unit, plain state directly, json through value_template with ts and seq as attributes', () => {
    const altitude = at('sensor', 'altimeter_altitude');
    assert.deepEqual([altitude.state_topic, altitude.device_class, altitude.unit_of_measurement, altitude.value_template, altitude.json_attributes_topic], ['sensors/drone01/altitude/latest', 'distance', 'ft', undefined, undefined]);
    const pressure = at('sensor', 'altimeter_pressure');
    assert.deepEqual([pressure.state_topic, pressure.device_class, pressure.unit_of_measurement, pressure.value_template, pressure.suggested_display_precision], ['sensors/drone01/pressure/latest', 'atmospheric_pressure', 'hPa', '{{ value_json.value }}', 2]);
    assert.equal(pressure.json_attributes_topic, 'sensors/drone01/pressure/latest');
    assert.match(pressure.json_attributes_template as string, /value_json\.ts.*value_json\.seq.*tojson/);
    assert.equal(at('sensor', 'altimeter_humidity').device_class, 'humidity');
    const sensor = config.sensors[0]!;
    assert.deepEqual(measurementState(config, sensor, 'pressure', sensor.measurements.pressure!).state_topic, pressure.state_topic, 'one function says where a measurement entity reads');
  });

  it('expire_after follows the sampling, stretched by a heartbeat, absent when a gate may hold an unchanged value back', () => {
    assert.equal(at('sensor', 'altimeter_pressure').expire_after, 30, 'three 1 s intervals, at least 30 s');
    assert.equal(at('sensor', 'altimeter_altitude').expire_after, 120, 'twice the 60 s heartbeat');
    assert.equal('expire_after' in at('sensor', 'altimeter_temperature'), false, 'throttle without heartbeat');
  });

  it('the switch commands the output through its set topic; inputs and outputs carry their device class and icon', () => {
    const led = at('switch', 'led');
    assert.deepEqual([led.command_topic, led.state_topic, led.payload_on, led.state_off, led.icon, led.device_class], [config.outputs[0]!.setTopic, config.outputs[0]!.stateTopic, 'ON', 'OFF', 'mdi:led-on', undefined]);
    const button = at('binary_sensor', 'button');
    assert.deepEqual([button.state_topic, button.device_class], [config.inputs[0]!.stateTopic, undefined]);
    assert.equal(at('binary_sensor', 'door').device_class, 'door', 'Home Assistant shows Open/Closed');
  });

  it('a button toggles an output through the command topic', () => {
    const toggle = at('button', 'led_toggle');
    assert.equal(toggle.command_topic, config.commands.topic);
    assert.deepEqual(JSON.parse(toggle.payload_press as string), { cmd: 'set', output: 'led', state: 'toggle' });
  });

  it('the health report as diagnostic sensors reading its retained JSON', () => {
    const report = { uptimeS: 42, reconnects: 3, readings: { buffered: 7, dropped: { queueFull: 1, expired: 2, offline: 0, refused: 0, diskFull: 4 } }, sensors: { altimeter: { errors: 5 } }, lastError: 'x' };
    for (const field of ['uptime', 'queue', 'dropped', 'reconnects', 'last-error', 'errors_altimeter']) {
      const c = at('sensor', `health_${field}`);
      assert.equal(c.entity_category, 'diagnostic');
      assert.equal(c.state_topic, config.health.topic);
      assert.equal(typeof c.value_template, 'string');
    }
    // The templates name fields the report has (a small reading of Jinja: paths only).
    assert.equal(at('sensor', 'health_uptime').device_class, 'duration');
    assert.match(at('sensor', 'health_errors_altimeter').value_template as string, /value_json\.sensors\["altimeter"\]\.errors/);
    for (const path of ['uptimeS', 'reconnects', 'readings.buffered', 'lastError']) {
      assert.notEqual(path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], report), undefined, path);
    }
    for (const key of Object.keys(report.readings.dropped)) assert.match(at('sensor', 'health_dropped').value_template as string, new RegExp(`d\\.${key}\\b`));
  });

  it('the origin names the agent, its version and where to find support', () => {
    assert.deepEqual(at('switch', 'led').origin, { name: 'edge-agent', sw_version: '0.1.0', support_url: 'https://example.org/edge-agent' });
  });

  it('device-based discovery: one payload with every entity under components, valid for Home Assistant', () => {
    const device = loadConfig({ text: JSON.stringify({ ...both, homeassistant: { enabled: true, discovery: 'device' } }), env: {} });
    const [one, ...rest] = discoveryMessages(device, ORIGIN, entities(device));
    assert.equal(rest.length, 0);
    assert.equal(one!.topic, 'homeassistant/device/drone01/config');
    checkAgainstHomeAssistant(one!.topic, one!.config!);
    const components = one!.config!.components as Record<string, Record<string, unknown>>;
    assert.equal(Object.keys(components).length, messages.length);
    assert.equal(components.sensor_altimeter_altitude!.platform, 'sensor');
    assert.equal(components.switch_led!.unique_id, 'edge-agent_drone01_led', 'the same unique ids in either layout');
  });

  it('once the chip is identified, announces only what it measures (a BMP280 has no humidity)', () => {
    const bmp280 = discoveryMessages(config, ORIGIN, entities(config, (sensor) => (sensor === 'altimeter' ? ['temperature', 'pressure', 'altitude'] : undefined)));
    assert.equal(bmp280.some((m) => m.topic.includes('humidity')), false);
    assert.equal(bmp280.filter((m) => m.topic.includes('/altimeter_')).length, 3);
  });

  it('a per-sample sensor: each measurement reads its field from the sample topic\'s latest value, keeping its unique id', () => {
    const [altimeter] = both.sensors;
    const perSample = { ...both, sensors: [{ ...altimeter, layout: 'per-sample', sampleTopic: 'tele/{deviceId}/{sensor}/SENSOR', measurements: { altitude: { unit: 'ft' }, pressure: { unit: 'hPa' }, temperature: {} } }] };
    const loaded = loadConfig({ text: JSON.stringify(perSample), env: {} });
    const announced = discoveryMessages(loaded, ORIGIN, entities(loaded, () => ['temperature', 'pressure', 'altitude']));
    const sensors = announced.filter((m) => m.topic.includes('/sensor/drone01/altimeter_'));
    assert.equal(sensors.length, 3);
    // What the agent publishes for this sensor, so each template's field is checked against a real message.
    const s = loaded.sensors[0]!;
    const readings = (['temperature', 'pressure', 'altitude'] as const).map((q, i) => ({ quantity: q, value: 10 + i, unit: s.measurements[q]!.unit, measurement: s.measurements[q]! }));
    const [message] = new Publisher(loaded.deviceId, loaded.sensors).messages([{ sensor: 'altimeter', seq: 1, ts: 0, readings }]);
    const sample = JSON.parse(message!.payload.toString()) as Record<string, unknown>;
    for (const { topic, config: c } of sensors) {
      checkAgainstHomeAssistant(topic, c!);
      const quantity = topic.split('/')[3]!.replace('altimeter_', '');
      assert.equal(c!.state_topic, latestTopic(message!.topic));
      assert.equal(c!.value_template, `{{ value_json.${quantity} }}`);
      assert.equal(typeof sample[quantity], 'number', `${quantity} is a field of the sample message`);
      assert.equal(c!.unique_id, byTopic.get(topic)!.unique_id, 'the same entity as with one topic per measurement');
    }
  });

  it('removes what the broker holds and is not announced any more', () => {
    const gone = removals(['homeassistant/sensor/drone01/altimeter_altitude/config', 'homeassistant/sensor/drone01/old_thing/config'], messages);
    assert.deepEqual(gone, [{ topic: 'homeassistant/sensor/drone01/old_thing/config', config: null }]);
  });

  it('the old topics (up to 0.1) of this config and of the state file are looked for, nothing else', () => {
    const legacy = legacyTopics(config, ['homeassistant/sensor/drone01_gone_altitude/config', 'homeassistant/sensor/+/config', 'elsewhere/sensor/x/config', 'homeassistant/a/b/c/config']);
    assert.ok(legacy.includes('homeassistant/sensor/drone01_altimeter_altitude/config'));
    assert.ok(legacy.includes('homeassistant/switch/drone01_led/config'));
    assert.ok(legacy.includes('homeassistant/sensor/drone01_gone_altitude/config'));
    assert.equal(legacy.some((t) => t.includes('+') || t.startsWith('elsewhere') || t.includes('health') || t.includes('/a/b/')), false);
  });
});

/** Every retained message under `filter` now (mosquitto_sub, an independent client). */
function retainedUnder(port: number, filter: string): Map<string, string> {
  const sub = spawnSync(findBinary('mosquitto_sub'), ['-h', '127.0.0.1', '-p', String(port), '-t', filter, '--retained-only', '-W', '2', '-F', '%t\t%p'], { encoding: 'utf8' });
  return new Map(sub.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t') as [string, string]));
}

describe('Home Assistant discovery against Mosquitto', () => {
  const mosquitto = useMosquitto();

  it('announces, re-announces on Home Assistant\'s birth, removes the old topics, a measurement taken out, and everything when turned off', async () => {
    const state = tempDir('ha');
    const port = mosquitto.broker.port;
    const publisher = (measurements: Record<string, unknown>, enabled = true): string =>
      writeTempConfig({
        board: 'raspberry-pi', role: 'publisher', deviceId: 'ha01', i2c: { simulated: true }, queue: { dir: state }, homeassistant: { enabled }, health: { intervalS: 0 },
        sensors: [{ name: 'altimeter', driver: 'bmp280', address: '0x76', intervalMs: 1000, measurements, simulation: { scenario: 'static' } }],
      });
    // What the agent up to 0.1 announced, on its old topic (its device identifier, as 0.1 wrote it); another
    // device's config; and another tool's config under the same node id: both to be left alone.
    mosquittoPub(port, 'homeassistant/sensor/ha01_altimeter_altitude/config', '{"name":"old","device":{"identifiers":["edge-agent_ha01"]}}', { retain: true });
    mosquittoPub(port, 'homeassistant/sensor/ha02/altimeter_altitude/config', '{"name":"other","device":{"identifiers":["edge-agent_ha02"]}}', { retain: true });
    mosquittoPub(port, 'homeassistant/sensor/ha01/cpu_load/config', '{"name":"CPU","device":{"identifiers":["host-monitor_ha01"]}}', { retain: true });
    const mine = 'homeassistant/+/ha01/+/config';

    let agent = startAgent(['run', '--config', publisher({ temperature: {}, pressure: {}, altitude: {} }), '--broker', mosquitto.broker.url]);
    try {
      await agent.waitFor(/Home Assistant entities removed count=1 topics=homeassistant\/sensor\/ha01_altimeter_altitude\/config/);
      await agent.waitFor(/discovery announced entities=3/);
      const retained = await watch({ port, topics: [mine], count: 4 });
      assert.deepEqual(retained.map((m) => m.retained), [true, true, true, true]);
      assert.equal((JSON.parse(retained.find((m) => m.topic.endsWith('_altitude/config'))!.payload) as { state_topic: string }).state_topic, 'sensors/ha01/altitude/latest');
      assert.equal(retainedUnder(port, 'homeassistant/sensor/ha01_altimeter_altitude/config').size, 0, 'the old topic is cleared');

      const birth = spawnSync(findBinary('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(port), '-t', 'homeassistant/status', '-m', 'online']);
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
      assert.deepEqual([...retainedUnder(port, mine).keys()].sort(), ['homeassistant/sensor/ha01/altimeter_pressure/config', 'homeassistant/sensor/ha01/altimeter_temperature/config', 'homeassistant/sensor/ha01/cpu_load/config'], 'only the altitude config is gone');
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }

    // Home Assistant turned off: the state directory wiped too (a new SD card): the broker still knows.
    rmSync(state, { recursive: true, force: true });
    agent = startAgent(['run', '--config', publisher({ temperature: {}, pressure: {}, altitude: {} }, false), '--broker', mosquitto.broker.url]);
    try {
      await agent.waitFor(/Home Assistant entities removed count=2/);
      assert.deepEqual([...retainedUnder(port, 'homeassistant/#').keys()].sort(), ['homeassistant/sensor/ha01/cpu_load/config', 'homeassistant/sensor/ha02/altimeter_altitude/config'], 'nothing of the agent\'s ha01 is left; the other device and the other tool are untouched');
      assert.doesNotMatch(agent.output(), /discovery announced/);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
      rmSync(state, { recursive: true, force: true });
    }
  });
});
