/**
 * systemd/install.sh into a temporary root, inspected file by file; the installed unit checked
 * by systemd-analyze (verify, and security with an exposure of 2.0 or lower); the installed agent
 * run; a second install keeps the board's config; uninstall and purge.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { agentNodeFlags } from '../bench/node-flags.js';
import { tempDir } from './helpers/temp-dir.js';

const INSTALL = resolve('systemd/install.sh');

function sh(command: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
}

function install(root: string, ...args: string[]): SpawnSyncReturns<string> {
  const result = sh('bash', [INSTALL, '--root', root, ...args]);
  assert.equal(result.status, 0, `install.sh ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

const mode = (path: string): number => statSync(path).mode & 0o777;
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n');

describe('systemd/install.sh --root', () => {
  let root: string;
  let first: SpawnSyncReturns<string>;
  let realPasswd: string;
  before(() => {
    realPasswd = readFileSync('/etc/passwd', 'utf8');
    root = tempDir('root');
    first = install(root, '--board', 'raspberry-pi');
  });
  const at = (path: string): string => join(root, path);

  it('installs the built agent with its production dependencies only', () => {
    assert.ok(existsSync(at('opt/edge-agent/dist/agent/cli.js')));
    assert.ok(existsSync(at('opt/edge-agent/node_modules/mqtt/package.json')));
    assert.ok(existsSync(at('opt/edge-agent/node_modules/convict/package.json')));
    assert.ok(!existsSync(at('opt/edge-agent/node_modules/typescript')), 'dev dependencies pruned');
    assert.ok(!existsSync(at('opt/edge-agent/dist/test')), 'no tests in the install');
  });

  it('the installed agent runs: check-config on the installed config, one simulated reading', () => {
    const cli = at('opt/edge-agent/dist/agent/cli.js');
    const check = sh(process.execPath, [cli, 'check-config', at('etc/edge-agent/agent.json')]);
    assert.equal(check.status, 0, check.stderr);
    const read = sh(process.execPath, [cli, 'read', '--config', at('etc/edge-agent/agent.json'), '--simulate']);
    assert.equal(read.status, 0, read.stderr);
    assert.match(read.stdout, /"measurement":"altitude"/);
  });

  it('creates the unprivileged system user in the i2c and gpio groups, inside the root only', () => {
    const user = lines(at('etc/passwd')).find((l) => l.startsWith('edge-agent:'));
    assert.ok(user, readFileSync(at('etc/passwd'), 'utf8'));
    const [, , uid, , , home, shell] = user.split(':');
    assert.ok(Number(uid) > 0 && Number(uid) < 1000, `a system uid, got ${uid}`);
    assert.equal(home, '/var/lib/edge-agent');
    assert.equal(shell, '/usr/sbin/nologin');
    for (const group of ['i2c', 'gpio']) {
      const entry = lines(at('etc/group')).find((l) => l.startsWith(`${group}:`));
      assert.ok(entry && entry.split(':')[3]!.split(',').includes('edge-agent'), `${group}: ${entry}`);
    }
    assert.equal(readFileSync('/etc/passwd', 'utf8'), realPasswd, 'the real /etc/passwd is not touched');
  });

  it('puts the board\'s config at /etc/edge-agent/agent.json, readable by the service group only', () => {
    assert.equal(readFileSync(at('etc/edge-agent/agent.json'), 'utf8'), readFileSync('config/raspberry-pi.json', 'utf8'));
    assert.equal(mode(at('etc/edge-agent/agent.json')), 0o640);
    assert.equal(mode(at('etc/edge-agent')), 0o750);
    assert.equal(mode(at('var/lib/edge-agent')), 0o750);
  });

  it('installs udev rules for the I2C and GPIO devices', () => {
    const rules = readFileSync(at('etc/udev/rules.d/60-edge-agent.rules'), 'utf8');
    assert.match(rules, /SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"/);
    assert.match(rules, /KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"/);
  });

  it('installs and enables the unit, with this machine\'s node in ExecStart', () => {
    const unit = readFileSync(at('etc/systemd/system/edge-agent.service'), 'utf8');
    const exec = /^ExecStart=(\S+)((?: --[\w-]+(?:=\S+)?)*) \/opt\/edge-agent\/dist\/agent\/cli\.js run --config \/etc\/edge-agent\/agent\.json$/m.exec(unit);
    assert.ok(exec, unit);
    assert.ok(existsSync(exec[1]!), `node at ${exec[1]}`);
    // The service runs node as `edge-agent` on the command line does: with the shebang's flags.
    assert.deepEqual(exec[2]!.trim().split(' '), agentNodeFlags());
    for (const line of ['Type=notify', 'NotifyAccess=all', 'Restart=on-failure', 'RestartPreventExitStatus=78', 'User=edge-agent', 'StateDirectory=edge-agent', 'ConfigurationDirectory=edge-agent', 'DevicePolicy=closed', 'DeviceAllow=char-i2c rw', 'CapabilityBoundingSet=', 'ExecReload=/bin/kill -HUP $MAINPID']) {
      assert.ok(unit.split('\n').includes(line), `unit has ${line}`);
    }
    const wants = at('etc/systemd/system/multi-user.target.wants/edge-agent.service');
    assert.ok(lstatSync(wants).isSymbolicLink());
    assert.equal(readlinkSync(wants), '/etc/systemd/system/edge-agent.service');
    assert.match(first.stdout, /not started/);
  });

  it('systemd-analyze verify accepts the installed unit', () => {
    const result = sh('systemd-analyze', ['verify', at('etc/systemd/system/edge-agent.service')]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', 'no warnings');
  });

  it('systemd-analyze security rates its exposure 2.0 or lower', () => {
    const result = sh('systemd-analyze', ['security', '--offline=true', '--no-pager', at('etc/systemd/system/edge-agent.service')]);
    assert.equal(result.status, 0, result.stderr);
    const found = /Overall exposure level for edge-agent\.service: (\d+\.\d)/.exec(result.stdout);
    assert.ok(found, result.stdout);
    const exposure = Number(found[1]);
    assert.ok(exposure <= 2.0, `exposure ${exposure}:\n${result.stdout.split('\n').filter((l) => l.startsWith('✗')).join('\n')}`);
  });

  it('is idempotent: a second run keeps an edited config and creates no second user', () => {
    const config = at('etc/edge-agent/agent.json');
    const edited = readFileSync(config, 'utf8').replace('"drone01"', '"kept01"');
    writeFileSync(config, edited);
    const again = install(root, '--board', 'beaglebone-black');
    assert.match(again.stdout, /kept the existing/);
    assert.equal(readFileSync(config, 'utf8'), edited);
    assert.equal(lines(at('etc/passwd')).filter((l) => l.startsWith('edge-agent:')).length, 1);
    assert.ok(existsSync(at('opt/edge-agent/dist/agent/cli.js')));
    assert.ok(!existsSync(at('opt/edge-agent.new')) && !existsSync(at('opt/edge-agent.old')));
  });

  it('uninstalls, keeping config and state unless --purge', () => {
    const result = sh('bash', [INSTALL, '--root', root, '--uninstall']);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!existsSync(at('etc/systemd/system/edge-agent.service')));
    assert.ok(!existsSync(at('etc/systemd/system/multi-user.target.wants/edge-agent.service')));
    assert.ok(!existsSync(at('opt/edge-agent')));
    assert.ok(existsSync(at('etc/edge-agent/agent.json')), 'config kept');
    const purge = sh('bash', [INSTALL, '--root', root, '--uninstall', '--purge']);
    assert.equal(purge.status, 0, purge.stderr);
    assert.ok(!existsSync(at('etc/edge-agent')));
    assert.ok(!existsSync(at('var/lib/edge-agent')));
  });
});

describe('systemd/install.sh refuses clearly', () => {
  it('an unknown option (status 64) and a board it cannot tell', () => {
    const root = tempDir('root');
    const unknown = sh('bash', [INSTALL, '--root', root, '--colour']);
    assert.equal(unknown.status, 64);
    assert.match(unknown.stderr, /unknown option '--colour'/);
    const noBoard = sh('bash', [INSTALL, '--root', root, '--board', 'pdp-11']);
    assert.equal(noBoard.status, 64);
    assert.match(noBoard.stderr, /no example configuration for board 'pdp-11'/);
  });
});
