/**
 * What a driver tells the registry (drivers/registry.ts) about itself: its name, its chips, where
 * they answer and how they are recognised, what they measure, its options, how long a reading
 * waits, and how to make the Sensor and the simulated chip. Everything except the last two is data
 * and small functions, so the configuration schema, `probe` and the generated reference read it
 * without loading any driver: `create` and `simulate` import the driver's code when they are
 * first called (a board with one BMP280 loads one driver, and no simulator).
 */
import type { Clock } from './clock.js';
import type { I2cBus } from './i2c/i2c-bus.js';
import type { I2cDevice } from './i2c/simulated-bus.js';
import type { OptionTable } from './options.js';
import type { Quantity, Sensor } from './sensor.js';

/**
 * How `probe` recognises a chip by reading only: the value of an ID register, or, for a chip that
 * has none, a read that identifies it (which must not write a register either).
 */
export type Identification =
  | { register: number; ids: Readonly<Record<number, string>> }
  | {
    /** What is read, for the reference: "the PROM's CRC-4 (no ID register)". */
    what: string;
    read(bus: I2cBus, address: number): Promise<{ id: number; chip?: string }>;
  };

/** A problem a driver's rule finds in one sensor entry; `path` is inside the entry (`settings.mode`). */
export interface EntryProblem {
  path: string;
  message: string;
  hint: string;
}

/** One sensor entry of this driver as the configuration loaded it. */
export interface DriverEntry<Settings, Simulation> {
  address: number;
  intervalMs: number;
  settings: Settings;
  simulation: Simulation;
  /** The quantities the entry publishes (measurements.*.enabled). */
  enabled: ReadonlySet<Quantity>;
}

/** A check across keys that only this driver has, with the sentence the reference shows for it. */
export interface DriverRule<Settings, Simulation> {
  doc: string;
  check(entry: DriverEntry<Settings, Simulation>, context: { simulated: boolean }): EntryProblem[];
}

export interface DriverDescription<Name extends string = string, Settings = unknown, Simulation = unknown> {
  /** The value of a sensor's `driver` key. */
  readonly name: Name;
  /** Other names `driver` accepts for it, compared case-insensitively (the chips' own names). */
  readonly aliases: readonly string[];
  /** The chips it handles, as their makers name them; the first is the family's name. */
  readonly chips: readonly string[];
  /** Every 7-bit address the chips can answer at. */
  readonly addresses: readonly number[];
  readonly defaultAddress: number;
  /** How the address is chosen on a board, as advice: "use 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)". */
  readonly addressHint: string;
  readonly identify: Identification;
  /** What the chips can measure. */
  readonly measures: readonly Quantity[];
  /** A quantity only one of the chips measures: { humidity: 'BME280' }. */
  readonly measuredOnlyBy?: Readonly<Partial<Record<Quantity, string>>>;
  /** `settings`: what the driver is configured with. */
  readonly settings: OptionTable<Settings>;
  /** `simulation`: what the simulated chip senses and answers as. */
  readonly simulation: OptionTable<Simulation>;
  /**
   * How long one reading waits for conversions with these settings, ms (datasheet maxima): the
   * configuration keeps intervalMs at least this long. Undefined: a reading does not wait.
   */
  readingTimeMs(settings: Settings): number | undefined;
  readonly rules?: readonly DriverRule<Settings, Simulation>[];
  /** The driver for one chip on a bus (its code is imported on the first call). */
  create(bus: I2cBus, clock: Clock, options: { address: number; settings: Settings }): Promise<Sensor>;
  /** A simulated chip for `--simulate` and tests (its code is imported on the first call). */
  simulate(clock: Clock, options: { address: number; settings: Settings; simulation: Simulation }): Promise<I2cDevice>;
}
