import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, writeTempConfig } from './helpers/agent-process.js';

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
    const file = join(mkdtempSync(join(tmpdir(), 'edge-agent-rec-')), 'session.json');
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
