/**
 * Which exit status an error that ends a command gets: 69 (EX_UNAVAILABLE) for hardware that is
 * not there or may not be used, the I2C support missing included (README, "Exit statuses").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, isHardwareUnavailable } from '../agent/exit-status.js';
import { openLinuxI2cBus } from '../drivers/i2c/linux-bus.js';

const present = async (): Promise<void> => undefined;

/** What openLinuxI2cBus throws (the real error) for a device that is there and an i2c-bus that cannot be loaded. */
async function openError(importModule: () => Promise<unknown>): Promise<unknown> {
  return openLinuxI2cBus(1, { checkDevice: present, importModule }).then(
    () => assert.fail('opened'),
    (error: unknown) => error,
  );
}

describe('exit status 69: hardware unavailable', () => {
  it('the optional package i2c-bus not installed', async () => {
    const error = await openError(() => Promise.reject(Object.assign(new Error("Cannot find package 'i2c-bus' imported from /opt/edge-agent/dist/drivers/i2c/linux-bus.js"), { code: 'ERR_MODULE_NOT_FOUND' })));
    assert.match(String(error), /optional package i2c-bus is missing/);
    assert.equal(isHardwareUnavailable(error), true);
  });

  it('its native addon not built (or built for another Node)', async () => {
    const error = await openError(() => Promise.reject(new Error('Could not locate the bindings file. Tried: build/Release/i2c.node')));
    assert.equal(isHardwareUnavailable(error), true);
  });

  it('no /dev/i2c-N, or one the process may not open', async () => {
    for (const code of ['ENOENT', 'EACCES', 'EPERM', 'ENXIO']) {
      const error = await openLinuxI2cBus(1, { checkDevice: () => Promise.reject(Object.assign(new Error(code), { code })), facts: () => undefined }).catch((e: unknown) => e);
      assert.equal(isHardwareUnavailable(error), true, code);
    }
  });

  it('an error of ours is not hardware: exit 1', () => {
    assert.equal(isHardwareUnavailable(new TypeError('x is not a function')), false);
    assert.equal(isHardwareUnavailable(Object.assign(new Error('boom'), { code: 'ERR_SOMETHING' })), false);
    assert.equal(EXIT.unavailable, 69);
  });
});
