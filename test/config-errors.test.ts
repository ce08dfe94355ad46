/**
 * Mistakes in a configuration are all reported at once, with the path, what was given and what to
 * do; the environment and the arguments come in as arguments, never from process.env.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, type ConfigProblem } from '../agent/config/config-error.js';
import { redactUrl } from '../agent/config/formats.js';
import { checkConfig, loadConfig, type LoadConfigInput } from '../agent/config/load-config.js';
import type { AgentConfig } from '../agent/config/types.js';

const classic = join(process.cwd(), 'config', 'raspberry-pi.json');

function problemsOf(input: LoadConfigInput): ConfigProblem[] {
  try {
    loadConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

function problemAt(problems: ConfigProblem[], path: string): ConfigProblem {
  const found = problems.find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return found;
}

/** A minimal valid publisher, with `change` applied to a copy. */
function publisher(change: (c: Record<string, any>) => void = () => {}): string {
  const config: Record<string, any> = { deviceId: 'd1', sensors: [{ name: 's1' }] };
  change(config);
  return JSON.stringify(config, null, 2);
}

const text = (t: string, env: Record<string, string> = {}): AgentConfig => loadConfig({ text: t, env });

test('a config with many mistakes reports every one of them in one ConfigError', () => {
  const mistakes = {
    board: 'rasberry-pi',
    role: 'publisher',
    mqtt: { url: 'mqtt://localhost:1883' },
    sensors: [
      { name: 'altimeter', address: '0x99', measurements: { altitude: { unit: 'ft', qos: 3, topic: 'sensors/{deviceId}/#' } } },
      { name: 'altimeter', adress: '0x77' },
    ],
  };
  let error: unknown;
  try {
    loadConfig({ text: JSON.stringify(mistakes, null, 2), file: 'bad.json', env: {} });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems.map((p) => p.path).sort(), [
    'board',
    'deviceId',
    'sensors[0].address',
    'sensors[0].measurements.altitude.qos',
    'sensors[0].measurements.altitude.topic',
    'sensors[1].adress',
    'sensors[1].name',
  ]);
  const { problems } = error;
  assert.match(problemAt(problems, 'board').hint, /did you mean "raspberry-pi"\?/);
  assert.match(problemAt(problems, 'deviceId').message, /missing/);
  assert.match(problemAt(problems, 'deviceId').hint, /EDGE_AGENT_DEVICE_ID/);
  assert.match(problemAt(problems, 'sensors[0].address').message, /0x99 is not a 7-bit I2C address/);
  assert.match(problemAt(problems, 'sensors[0].address').hint, /0x76/);
  assert.match(problemAt(problems, 'sensors[0].measurements.altitude.qos').message, /^3 /);
  assert.match(problemAt(problems, 'sensors[0].measurements.altitude.qos').hint, /0, 1, 2/);
  assert.match(problemAt(problems, 'sensors[0].measurements.altitude.topic').message, /wildcard/);
  assert.equal(problemAt(problems, 'sensors[1].adress').message, "unknown key 'adress' — did you mean 'address'?");
  assert.match(problemAt(problems, 'sensors[1].name').message, /already used by sensors\[0\]/);
  for (const p of problems) assert.ok(p.hint.length > 0, `${p.path} has no hint`);

  const lines = error.message.split('\n');
  assert.match(lines[0]!, /bad\.json.*7 problems/);
  assert.equal(lines.length, 1 + problems.length);
  for (const p of problems) assert.ok(lines.includes(`${p.path}: ${p.message} (${p.hint})`), `${p.path} is not in the message`);
  assert.equal(error.name, 'ConfigError');
  assert.equal(error.exitCode, 78);
});

test('unknown keys are found at every level, with the closest known key', () => {
  const problems = problemsOf({
    text: publisher((c) => {
      c.mqtt = { urll: 'mqtt://x' };
      c.sensors[0].settings = { oversampling: { presure: 'x4' } };
      c.sensors[0].measurements = { altitude: { units: 'ft' }, altitdue: {} };
      c.subscriptions = [{ topic: 'a/b', qso: 1 }];
      c.loglevel = 'debug';
    }),
  });
  assert.match(problemAt(problems, 'mqtt.urll').message, /did you mean 'url'/);
  assert.match(problemAt(problems, 'sensors[0].settings.oversampling.presure').message, /did you mean 'pressure'/);
  assert.match(problemAt(problems, 'sensors[0].measurements.altitude.units').message, /did you mean 'unit'/);
  assert.match(problemAt(problems, 'sensors[0].measurements.altitdue').message, /did you mean 'altitude'/);
  assert.match(problemAt(problems, 'subscriptions[0].qso').message, /did you mean 'qos'/);
  assert.match(problemAt(problems, 'loglevel').message, /unknown key 'loglevel'/);
});

