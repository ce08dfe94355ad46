/**
 * Errors every driver raises in the same shape, so the agent can log them alike: the chip family,
 * the address, and what to do. Bus failures are not wrapped: they stay the bus's I2cError.
 */
import { hex } from './i2c/i2c-bus.js';

/**
 * The `code` of an error saying that this machine lacks the software a bus needs (an optional
 * package not installed, its native addon not built). Like a missing /dev/i2c-N it is hardware
 * being unavailable, not a fault: the command line exits with sysexits' EX_UNAVAILABLE (69).
 */
export const HARDWARE_UNAVAILABLE = 'ERR_HARDWARE_UNAVAILABLE';

/** Something answered at the address, but not the chip this driver handles. */
export class WrongChipError extends Error {
  readonly address: number;
  readonly id: number;

  constructor(family: string, address: number, what: string, id: number, expected: string) {
    super(`${family} at ${hex(address)}: ${what} reads ${hex(id)}, expected ${expected}; check the address and the driver in the config (edge-agent probe lists the chips on the bus)`);
    this.name = 'WrongChipError';
    this.address = address;
    this.id = id;
  }
}

/**
 * A conversion did not finish within the datasheet's time plus a few polls. `what` says which bit
 * or result was waited for and in what state it stayed ("… not set", "… still set").
 */
export class ConversionTimeoutError extends Error {
  readonly address: number;
  readonly waitedMs: number;

  constructor(family: string, address: number, what: string, waitedMs: number) {
    super(`${family} at ${hex(address)}: ${what} after ${waitedMs} ms; the chip may be stuck or badly powered (power-cycle it and check VDD)`);
    this.name = 'ConversionTimeoutError';
    this.address = address;
    this.waitedMs = waitedMs;
  }
}

/** An address the chip cannot answer at (a wiring or config mistake), before touching the bus. */
export function checkChipAddress(family: string, address: number, allowed: readonly number[], wiring: string): void {
  if (!allowed.includes(address)) {
    throw new RangeError(`${family} address ${Number.isInteger(address) ? hex(address) : String(address)} is not possible: ${wiring}`);
  }
}
