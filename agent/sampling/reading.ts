/**
 * What sampling hands on. Names, one per concept (docs/architecture.md):
 * - a *quantity* is what is measured: temperature, pressure, humidity, altitude;
 * - a *measurement* is one quantity of one sensor: the chip's value of it (a driver's
 *   `Measurement`, in canonical units) and how the config publishes it (`MeasurementConfig`, the
 *   entry `sensors[].measurements.<quantity>`);
 * - a *reading* is a measurement's value as published: in its unit, filtered and rounded;
 * - a *sample* is one read of one sensor: its readings share the sensor, the time and the number.
 */
import type { Quantity } from '../../drivers/sensor.js';
import type { MeasurementConfig, Unit } from '../config/types.js';

export interface Reading {
  quantity: Quantity;
  value: number;
  unit: Unit;
  /** How this measurement is published: topic, payload format, QoS, retain. */
  measurement: MeasurementConfig;
}

export interface Sample {
  sensor: string;
  /** Per-sensor sample counter: the number every reading of this sample carries. */
  seq: number;
  /** UTC wall-clock time of the read, epoch ms. */
  ts: number;
  /** Empty when every reading was held back by a gate (delta, throttle). */
  readings: Reading[];
}
