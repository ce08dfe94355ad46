/**
 * What every driver reports, whatever the chip: a list of measurements in canonical units. Unit
 * conversion, rounding, topics and payloads happen above this line, so nothing chip-specific leaks
 * into the agent.
 */
export type Quantity = 'temperature' | 'pressure' | 'humidity' | 'altitude';

/** Canonical units a driver reports in. */
export const CANONICAL_UNIT = {
  temperature: '°C',
  pressure: 'Pa',
  humidity: '%',
  altitude: 'm',
} as const satisfies Record<Quantity, string>;

export interface Measurement {
  quantity: Quantity;
  /** In CANONICAL_UNIT[quantity]. */
  value: number;
}

/** Inclusive limits of one quantity, in its canonical unit. */
export interface Limits {
  min: number;
  max: number;
}

/**
 * What the chip can physically measure, per quantity, in canonical units. A value outside is not
 * a reading but a fault (a corrupted transfer, a confused chip), and the agent drops the sample.
 * Quantities not listed are not checked (e.g. altitude, which follows from pressure).
 */
export type OperatingRange = Partial<Record<Quantity, Limits>>;

/**
 * Thrown by `read()` when the chip has lost the configuration `init()` wrote (a power glitch or a
 * reset behind the driver's back: registers back at their defaults). Nothing read from it can be
 * trusted until `init()` runs again, which is what the agent does on the next tick.
 */
export class SensorResetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SensorResetError';
  }
}

export interface Sensor {
  /** The chip as detected, e.g. "BMP280", "BME280". */
  readonly model: string;
  /** Which quantities `read()` returns, known after `init()`. */
  readonly quantities: readonly Quantity[];
  /** Identify the chip, read its calibration and configure it. */
  init(): Promise<void>;
  /**
   * Read one sample. Bus errors come out as the bus's I2cError (the agent retries the transient
   * ones); a chip found reset comes out as SensorResetError (the agent re-initialises it).
   */
  read(): Promise<Measurement[]>;
  /** Optional: the chip's physical operating range; readings outside it are rejected, not published. */
  readonly operatingRange?: OperatingRange;
  /** Put the chip to sleep; the bus stays open (its owner closes it). */
  halt(): Promise<void>;
}
