/** `npm start` is the newcomer's first contact: the demo must show the whole scenario working. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/agent-process.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';

function assertScenario(stdout: string): void {
  assert.match(stdout, /\[raspberry-pi\s+drone01\s*\] INFO\s+\[sample\] altimeter: temperature -?\d+(\.\d+)? °C, pressure \d+(\.\d+)? hPa, altitude -?\d+(\.\d+)? ft/);
  // The flight starts with the climb: within the demo's few seconds the drone leaves the ground.
  const altitudes = [...stdout.matchAll(/altitude (-?\d+(?:\.\d+)?) ft/g)].map((m) => Number(m[1]));
  assert.ok(altitudes.some((ft) => ft > 1), `the drone climbs: ${altitudes.join(', ')}`);
  for (const board of ['beaglebone-black', 'udoo-neo']) {
    assert.match(stdout, new RegExp(`\\[${board} \\w+\\s*\\] INFO\\s+\\[subscribe\\] received topic=sensors/drone01/altitude payload=-?\\d`), `${board} receives the altitude`);
  }
}

describe('edge-agent demo', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker?.stop();
  });

  it('runs the classic scenario on its embedded broker and stops after --duration', () => {
    const result = runCli(['demo', '--duration', '3']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /embedded \(aedes\)/);
    assertScenario(result.stdout);
  });

  it('uses a real broker with --broker', () => {
    const result = runCli(['demo', '--duration', '3', '--broker', broker.url]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`broker ${broker.url.replace(/[.]/g, '\\.')}`));
    assertScenario(result.stdout);
  });
});
