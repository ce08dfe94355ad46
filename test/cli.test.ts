import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, writeTempConfig } from './helpers/agent-process.js';
import { tempDir } from './helpers/temp-dir.js';

const dir = tempDir('cli');
after(() => rmSync(dir, { recursive: true, force: true }));
/** A config file in this test's own directory (removed after the run). */
const configFile = (name: string, config: unknown): string => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
};

interface Line {
  sensor: string;
  measurement: string;
  value: number;
  unit: string;
  ts: string;
}

const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe('edge-agent CLI', () => {
  it('read replays the datasheet worked example: 25.08 °C and 100653.27 Pa (±0.1 Pa)', () => {
    const result = runCli(['read', '--config', 'config/datasheet-example.json']);
    assert.equal(result.status, 0, result.stderr);
    const out = lines(result.stdout);
    const t = out.find((l) => l.measurement === 'temperature');
    const p = out.find((l) => l.measurement === 'pressure');
    assert.equal(t?.value, 25.08);
    assert.equal(t?.unit, '°C');
    assert.ok(p && Math.abs(p.value - 100653.27) <= 0.1, `pressure ${p?.value}`);
    assert.equal(p?.unit, 'Pa');
  });

  it('read --count N prints N samples as JSON lines with sensor, measurement, value, unit, ts', () => {
    const result = runCli(['read', '--config', 'config/raspberry-pi.json', '--simulate', '--count', '3']);
    assert.equal(result.status, 0, result.stderr);
    const out = lines(result.stdout);
    const altitude = out.filter((l) => l.measurement === 'altitude');
    assert.equal(altitude.length, 3);
    for (const l of out) {
      assert.deepEqual(Object.keys(l).sort(), ['measurement', 'sensor', 'ts', 'unit', 'value']);
      assert.equal(l.sensor, 'altimeter');
      assert.ok(!Number.isNaN(Date.parse(l.ts)));
    }
    assert.equal(altitude[0]!.unit, 'ft');
  });

  it('read --record writes a transcript of the bus session', () => {
    const file = join(tempDir('rec'), 'session.json');
    const result = runCli(['read', '--config', 'config/datasheet-example.json', '--record', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(file));
    const transcript = JSON.parse(readFileSync(file, 'utf8')) as { transactions: unknown[] };
    assert.ok(transcript.transactions.length >= 5, 'chip id, reset, status, calibration, data…');
  });

  it('check-config exits 78 and lists every problem of a bad config', () => {
    const file = writeTempConfig({ board: 'raspberry-pie', role: 'publisher', deviceId: 'drone01', sensors: [{ name: 'a', driver: 'bmp280', address: '0x99', adress: 1 }] });
    const result = runCli(['check-config', file]);
    assert.equal(result.status, 78, result.stderr);
    assert.match(result.stderr, /board/);
    assert.match(result.stderr, /sensors\[0\]\.address/);
    assert.match(result.stderr, /adress/);
  });

  it('run with a bad config exits 78 too, before touching hardware or the network', () => {
    const file = writeTempConfig({ board: 'generic', role: 'publisher', deviceId: 'x', sensors: [] });
    const result = runCli(['run', '--config', file]);
    assert.equal(result.status, 78);
  });

  it('under systemd the reasons for exit 78 and 69 are logged at error priority (<3>), one line each', () => {
    const journal = { JOURNAL_STREAM: '8:12345' };
    const bad = configFile('agent.json', { board: 'raspberry-pie', deviceId: 'drone01', sensors: [{ name: 'a', adress: 1 }] });
    for (const command of [['run', '--config', bad], ['check-config', bad]]) {
      const result = runCli(command, journal);
      assert.equal(result.status, 78, result.stderr);
      const lines = result.stderr.split('\n').filter(Boolean);
      for (const line of lines) assert.match(line, /^<3>ERROR \[config\] /, line);
      assert.match(lines[0]!, /^<3>ERROR \[config\] invalid configuration in .*agent\.json \(2 problems\):$/);
      assert.ok(lines.some((l) => /^<3>ERROR \[config\] board: "raspberry-pie" is not a known board \(did you mean "raspberry-pi"\?/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /^<3>ERROR \[config\] sensors\[0\]\.adress: unknown key 'adress'/.test(l)), lines.join('\n'));
      assert.equal(lines.length, 3);
    }
    // 69: a bus that is not there (this machine has no /dev/i2c-1023), from read and from run
    const noBus = configFile('no-bus.json', { board: 'generic', deviceId: 'hw1', i2c: { bus: 1023, simulated: false }, sensors: [{ name: 's1' }] });
    for (const command of [['read', '--config', noBus], ['run', '--config', noBus, '--broker', 'mqtt://127.0.0.1:1']]) {
      const result = runCli(command, journal);
      assert.equal(result.status, 69, result.stderr);
      const reason = result.stderr.split('\n').filter((l) => l.includes('/dev/i2c-1023'));
      assert.ok(reason.length > 0, result.stderr);
      assert.ok(reason.some((l) => /^<3>ERROR \[hardware\] .*\/dev\/i2c-1023/.test(l)), result.stderr);
      for (const line of result.stderr.split('\n').filter(Boolean)) assert.match(line, /^<[3-7]>/, 'no line without a priority');
    }
  });

  it('on a terminal the same reasons are plain log lines: time, ERROR, the problem', () => {
    const bad = configFile('terminal.json', { board: 'raspberry-pie', deviceId: 'drone01', sensors: [{ name: 'a' }] });
    const result = runCli(['check-config', bad], { JOURNAL_STREAM: '' });
    assert.equal(result.status, 78);
    const lines = result.stderr.split('\n').filter(Boolean);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERROR \[config\] /, line);
    assert.match(lines[1]!, /ERROR \[config\] board: "raspberry-pie" is not a known board \(did you mean "raspberry-pi"\? allowed: /);
  });

  it('check-config accepts every example', () => {
    for (const name of ['raspberry-pi', 'beaglebone-black', 'udoo-neo']) {
      const result = runCli(['check-config', `config/${name}.json`]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /valid/);
    }
  });

  it('probe names the chips on the bus by their ID registers', () => {
    const result = runCli(['probe', '--simulate']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /0x76: BMP280 \(id 0x58\)/);
  });

  it('has --help on every command and rejects unknown ones with status 64', () => {
    for (const command of ['run', 'read', 'probe', 'check-config', 'demo']) {
      const result = runCli([command, '--help']);
      assert.equal(result.status, 0);
      assert.match(result.stdout, new RegExp(`usage: edge-agent ${command}`));
    }
    const unknown = runCli(['fly']);
    assert.equal(unknown.status, 64);
    assert.match(unknown.stderr, /unknown command 'fly'/);
    const badOption = runCli(['read', '--colour']);
    assert.equal(badOption.status, 64);
  });
});
