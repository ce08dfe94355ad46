/**
 * The hints for a device or sysfs file the agent may not use name what actually blocks it: the
 * unit's device policy (EPERM), a read-only /sys (EROFS, ProtectKernelTunables=yes), or file
 * modes (EACCES), and then which of: the file not yet handed to the group by udev, the process not
 * in the group, or the group lacking the permission. Never "add the user to the group" when the
 * user already is.
 */
import assert from 'node:assert/strict';
import { chmodSync, constants, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { accessFacts, modeDenial, type AccessFacts } from '../drivers/access-hint.js';
import { sysfsHint } from '../drivers/gpio/onoff-gpio.js';
import { deviceHint, I2cOpenError, openAndClose, openLinuxI2cBus } from '../drivers/i2c/linux-bus.js';

const dir = mkdtempSync(join(tmpdir(), 'edge-agent-hints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const facts = (over: Partial<AccessFacts>): AccessFacts => ({ path: '/dev/i2c-1', owner: 'root', group: 'i2c', mode: '0660', user: 'edge-agent', groups: ['edge-agent', 'i2c', 'gpio'], inGroup: true, ...over });
const fail = (code: string) => async (): Promise<never> => {
  throw Object.assign(new Error(code), { code });
};

describe('what a file says about who may use it', () => {
  it('accessFacts reads owner, group, mode and this process\'s groups', () => {
    const file = join(dir, 'node');
    writeFileSync(file, '');
    chmodSync(file, 0o640);
    const found = accessFacts(file)!;
    assert.equal(found.mode, '0640');
    assert.equal(found.owner, process.getuid!() === 0 ? 'root' : found.owner);
    assert.equal(found.inGroup, true, 'a file this process created is in its group');
    assert.ok(found.groups.length >= 1);
    assert.equal(accessFacts(join(dir, 'missing')), undefined, 'never throws');
  });

  it('three different causes of EACCES, three different fixes', () => {
    const rule = 'the rule';
    const notHandedOver = modeDenial(facts({ group: 'root', mode: '0600' }), 'i2c', rule, 'rw');
    assert.match(notHandedOver, /^\/dev\/i2c-1 is not in group i2c \(owner root:root, mode 0600; this process: edge-agent in edge-agent,i2c,gpio\): the rule has not run/);
    assert.doesNotMatch(notHandedOver, /usermod/, 'the user is in i2c already: adding it again would not help');
    const notMember = modeDenial(facts({ groups: ['edge-agent'], inGroup: false }), 'i2c', rule, 'rw');
    assert.match(notMember, /belongs to group i2c, which this process is not in .*usermod -aG i2c/);
    const noMode = modeDenial(facts({ mode: '0640' }), 'i2c', rule, 'rw');
    assert.match(noMode, /belongs to group i2c, but its mode gives the group no read and write permission .*mode 0640.*the rule sets it/);
  });
});

describe('I2C: the hint names what blocks /dev/i2c-N', () => {
  it('EPERM is the device cgroup (DeviceAllow=), not a group', async () => {
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: fail('EPERM') }), (error: unknown) => {
      assert.ok(error instanceof I2cOpenError);
      assert.equal(error.code, 'EPERM');
      assert.match(error.message, /\/dev\/i2c-1 is refused by this process's device cgroup \(EPERM.*DevicePolicy=closed.*DeviceAllow=char-i2c rw.*\/proc\/devices/);
      assert.doesNotMatch(error.message, /usermod|add the user/);
      return true;
    });
  });

  it('EACCES says which of owner, group membership or mode is wrong', async () => {
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: fail('EACCES'), facts: () => facts({ group: 'root', mode: '0600' }) }), /permission denied: \/dev\/i2c-1 is not in group i2c \(owner root:root, mode 0600;.*udev rule that gives \/dev\/i2c-\* to group i2c/);
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: fail('EACCES'), facts: () => facts({ groups: ['edge-agent'], inGroup: false }) }), /which this process is not in .*usermod -aG i2c/);
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: fail('EACCES'), facts: () => undefined }), /permission denied on \/dev\/i2c-1: it must belong to group i2c with mode 0660/);
  });

  it('ENXIO/ENODEV: the node is there, the adapter is not', () => {
    assert.match(deviceHint('ENXIO', '/dev/i2c-1'), /\/dev\/i2c-1 exists but no I2C adapter answers behind it \(ENXIO\)/);
    assert.match(deviceHint('ENODEV', '/dev/i2c-2'), /no I2C adapter .*\(ENODEV\)/);
  });

  it('the device is opened, not access()ed: only open(2) meets the device cgroup', async () => {
    // A directory passes access(R_OK|W_OK), as a device the cgroup refuses would; open r+ does not.
    await access(dir, constants.R_OK | constants.W_OK);
    await assert.rejects(openAndClose(dir), { code: 'EISDIR' });
    const file = join(dir, 'device');
    writeFileSync(file, '');
    await openAndClose(file);
  });
});

describe('sysfs GPIO: the hint names what blocks the write', () => {
  it('EROFS names ProtectKernelTunables and the drop-in, and where the symlink really leads', () => {
    const real = join(dir, 'devices', 'platform', 'ocp', '44e07000.gpio', 'gpio', 'gpio23');
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, 'value'), '0\n');
    mkdirSync(join(dir, 'class'), { recursive: true });
    symlinkSync(real, join(dir, 'class', 'gpio23'));
    const hint = sysfsHint('EROFS', join(dir, 'class', 'gpio23', 'value'), () => undefined)!;
    assert.ok(hint.includes(`(really ${join(real, 'value')})`), hint);
    assert.match(hint, /read-only mount \(EROFS\): under the systemd unit, ProtectKernelTunables=yes .*gpio-sysfs\.conf.*install\.sh again/);
    assert.doesNotMatch(hint, /usermod/);
  });

  it('EACCES: export still root\'s means the udev rule has not run; the group is right but the user is not in it', () => {
    const export_ = (over: Partial<AccessFacts>): AccessFacts => facts({ path: '/sys/class/gpio/export', mode: '0220', group: 'gpio', ...over });
    assert.match(sysfsHint('EACCES', '/sys/class/gpio/export', () => export_({ group: 'root', mode: '0200' }))!, /^\/sys\/class\/gpio\/export is not in group gpio \(owner root:root, mode 0200;.*the udev rule that gives \/sys\/class\/gpio\/export, unexport and each exported gpioN's files to group gpio/);
    assert.match(sysfsHint('EACCES', '/sys/class/gpio/export', () => export_({ groups: ['edge-agent', 'i2c'], inGroup: false }))!, /which this process is not in .*usermod -aG gpio/);
    assert.match(sysfsHint('EACCES', '/sys/class/gpio/export', () => export_({ mode: '0200' }))!, /gives the group no write permission/);
    assert.equal(sysfsHint('EBUSY', '/sys/class/gpio/export', () => undefined), undefined, 'not a permission problem');
  });
});
