/** `npm start` is the newcomer's first contact: the demo must show the whole scenario working. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from './helpers/agent-process.js';
import { useMosquitto } from './helpers/mosquitto.js';

function assertScenario(stdout: string): void {
  assert.match(stdout, /\[raspberry-pi\s+drone01\s*\] INFO\s+\[sample\] altimeter: temperature -?\d+(\.\d+)? °C, pressure \d+(\.\d+)? hPa, altitude -?\d+(\.\d+)? ft/);
  // The flight starts with the climb: within the demo's few seconds the drone leaves the ground.
  const altitudes = [...stdout.matchAll(/altitude (-?\d+(?:\.\d+)?) ft/g)].map((m) => Number(m[1]));
  assert.ok(altitudes.some((ft) => ft > 1), `the drone climbs: ${altitudes.join(', ')}`);
  for (const board of ['beaglebone-black', 'udoo-neo']) {
    assert.match(stdout, new RegExp(`\\[${board} \\w+\\s*\\] INFO\\s+\\[subscribe\\] received topic=sensors/drone01/altitude payload=-?\\d`), `${board} receives the altitude`);
  }
}

/** The subscribers react: safe state at start, LED/beacon on at 100 ft, an acknowledgement, safe state at stop. */
function assertReaction(stdout: string): void {
  for (const [board, output, rule] of [['beaglebone-black', 'led', 'altitude-led'], ['udoo-neo', 'beacon', 'altitude-beacon']] as const) {
    const line = (text: string): RegExp => new RegExp(`\\[${board} \\w+\\s*\\] INFO\\s+${text}`);
    assert.match(stdout, line(`\\[output\\] output ${output} OFF \\(safe state\\)`), `${board} starts with its ${output} off`);
    assert.match(stdout, line(`\\[output\\] output ${output} ON by="rule ${rule}"`), `${board} switches its ${output} on at 100 ft`);
    assert.match(stdout, line(`\\[rule\\] rule ${rule}: publishing to devices/\\w+/ack payload=.*\\\\"${output}\\\\":\\\\"on\\\\"`), `${board} acknowledges`);
    assert.match(stdout, line(`\\[output\\] output ${output} OFF \\(safe state on shutdown\\)`), `${board} leaves its ${output} off`);
  }
}

describe('edge-agent demo', () => {
  const mosquitto = useMosquitto();

  it('runs the classic scenario on its embedded broker: the subscribers react at 100 ft', () => {
    // The flight reaches its 100 ft hover 12 s into its 60 s cycle; the demo runs a little longer.
    const result = runCli(['demo', '--duration', '16']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /embedded \(aedes\)/);
    assertScenario(result.stdout);
    assertReaction(result.stdout);
  });

  it('uses a real broker with --broker', () => {
    const result = runCli(['demo', '--duration', '3', '--broker', mosquitto.broker.url]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`broker ${mosquitto.broker.url.replace(/[.]/g, '\\.')}`));
    assertScenario(result.stdout);
  });
});
