/**
 * A reading is one measurement of one sample, in its published unit: what flows from the
 * sampler to the publisher (and, in later work, through the disk queue).
 */
import type { Quantity } from '../../drivers/sensor.js';
import type { Unit } from '../config/types.js';

export interface Reading {
  sensor: string;
  measurement: Quantity;
  value: number;
  unit: Unit;
  /** UTC wall-clock time of the sample, epoch ms. */
  ts: number;
  /** Per-sensor sample counter: every measurement of one sample shares it. */
  seq: number;
}