test('a JSON syntax error is reported with its line and column', () => {
  const broken = '{\n  "deviceId": "d1",\n  "board": "generic"\n  "role": "publisher"\n}\n';
  const [problem, ...more] = problemsOf({ text: broken, file: 'broken.json' });
  assert.equal(more.length, 0);
  assert.equal(problem!.path, 'broken.json:4:3');
  assert.match(problem!.message, /line 4, column 3/);
  // V8 gives no position for some errors; the loader finds it itself
  assert.match(problemsOf({ text: '{"deviceId": }' })[0]!.path, /:1:14$/);
  assert.match(problemsOf({ text: '{"deviceId": "d1"' })[0]!.message, /JSON syntax error/);
});

test('a missing file is reported as such', () => {
  const [problem] = problemsOf({ file: join(process.cwd(), 'config', 'no-such-board.json') });
  assert.match(problem!.path, /no-such-board\.json$/);
  assert.equal(problem!.message, 'file not found');
});

test('environment variables override the file, from the env argument only', () => {
  const env = { EDGE_AGENT_MQTT_URL: 'mqtt://broker.lan:1884', EDGE_AGENT_DEVICE_ID: 'drone02', EDGE_AGENT_LOG_LEVEL: 'debug', EDGE_AGENT_I2C_BUS: '/dev/i2c-3', EDGE_AGENT_I2C_SIMULATED: 'yes', UNRELATED: 'x' };
  const config = loadConfig({ file: classic, env });
  assert.equal(config.mqtt.url, 'mqtt://broker.lan:1884');
  assert.equal(config.deviceId, 'drone02');
  assert.equal(config.mqtt.clientId, 'edge-agent-drone02');
  assert.equal(config.log.level, 'debug');
  assert.equal(config.i2c.bus, 3);
  assert.equal(config.i2c.simulated, true);
  // without the argument, nothing comes from the environment
  assert.equal(loadConfig({ file: classic }).deviceId, 'drone01');
  // subscriptions as JSON
  const sub = loadConfig({ text: '{"deviceId":"b1","role":"subscriber"}', env: { EDGE_AGENT_SUBSCRIPTIONS: '[{"topic":"sensors/+/altitude","qos":2}]' } });
  assert.deepEqual(sub.subscriptions, [{ topic: 'sensors/+/altitude', qos: 2 }]);
});

test('arguments override both the file and the environment', () => {
  const config = loadConfig({
    file: classic,
    env: { EDGE_AGENT_MQTT_URL: 'mqtt://from-env:1883', EDGE_AGENT_LOG_LEVEL: 'warn' },
    args: { broker: 'mqtts://from-args:8883', simulated: true, logLevel: 'debug' },
  });
  assert.equal(config.mqtt.url, 'mqtts://from-args:8883');
  assert.equal(config.i2c.simulated, true);
  assert.equal(config.log.level, 'debug');
  assert.equal(loadConfig({ file: join(process.cwd(), 'config', 'datasheet-example.json'), args: { simulated: false } }).i2c.simulated, true);
  const [problem] = problemsOf({ file: classic, args: { broker: 'localhost:1883' } });
  assert.equal(problem!.path, 'mqtt.url');
  assert.match(problem!.message, /^from args\.broker: /);
  assert.match(problem!.hint, /mqtt:\/\/localhost:1883/);
});

test('bad environment values are reported with the variable name, secrets masked', () => {
  const problems = problemsOf({
    file: classic,
    env: { EDGE_AGENT_I2C_BUS: 'two', EDGE_AGENT_I2C_SIMULATED: 'maybe', EDGE_AGENT_MQTT_URL: 'ftp://user:s3cret@host', EDGE_AGENT_MQTT_KEEPALIVE_S: '-5', EDGE_AGENT_BOARD: 'pi' },
  });
  assert.match(problemAt(problems, 'i2c.bus').message, /^from EDGE_AGENT_I2C_BUS: "two"/);
  assert.match(problemAt(problems, 'i2c.simulated').message, /^from EDGE_AGENT_I2C_SIMULATED: "maybe"/);
  assert.match(problemAt(problems, 'mqtt.keepaliveS').message, /EDGE_AGENT_MQTT_KEEPALIVE_S/);
  assert.match(problemAt(problems, 'board').message, /EDGE_AGENT_BOARD/);
  const url = problemAt(problems, 'mqtt.url');
  assert.match(url.message, /EDGE_AGENT_MQTT_URL/);
  assert.doesNotMatch(`${url.message} ${url.hint}`, /s3cret/);
});

