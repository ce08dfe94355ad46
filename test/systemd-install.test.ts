/**
 * systemd/install.sh into a temporary root, inspected file by file; the installed unit checked
 * by systemd-analyze (verify, and security with an exposure of 2.0 or lower); the installed agent
 * run; a second install keeps the board's config; uninstall and purge.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
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

const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempRoot(): string {
  const dir = tempDir('root');
  temps.push(dir);
  return dir;
}

/** The exposure systemd-analyze gives the unit installed in `root`, with its drop-ins. */
function exposure(root: string): number {
  const result = sh('systemd-analyze', ['security', '--offline=true', '--no-pager', join(root, 'etc/systemd/system/edge-agent.service')]);
  assert.equal(result.status, 0, result.stderr);
  const found = /Overall exposure level for edge-agent\.service: (\d+\.\d)/.exec(result.stdout);
  assert.ok(found, result.stdout);
  return Number(found[1]);
}

/**
 * A sysfs GPIO tree under root/sys shaped as the kernel's: class/gpio/gpiochipN are links into
 * the controllers' directories under devices/ (BeagleBone Black, mainline 6.x kernel).
 */
function fakeSysfs(root: string, controllers: string[]): void {
  const classDir = join(root, 'sys/class/gpio');
  mkdirSync(classDir, { recursive: true });
  writeFileSync(join(classDir, 'export'), '');
  controllers.forEach((controller, i) => {
    const chip = join(root, 'sys/devices', controller, 'gpio', `gpiochip${512 + 32 * i}`);
    mkdirSync(chip, { recursive: true });
    symlinkSync(relative(classDir, chip), join(classDir, `gpiochip${512 + 32 * i}`));
  });
}
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n');

