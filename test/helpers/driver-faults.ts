/**
 * Fault checks every driver must pass against its simulator, written once: a NACK is reported as
 * the bus's own error and the next reading works; a conversion that never finishes ends in a
 * ConversionTimeoutError after the datasheet time plus the driver's polls.
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '../../drivers/clock.js';
import { ConversionTimeoutError } from '../../drivers/errors.js';
import { I2cError } from '../../drivers/i2c/i2c-bus.js';
import type { SimulatedI2cBus } from '../../drivers/i2c/simulated-bus.js';
import type { Quantity, Sensor } from '../../drivers/sensor.js';
import { drive, near, valueOf } from './drive.js';

export interface DriverRig {
  clock: ManualClock;
  bus: SimulatedI2cBus;
  sensor: Sensor;
}

export async function assertNackThenRecovers(rig: DriverRig, quantity: Quantity, expected: number, tolerance: number): Promise<void> {
  const { clock, bus, sensor } = rig;
  await drive(clock, sensor.init());
  bus.failNext(1, 'EREMOTEIO');
  await assert.rejects(drive(clock, sensor.read()), (e: unknown) => e instanceof I2cError && e.code === 'EREMOTEIO');
  near(valueOf(await drive(clock, sensor.read()), quantity), expected, tolerance, `${quantity} after the NACK`);
}

export async function assertStuckTimesOut(rig: DriverRig, stick: () => void, waitedMs: number): Promise<void> {
  const { clock, sensor } = rig;
  await drive(clock, sensor.init());
  stick();
  await assert.rejects(drive(clock, sensor.read()), (e: unknown) => e instanceof ConversionTimeoutError && e.waitedMs === waitedMs);
}