test('unit aliases normalise to the contract\'s units', () => {
  const config = text(publisher((c) => {
    c.sensors[0].measurements = { temperature: { unit: 'F' }, pressure: { unit: 'hpa' }, altitude: { unit: 'feet' }, humidity: { unit: '%RH' } };
  }));
  const m = config.sensors[0]!.measurements;
  assert.deepEqual([m.temperature?.unit, m.pressure?.unit, m.altitude?.unit, m.humidity?.unit], ['°F', 'hPa', 'ft', '%']);
  for (const [alias, unit] of [['C', '°C'], ['degC', '°C'], ['degF', '°F'], ['°F', '°F']] as const) {
    const t = text(publisher((c) => (c.sensors[0].measurements = { temperature: { unit: alias } })));
    assert.equal(t.sensors[0]!.measurements.temperature?.unit, unit, alias);
  }
  const [problem] = problemsOf({ text: publisher((c) => (c.sensors[0].measurements = { altitude: { unit: 'km' } })) });
  assert.equal(problem!.path, 'sensors[0].measurements.altitude.unit');
  assert.match(problem!.hint, /m, ft/);
});

test('defaults per quantity: units and decimals, decimals following the unit', () => {
  const config = text(publisher());
  const [sensor] = config.sensors;
  assert.ok(sensor);
  const summary = Object.fromEntries(Object.entries(sensor.measurements).map(([q, m]) => [q, `${m.unit} ${m.decimals}`]));
  assert.deepEqual(summary, { temperature: '°C 2', pressure: 'Pa 0', humidity: '% 1', altitude: 'm 1' });
  assert.equal(sensor.measurements.altitude?.topic, 'sensors/{deviceId}/{measurement}');
  assert.ok(sensor.driver === 'bmp280');
  assert.deepEqual([sensor.address, sensor.intervalMs, sensor.settings.mode, sensor.settings.seaLevelPa], [0x76, 1000, 'forced', 101325]);
  assert.deepEqual(sensor.settings.oversampling, { temperature: 'x2', pressure: 'x16', humidity: 'x1' });
  assert.equal(config.i2c.bus, 1); // generic board
  assert.equal(config.mqtt.statusTopic, 'sensors/d1/status', 'the status topic is resolved for the device');

  const units = text(publisher((c) => (c.sensors[0].measurements = { altitude: { unit: 'ft' }, pressure: { unit: 'hPa' } })));
  assert.equal(units.sensors[0]!.measurements.altitude?.decimals, 0);
  assert.equal(units.sensors[0]!.measurements.pressure?.decimals, 2);
  const explicit = text(publisher((c) => (c.sensors[0].measurements = { altitude: { unit: 'ft', decimals: 1 } })));
  assert.equal(explicit.sensors[0]!.measurements.altitude?.decimals, 1);
});

test('rules across keys', () => {
  const at = (change: (c: Record<string, any>) => void, path: string): ConfigProblem => problemAt(problemsOf({ text: publisher(change) }), path);
  assert.match(at((c) => (c.sensors = []), 'sensors').message, /needs at least one sensor/);
  assert.match(at((c) => (c.role = 'both'), 'subscriptions').message, /needs at least one subscription/);
  assert.match(at((c) => c.sensors.push({ name: 's2', address: '0x76', measurements: { altitude: { topic: 'x/{sensor}' } } }), 'sensors[1].address').message, /0x76 is already used by sensors\[0\]/);
  assert.match(at((c) => c.sensors.push({ name: 's2', address: '0x77' }), 'sensors[1].measurements.temperature.topic').message, /sensors\/d1\/temperature/);
  assert.match(at((c) => (c.sensors[0].settings = { oversampling: { pressure: 'skip' } }), 'sensors[0].settings.oversampling.pressure').message, /pressure and altitude/);
  assert.match(at((c) => (c.sensors[0].address = '0x40'), 'sensors[0].address').message, /does not answer at 0x40/);
  assert.match(at((c) => (c.sensors[0].simulation = { scenario: 'raw' }), 'sensors[0].simulation.raw').message, /needs raw ADC values/);
  // Forced mode waits for the worst-case conversion (BMP280 §3.8.1, humidity counted); normal mode does not wait.
  assert.match(at((c) => ((c.sensors[0].intervalMs = 20), (c.sensors[0].settings = { oversampling: { temperature: 'x16' } })), 'sensors[0].intervalMs').message, /^20 ms is shorter than one reading of this BMP280\/BME280 \(78\.3 ms of conversions\)$/);
  text(publisher((c) => ((c.sensors[0].intervalMs = 20), (c.sensors[0].settings = { mode: 'normal', oversampling: { temperature: 'x16' } }))));
  assert.match(at((c) => (c.mqtt = { statusTopic: 'status/{sensor}' }), 'mqtt.statusTopic').message, /\{sensor\}/);
  assert.match(at((c) => (c.sensors[0].simulation = { calibration: { dig_H1: 75 } }), 'sensors[0].simulation.calibration.dig_H1').message, /BMP280 has no dig_H1/);
  // humidity settings on a BME280 are fine, and so are they on a BMP280 (the driver skips them)
  text(publisher((c) => (c.sensors[0].simulation = { chip: 'bme280', calibration: { dig_H1: 75, dig_H4: -2048 } })));
});

