import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, describeOutOfRange, isTransient, outOfRange, retryTransient, TRANSIENT_I2C_CODES } from '../agent/sampling/sensor-guard.js';
import { BMP280_OPERATING_RANGE } from '../drivers/bmp280/bmp280.js';
import { ManualClock } from '../drivers/clock.js';
import { I2cError } from '../drivers/i2c/i2c-bus.js';
import { SensorResetError } from '../drivers/sensor.js';
import { drive } from './bmp280-helpers.js';

const busError = (code: string): I2cError => new I2cError(`simulated ${code}`, code, 0x76);

/** An operation that fails with the given errors in turn, then returns 'ok'; records when it ran. */
function flaky(clock: ManualClock, errors: unknown[]): { op: () => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    op: async () => {
      calls.push(clock.now());
      const error = errors.shift();
      if (error !== undefined) throw error;
      return 'ok';
    },
  };
}

describe('which errors are retried', () => {
  it('bus codes that mean "this transfer failed" are transient; the rest are not', () => {
    for (const code of ['EIO', 'EREMOTEIO', 'ENXIO', 'ETIMEDOUT', 'EAGAIN', 'EBUSY']) assert.ok(isTransient(busError(code)), code);
    for (const code of ['EBADF', 'ENOENT', 'EACCES', 'EINVAL']) assert.ok(!isTransient(busError(code)), code);
    assert.equal(TRANSIENT_I2C_CODES.size, 6);
    assert.ok(!isTransient(new SensorResetError('reset')), 'a reset needs init(), not the same read again');
    assert.ok(!isTransient(Object.assign(new Error('EIO'), { code: 'EIO' })), 'only the bus’s own I2cError');
  });
});

describe('retryTransient', () => {
  it('retries a transient error after 2, then 4 ms on the injected clock, and returns the result', async () => {
    const clock = new ManualClock();
    const { op, calls } = flaky(clock, [busError('EIO'), busError('EREMOTEIO')]);
    const retries: Array<[number, number]> = [];
    const result = await drive(clock, retryTransient(op, { clock, attempts: 3, budgetMs: 500, onRetry: (_e, n, wait) => retries.push([n, wait]) }));
    assert.equal(result, 'ok');
    assert.deepEqual(calls, [0, 2, 6]);
    assert.deepEqual(retries, [[1, 2], [2, 4]]);
    assert.deepEqual([1, 2, 3, 4].map(backoffMs), [2, 4, 8, 16]);
  });

  it('gives up after `attempts` with the last error', async () => {
    const clock = new ManualClock();
    const { op, calls } = flaky(clock, [busError('EIO'), busError('EIO'), busError('ETIMEDOUT'), undefined]);
    await assert.rejects(drive(clock, retryTransient(op, { clock, attempts: 3, budgetMs: 500 })), { code: 'ETIMEDOUT' });
    assert.equal(calls.length, 3);
  });

  it('does not retry what is not transient', async () => {
    const clock = new ManualClock();
    const { op, calls } = flaky(clock, [new SensorResetError('reset'), undefined]);
    await assert.rejects(drive(clock, retryTransient(op, { clock, attempts: 5, budgetMs: 500 })), SensorResetError);
    assert.equal(calls.length, 1);
  });

  it('stops retrying when the next back-off would pass the budget (a short interval gets fewer retries)', async () => {
    const clock = new ManualClock();
    const { op, calls } = flaky(clock, [busError('EIO'), busError('EIO'), busError('EIO'), undefined]);
    // budget 5 ms: retry after 2 ms (2 ≤ 5), not after a further 4 (6 > 5)
    await assert.rejects(drive(clock, retryTransient(op, { clock, attempts: 10, budgetMs: 5 })), { code: 'EIO' });
    assert.deepEqual(calls, [0, 2]);
  });
});

describe('outOfRange', () => {
  const range = BMP280_OPERATING_RANGE;

  it('accepts the edges of the datasheet range and anything not ranged (altitude)', () => {
    assert.equal(outOfRange([
      { quantity: 'temperature', value: -40 },
      { quantity: 'pressure', value: 110000 },
      { quantity: 'humidity', value: 0 },
      { quantity: 'altitude', value: -9999 },
    ], range), undefined);
  });

  it('names the first impossible value: beyond a limit, or not a number at all', () => {
    const hot = outOfRange([{ quantity: 'pressure', value: 101325 }, { quantity: 'temperature', value: 191.4 }], range);
    assert.deepEqual(hot, { quantity: 'temperature', value: 191.4, limits: { min: -40, max: 85 } });
    assert.equal(describeOutOfRange(hot!), "temperature 191.4 is outside the sensor's operating range -40…85");
    assert.equal(outOfRange([{ quantity: 'pressure', value: 29999 }], range)?.quantity, 'pressure');
    const nan = outOfRange([{ quantity: 'altitude', value: Number.NaN }], undefined);
    assert.equal(describeOutOfRange(nan!), 'altitude is NaN, not a number');
  });
});
