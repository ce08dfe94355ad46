/**
 * Subscriber-mode configuration: outputs, inputs, rules and commands resolve as documented, and
 * every mistake is reported with its path and a hint, all at once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkConfig, loadConfig } from '../agent/config/load-config.js';
import type { ConfigProblem } from '../agent/config/config-error.js';

const example = (name: string) => loadConfig({ file: join(process.cwd(), 'config', name), env: {} });

function subscriber(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    board: 'beaglebone-black',
    role: 'subscriber',
    deviceId: 'bbb01',
    outputs: [{ name: 'led', pin: 'P8_13' }],
    rules: [{ name: 'r', topic: 'sensors/+/altitude', condition: { atLeast: 100, hysteresis: 5 }, actions: [{ type: 'output', output: 'led', state: 'on' }], elseActions: [{ type: 'output', output: 'led', state: 'off' }] }],
    ...extra,
  });
}

function problems(text: string): ConfigProblem[] {
  return checkConfig({ text, env: {} }).problems;
}

function at(list: ConfigProblem[], path: string): ConfigProblem {
  const found = list.find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}; got:\n${list.map((p) => `${p.path}: ${p.message} (${p.hint})`).join('\n')}`);
  assert.ok(found.hint.length > 5, `${path} has a hint`);
  return found;
}

test('the BeagleBone Black example drives the LED on P8_13 from the altitude, with hysteresis and an acknowledgement', () => {
  const config = example('beaglebone-black.json');
  assert.deepEqual(config.outputs, [{ name: 'led', pin: 'P8_13', activeLow: false, initial: 'off', stateTopic: 'devices/bbb01/outputs/led/state', setTopic: 'devices/bbb01/outputs/led/set', deviceClass: '', icon: '' }]);
  const [rule] = config.rules;
  assert.equal(rule?.topic, 'sensors/drone01/altitude');
  assert.equal(rule?.qos, 1);
  assert.deepEqual([rule?.condition?.atLeast, rule?.condition?.hysteresis], [100, 5]);
  assert.deepEqual(rule?.actions.map((a) => a.type), ['output', 'publish']);
  const ack = rule?.actions[1];
  assert.ok(ack?.type === 'publish');
  assert.equal(ack.topic, 'devices/bbb01/ack', 'the topic is resolved at load time');
  assert.deepEqual(config.commands, { enabled: true, topic: 'devices/bbb01/commands', responseTopic: 'devices/bbb01/responses' });
  assert.equal(config.mqtt.clean, false, 'a subscriber keeps its session');
  assert.equal(config.gpio.simulated, false);
});

test('the Udoo Neo example drives an active-low output on GPIO 25 (PCB pin 24)', () => {
  const config = example('udoo-neo.json');
  assert.deepEqual([config.outputs[0]?.pin, config.outputs[0]?.activeLow, config.outputs[0]?.initial], ['25', true, 'off']);
  assert.equal(config.rules[0]?.condition?.atLeast, 100);
  assert.equal(config.mqtt.clean, false);
});

test('mqtt.clean defaults by role, and an explicit value wins; --simulate also simulates GPIO', () => {
  assert.equal(example('raspberry-pi.json').mqtt.clean, true);
  assert.equal(loadConfig({ text: subscriber({ mqtt: { clean: true } }), env: {} }).mqtt.clean, true);
  assert.equal(loadConfig({ text: subscriber(), env: { EDGE_AGENT_MQTT_CLEAN: 'yes' } }).mqtt.clean, true);
  assert.equal(loadConfig({ text: subscriber(), env: {}, args: { simulated: true } }).gpio.simulated, true);
});

test('a subscriber with rules needs no log-only subscriptions; outputs come from the environment too', () => {
  const config = loadConfig({ text: subscriber({ board: 'raspberry-pi' }), env: { EDGE_AGENT_OUTPUTS: '[{"name":"led","pin":17}]' } });
  assert.deepEqual(config.subscriptions, []);
  assert.equal(config.outputs[0]?.pin, '17', 'a numeric pin (BCM 17 on a Pi) is kept as its name');
  assert.equal(config.rules[0]?.condition?.field, null);
});

test('a pin unknown on the board, or not usable as GPIO there, is an error with the name to use', () => {
  const list = problems(subscriber({ outputs: [{ name: 'led', pin: '17' }, { name: 'emmc', pin: 'P8_3' }] }));
  assert.match(at(list, 'outputs[0].pin').message, /"17" is not a known pin on beaglebone-black/);
  assert.match(at(list, 'outputs[0].pin').hint, /P8_13/);
  assert.ok(at(list, 'outputs[1].pin'), 'P8_3 is the eMMC on a BeagleBone Black');
});

test('pins, names and topics: used twice is an error at the second place', () => {
  const list = problems(subscriber({
    outputs: [{ name: 'led', pin: 'P8_13' }, { name: 'led', pin: 'P8_14' }, { name: 'relay', pin: 'P8_13' }],
    inputs: [{ name: 'button', pin: 'P8_14' }, { name: 'b2', pin: 'P9 12' }],
  }));
  assert.match(at(list, 'outputs[1].name').message, /'led' is already used by outputs\[0\]/);
  assert.match(at(list, 'outputs[2].pin').message, /pin 'P8_13' is already used by outputs\[0\]/);
  assert.match(at(list, 'inputs[0].pin').message, /pin 'P8_14' is already used by outputs\[1\]/);
  assert.match(at(list, 'inputs[1].pin').message, /not a pin name/);
  assert.match(at(list, 'outputs[1].stateTopic').hint, /\{name\}/, 'the name clash also clashes the default topics');
});

test('actions are checked one by one, with did-you-mean and no way to run a program', () => {
  const list = problems(subscriber({
    rules: [{
      name: 'r',
      topic: 'sensors/#',
      actions: [
        { type: 'output', output: 'lde', state: 'on' },
        { type: 'output', output: 'led', state: 'pulse' },
        { type: 'output', output: 'led', state: 'on', ms: 5 },
        { type: 'exec', command: 'reboot' },
        { type: 'publish', topic: 'acks/{value}', payload: 'x' },
        { type: 'publish', topic: 'acks/{deviceId}', payload: '{vlue}' },
        { type: 'log', mesage: 'hi' },
        'on',
      ],
    }],
  }));
  assert.match(at(list, 'rules[0].actions[0].output').message, /unknown output 'lde' — did you mean 'led'\?/);
  assert.match(at(list, 'rules[0].actions[1].ms').message, /a pulse needs ms/);
  assert.match(at(list, 'rules[0].actions[2].ms').message, /only for a pulse/);
  assert.match(at(list, 'rules[0].actions[3].type').hint, /no action runs programs/);
  assert.match(at(list, 'rules[0].actions[4].topic').hint, /never chooses where the agent publishes/);
  assert.match(at(list, 'rules[0].actions[5].payload').hint, /did you mean \{value\}/);
  assert.match(at(list, 'rules[0].actions[6].mesage').message, /did you mean 'message'/);
  at(list, 'rules[0].actions[7]');
});

test('conditions: one comparison, a field needs a comparison, hysteresis needs a threshold; unknown keys are named', () => {
  const rule = (condition: unknown, more: Record<string, unknown> = {}) => ({ name: 'r', topic: 'a/b', condition, actions: [{ type: 'log', message: 'x' }], ...more });
  const list = problems(subscriber({
    rules: [
      { ...rule({ above: 1, below: 2 }), name: 'r0' },
      { ...rule({ field: 'value' }), name: 'r1' },
      { ...rule({ equals: 'ON', hysteresis: 2 }), name: 'r2' },
      { ...rule({ atleast: 100 }), name: 'r3' },
      { ...rule({ above: 'high' }), name: 'r4' },
      { ...rule({ field: 'a..b', above: 1 }), name: 'r5' },
      { name: 'r6', topic: 'a/b', actions: [], elseActions: [{ type: 'log', message: 'x' }] },
      { name: 'r7', topic: 'a/+b', actions: [{ type: 'log', message: 'x' }] },
    ],
  }));
  assert.match(at(list, 'rules[0].condition').message, /sets above and below/);
  at(list, 'rules[1].condition.field');
  at(list, 'rules[2].condition.hysteresis');
  assert.match(at(list, 'rules[3].condition.atleast').message, /did you mean 'atLeast'/);
  at(list, 'rules[4].condition.above');
  at(list, 'rules[5].condition.field');
  at(list, 'rules[6].elseActions');
  at(list, 'rules[7].topic');
});

test('a publisher does not take outputs or rules; commands and limits are checked', () => {
  const list = problems(JSON.stringify({
    deviceId: 'd1',
    sensors: [{ name: 's1' }],
    outputs: [{ name: 'led', pin: '17' }],
    rules: [{ name: 'r', topic: 'a', actions: [{ type: 'log', message: 'm' }] }],
    commands: { topic: 'devices/{deviceId}/+/commands', responseTopic: 'devices/{device}/responses' },
    messages: { maxBytes: 2 },
  }));
  assert.match(at(list, 'outputs').hint, /"both"/);
  at(list, 'rules');
  at(list, 'commands.topic');
  assert.match(at(list, 'commands.responseTopic').message, /unknown placeholder \{device\}/);
  at(list, 'messages.maxBytes');
});

test('role both: samples and reacts', () => {
  const config = loadConfig({ text: subscriber({ role: 'both', sensors: [{ name: 's1' }] }), env: {} });
  assert.equal(config.role, 'both');
  assert.equal(config.mqtt.clean, false);
  assert.equal(config.rules.length, 1);
});

test('a subscriber with only an output (commanded over MQTT) is valid; with nothing at all it is not', () => {
  const config = loadConfig({ text: JSON.stringify({ role: 'subscriber', deviceId: 'r1', outputs: [{ name: 'relay', pin: '17' }] }), env: {} });
  assert.equal(config.outputs.length, 1);
  assert.match(at(problems(JSON.stringify({ role: 'subscriber', deviceId: 'r1' })), 'subscriptions').message, /needs at least one subscription, rule, output or input/);
});