test('formats: topics, filters, URLs, device ids, sea-level pressure', () => {
  const one = (change: (c: Record<string, any>) => void): ConfigProblem[] => checkConfig({ text: publisher(change) }).problems;
  assert.match(one((c) => (c.sensors[0].measurements = { altitude: { topic: 'sensors/{device}/alt' } }))[0]!.hint, /did you mean \{deviceId\}/);
  assert.match(one((c) => (c.sensors[0].measurements = { altitude: { topic: '$SYS/x' } }))[0]!.message, /starts with \$/);
  assert.match(one((c) => (c.sensors[0].measurements = { altitude: { topic: '' } }))[0]!.message, /empty/);
  assert.match(one((c) => (c.sensors[0].measurements = { altitude: { topic: 'a\u0000b' } }))[0]!.message, /NUL/);
  assert.deepEqual(one((c) => ((c.role = 'both'), (c.subscriptions = [{ topic: '$share/group/sensors/+/altitude' }, { topic: 'sensors/#', qos: 2 }, { topic: '+' }]))), []);
  const filters = one((c) => ((c.role = 'both'), (c.subscriptions = [{ topic: 'sensors/+x' }, { topic: 'sensors/#/x' }, { topic: '$share//a' }])));
  assert.deepEqual(filters.map((p) => p.path), ['subscriptions[0].topic', 'subscriptions[1].topic', 'subscriptions[2].topic']);
  for (const url of ['mqtts://h:8883', 'ws://h:9001/mqtt', 'wss://h/mqtt', 'tcp://10.0.0.2:1883', 'ssl://h']) assert.deepEqual(one((c) => (c.mqtt = { url })), [], url);
  for (const url of ['http://h', 'mqtt://', 'h:1883', 42]) assert.equal(one((c) => (c.mqtt = { url }))[0]?.path, 'mqtt.url', String(url));
  for (const deviceId of ['a/b', 'a b', 'a+', '#', '', 'x'.repeat(65)]) assert.equal(one((c) => (c.deviceId = deviceId))[0]?.path, 'deviceId', deviceId);
  assert.match(one((c) => (c.sensors[0].settings = { seaLevelPa: 1013.25 }))[0]!.hint, /101325/);
  assert.equal(one((c) => (c.sensors[0].intervalMs = 5))[0]?.path, 'sensors[0].intervalMs');
  assert.equal(one((c) => (c.sensors[0].address = 0x77)).length, 0);
  assert.match(one((c) => (c.sensors[0].simulation = { calibration: { dig_T2: 40000 } }))[0]!.path, /calibration\.dig_T2$/);
  assert.equal(loadConfig({ text: publisher((c) => (c.mqtt = { clientId: 'agent-{deviceId}' })) }).mqtt.clientId, 'agent-d1');
});

test('the broker URL is masked wherever it is shown (logs, systemd status)', () => {
  const config = loadConfig({ file: classic, args: { broker: 'mqtts://agent:s3cret@broker.example:8883' } });
  assert.equal(config.mqtt.url, 'mqtts://agent:s3cret@broker.example:8883');
  const shown = redactUrl(config.mqtt.url);
  assert.doesNotMatch(shown, /s3cret/);
  assert.match(shown, /mqtts:\/\/agent:\*\*\*@broker\.example:8883/);
});

test('the reconnect spread window: from the file or EDGE_AGENT_MQTT_RECONNECT_SPREAD_MS, checked with its path and a hint', () => {
  assert.equal(text(publisher()).mqtt.reconnectSpreadMs, 10_000, 'the default spreads a fleet');
  assert.equal(text(publisher(), { EDGE_AGENT_MQTT_RECONNECT_SPREAD_MS: '0' }).mqtt.reconnectSpreadMs, 0);
  assert.equal(text(publisher((c) => (c.mqtt = { reconnectSpreadMs: 2500 }))).mqtt.reconnectSpreadMs, 2500);
  for (const bad of [-1, 1.5, 600_001, 'soon']) {
    const problem = problemAt(problemsOf({ text: publisher((c) => (c.mqtt = { reconnectSpreadMs: bad })), env: {} }), 'mqtt.reconnectSpreadMs');
    assert.match(problem.hint, /integer from 0 to 600000/);
  }
  const fromEnv = problemAt(problemsOf({ text: publisher(), env: { EDGE_AGENT_MQTT_RECONNECT_SPREAD_MS: 'ten' } }), 'mqtt.reconnectSpreadMs');
  assert.match(fromEnv.message, /^from EDGE_AGENT_MQTT_RECONNECT_SPREAD_MS: "ten"/);
});
