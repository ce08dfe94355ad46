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

export interface Sensor {
  /** The chip as detected, e.g. "BMP280", "BME280". */
  readonly model: string;
  /** Which quantities `read()` returns, known after `init()`. */
  readonly quantities: readonly Quantity[];
  /** Identify the chip, read its calibration and configure it. */
  init(): Promise<void>;
  read(): Promise<Measurement[]>;
  /** Put the chip to sleep; the bus stays open (its owner closes it). */
  halt(): Promise<void>;
}
