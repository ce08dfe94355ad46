/**
 * The fault policy every sensor gets from the agent, whatever its driver: which bus errors are
 * worth trying again inside a tick (and how long to back off), and which values are not readings
 * at all. Drivers only report what happened (an I2cError with the OS code, a SensorResetError, an
 * operating range); deciding what to do about it lives here, so a new driver gets it for free.
 */
import type { Clock } from '../../drivers/clock.js';
import { I2cError } from '../../drivers/i2c/i2c-bus.js';
import type { Limits, Measurement, OperatingRange, Quantity } from '../../drivers/sensor.js';

/**
 * I2C fault codes that say "this transfer failed", not "this can never work" (Linux
 * Documentation/i2c/fault-codes.rst, which also notes that software "often retries idempotent
 * operations after transient faults"):
 * - EIO: the generic I/O failure, e.g. a glitch on SDA/SCL;
 * - EREMOTEIO: no acknowledge (how i2c-bcm2835 on a Raspberry Pi and i2c-omap on a BeagleBone
 *   Black report a NACK): the chip may be busy or briefly browned out;
 * - ENXIO: the address phase was not acknowledged (how i2c-imx on a Udoo Neo reports a NACK);
 * - ETIMEDOUT: the transfer took too long (clock stretching, a held bus) and was aborted;
 * - EAGAIN: arbitration lost (another master, or noise that looked like one);
 * - EBUSY: the bus stayed busy too long.
 * Everything else (EBADF closed bus, ENOENT no /dev/i2c-N, EACCES, EINVAL, a wrong chip ID, a
 * stuck status bit) is not retried within the tick; repeated failures lead to a re-init instead.
 */
export const TRANSIENT_I2C_CODES: ReadonlySet<string> = new Set(['EIO', 'EREMOTEIO', 'ENXIO', 'ETIMEDOUT', 'EAGAIN', 'EBUSY']);

export function isTransient(error: unknown): boolean {
  return error instanceof I2cError && TRANSIENT_I2C_CODES.has(error.code);
}

/** Back-off before retry n (1-based): 2, 4, 8 … ms. Bus glitches last microseconds to milliseconds. */
export const BACKOFF_BASE_MS = 2;

export function backoffMs(retry: number): number {
  return BACKOFF_BASE_MS * 2 ** (retry - 1);
}

/**
 * Retries of one tick stop when the next back-off would end later than this share of the
 * sensor's interval after the tick started: a flaky read may delay the tick, never eat the next.
 */
export const RETRY_BUDGET_SHARE = 0.5;

export interface RetryOptions {
  clock: Clock;
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  /** Time from the first attempt after which no retry starts, ms. */
  budgetMs: number;
  /** Called before each retry's back-off. */
  onRetry?(error: unknown, retry: number, waitMs: number): void;
}

/** Run `operation`, again after a back-off on a transient bus error, within attempts and budget. */
export async function retryTransient<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, attempts, budgetMs } = options;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const wait = backoffMs(attempt);
      if (!isTransient(error) || attempt >= attempts || clock.now() - started + wait > budgetMs) throw error;
      options.onRetry?.(error, attempt, wait);
      await clock.sleep(wait);
    }
  }
}

export interface OutOfRange {
  quantity: Quantity;
  value: number;
  /** Undefined when the value is not a finite number at all. */
  limits: Limits | undefined;
}

/**
 * The first measurement that cannot be a reading: not a finite number, or outside the limits the
 * driver declares for its quantity. One is enough to distrust the whole sample, since all of its
 * values come from one transfer and are compensated together (temperature feeds the others).
 */
export function outOfRange(measurements: readonly Measurement[], range: OperatingRange | undefined): OutOfRange | undefined {
  for (const { quantity, value } of measurements) {
    if (!Number.isFinite(value)) return { quantity, value, limits: undefined };
    const limits = range?.[quantity];
    if (limits && (value < limits.min || value > limits.max)) return { quantity, value, limits };
  }
  return undefined;
}

export function describeOutOfRange({ quantity, value, limits }: OutOfRange): string {
  return limits
    ? `${quantity} ${value} is outside the sensor's operating range ${limits.min}…${limits.max}`
    : `${quantity} is ${value}, not a number`;
}
