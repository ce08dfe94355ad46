/**
 * Shared by every driver test: `drive` moves a ManualClock forward while a driver call is pending
 * (nothing really sleeps), `valueOf` picks a quantity from a reading, `near` compares within a
 * stated tolerance.
 */
import type { ManualClock } from '../../drivers/clock.js';
import type { Measurement, Quantity } from '../../drivers/sensor.js';

/** Resolve `promise` by advancing `clock` in `stepMs` steps (sleepers wake at their exact times). */
export async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs = 1, maxSteps = 100_000): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  tracked.catch(() => undefined);
  for (let i = 0; !settled; i++) {
    if (i >= maxSteps) throw new Error(`drive: still pending after ${maxSteps} steps of ${stepMs} ms`);
    await clock.advance(stepMs);
  }
  return tracked;
}

export function valueOf(measurements: Measurement[], quantity: Quantity): number | undefined {
  return measurements.find((m) => m.quantity === quantity)?.value;
}

export function near(actual: number | undefined, expected: number, tolerance: number, what: string): void {
  if (actual === undefined || !(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}