describe('systemd/install.sh --root', () => {
  let root: string;
  let first: SpawnSyncReturns<string>;
  let realPasswd: string;
  before(() => {
    realPasswd = readFileSync('/etc/passwd', 'utf8');
    root = tempRoot();
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

  it('installs udev rules for the I2C and GPIO devices, and the sysfs GPIO files', () => {
    const rules = readFileSync(at('etc/udev/rules.d/60-edge-agent.rules'), 'utf8');
    assert.match(rules, /SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"/);
    assert.match(rules, /KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"/);
    // sysfs attributes are no device nodes: GROUP=/MODE= do not reach them, a command does.
    assert.match(rules, /^SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", ACTION!="remove", RUN\+="\/bin\/sh -c '.*chgrp gpio export unexport && chmod g\+w export unexport'"$/m);
    const line = /^SUBSYSTEM=="gpio", KERNEL=="gpio\[0-9\]\*", ACTION!="remove", RUN\+="(.*)"$/m.exec(rules);
    assert.ok(line, rules);
    // udev substitutes %p (the device path) and reads $$ as one $: a bare $f would be udev's.
    assert.match(line[1]!, /cd \/sys%p .*for f in active_low direction edge value; do if \[ -e \$\$f \]; then chgrp gpio \$\$f && chmod g\+rw \$\$f; fi; done/);
    assert.doesNotMatch(line[1]!.replace(/\$\$/g, ''), /\$/, 'no single $ left for udev to expand');
  });

  it('the Pi\'s configuration drives no pins: no GPIO drop-in; the addon loads: no NotifyAccess drop-in', () => {
    assert.ok(!existsSync(at('etc/systemd/system/edge-agent.service.d')), 'no drop-ins');
    assert.match(first.stdout, /sd_notify in process \(the unix-dgram addon loads\): NotifyAccess=main/);
  });

  it('installs and enables the unit, with this machine\'s node in ExecStart', () => {
    const unit = readFileSync(at('etc/systemd/system/edge-agent.service'), 'utf8');
    const exec = /^ExecStart=(\S+)((?: --[\w-]+(?:=\S+)?)*) \/opt\/edge-agent\/dist\/agent\/cli\.js run --config \/etc\/edge-agent\/agent\.json$/m.exec(unit);
    assert.ok(exec, unit);
    assert.ok(existsSync(exec[1]!), `node at ${exec[1]}`);
    // The service runs node as `edge-agent` on the command line does: with the shebang's flags.
    assert.deepEqual(exec[2]!.trim().split(' '), agentNodeFlags());
    for (const line of ['Type=notify', 'NotifyAccess=main', 'Restart=on-failure', 'RestartPreventExitStatus=73 78', 'StartLimitIntervalSec=2min', 'StartLimitBurst=5', 'SyslogLevel=err', 'ProtectKernelTunables=yes', 'User=edge-agent', 'StateDirectory=edge-agent', 'ConfigurationDirectory=edge-agent', 'DevicePolicy=closed', 'DeviceAllow=char-i2c rw', 'CapabilityBoundingSet=', 'ExecReload=/bin/kill -HUP $MAINPID']) {
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

  it('systemd-analyze security rates its exposure 1.5 (NotifyAccess=main), at most 2.0', () => {
    assert.equal(exposure(root), 1.5);
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
    mkdirSync(at('etc/systemd/system/edge-agent.service.d'), { recursive: true });
    writeFileSync(at('etc/systemd/system/edge-agent.service.d/gpio-sysfs.conf'), '[Service]\n');
    const result = sh('bash', [INSTALL, '--root', root, '--uninstall']);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!existsSync(at('etc/systemd/system/edge-agent.service')));
    assert.ok(!existsSync(at('etc/systemd/system/multi-user.target.wants/edge-agent.service')));
    assert.ok(!existsSync(at('opt/edge-agent')));
    assert.ok(!existsSync(at('etc/systemd/system/edge-agent.service.d')), 'its drop-ins go with it');
    assert.ok(existsSync(at('etc/edge-agent/agent.json')), 'config kept');
    const purge = sh('bash', [INSTALL, '--root', root, '--uninstall', '--purge']);
    assert.equal(purge.status, 0, purge.stderr);
    assert.ok(!existsSync(at('etc/edge-agent')));
    assert.ok(!existsSync(at('var/lib/edge-agent')));
  });
});

describe('systemd/install.sh: the drop-ins a board needs', () => {
  const dropin = (root: string, name: string): string => join(root, 'etc/systemd/system/edge-agent.service.d', name);
  const bbb = ['platform/ocp/48000000.interconnect/4804c000.target-module/4804c000.gpio', 'platform/ocp/48000000.interconnect/481ac000.target-module/481ac000.gpio', 'platform/ocp/44c00000.interconnect/44e07000.target-module/44e07000.gpio'];

  it('BeagleBone Black: /sys/class/gpio and exactly its GPIO controllers become writable, nothing else of /sys', () => {
    const root = tempRoot();
    // Two chips of one controller (as on a Pi 5) give one path.
    fakeSysfs(root, [...bbb, bbb[2]!]);
    const result = install(root, '--board', 'beaglebone-black');
    const text = readFileSync(dropin(root, 'gpio-sysfs.conf'), 'utf8');
    const paths = /^ReadWritePaths=(.*)$/m.exec(text)?.[1]?.split(' ');
    assert.deepEqual(paths, ['-/sys/class/gpio', ...bbb.map((c) => `-/sys/devices/${c}`)]);
    assert.match(text, /^\[Service\]$/m);
    assert.match(result.stdout, /sysfs GPIO writable for the service/);
    const unit = readFileSync(join(root, 'etc/systemd/system/edge-agent.service'), 'utf8');
    assert.ok(unit.split('\n').includes('ProtectKernelTunables=yes'), 'the rest of /sys stays read-only');
    const verify = sh('systemd-analyze', ['verify', join(root, 'etc/systemd/system/edge-agent.service')]);
    assert.equal(verify.stderr.trim(), '', 'the drop-in is read and clean');
    assert.ok(exposure(root) <= 2.0);

    // A configuration without pins (or with simulated GPIO) takes the drop-in away again.
    const config = join(root, 'etc/edge-agent/agent.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), gpio: { simulated: true } }));
    install(root, '--board', 'beaglebone-black');
    assert.ok(!existsSync(dropin(root, 'gpio-sysfs.conf')));
  });

  it('Udoo Neo installed into an image (no sysfs to read): /sys/class/gpio only, and a warning to run it on the board', () => {
    const root = tempRoot();
    const result = install(root, '--board', 'udoo-neo');
    assert.match(readFileSync(dropin(root, 'gpio-sysfs.conf'), 'utf8'), /^ReadWritePaths=-\/sys\/class\/gpio$/m);
    assert.match(result.stdout, /WARNING: no GPIO chips under .*run install\.sh again on the board itself/);
  });

  it('without a loadable unix-dgram addon: NotifyAccess=all in a drop-in, gone again once the addon loads', () => {
    const root = tempRoot();
    const source = tempRoot();
    for (const part of ['dist/agent', 'dist/drivers', 'config', 'systemd', 'package.json']) cpSync(resolve(part), join(source, part), { recursive: true });
    cpSync(resolve('node_modules'), join(source, 'node_modules'), { recursive: true, filter: (path) => !path.includes('unix-dgram') });
    const result = install(root, '--board', 'raspberry-pi', '--source', source);
    assert.match(readFileSync(dropin(root, 'notify-access.conf'), 'utf8'), /^\[Service\]\nNotifyAccess=all$/m);
    // (npm prune --offline may put the package back from npm's cache, unbuilt: no bindings file)
    assert.match(result.stdout, /WARNING: the unix-dgram addon does not load \(Error: (Cannot find module|Could not locate the bindings file).*NotifyAccess=all/);
    assert.equal(exposure(root), 1.7, 'the fallback costs 0.2');
    const verify = sh('systemd-analyze', ['verify', join(root, 'etc/systemd/system/edge-agent.service')]);
    assert.equal(verify.stderr.trim(), '');

    install(root, '--board', 'raspberry-pi');
    assert.ok(!existsSync(dropin(root, 'notify-access.conf')));
    assert.equal(exposure(root), 1.5);
  });
});

describe('systemd/install.sh refuses clearly', () => {
  it('an unknown option (status 64) and a board it cannot tell', () => {
    const root = tempRoot();
    const unknown = sh('bash', [INSTALL, '--root', root, '--colour']);
    assert.equal(unknown.status, 64);
    assert.match(unknown.stderr, /unknown option '--colour'/);
    const noBoard = sh('bash', [INSTALL, '--root', root, '--board', 'pdp-11']);
    assert.equal(noBoard.status, 64);
    assert.match(noBoard.stderr, /no example configuration for board 'pdp-11'/);
  });
});
