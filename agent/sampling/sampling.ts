/**
 * The sampling pipeline over opened hardware: one Sampler per sensor (retries, the range check, the
 * unit, the filters, rounding and numbering: sampler.ts) and the sensors that share an interval in
 * one SampleGroup (one tick for all of them: sample-group.ts). `edge-agent run` schedules the
 * groups; `edge-agent read` runs the samplers one after another: a sample is taken one way, so what
 * `read` prints is what `run` publishes.
 */
import type { Clock } from '../../drivers/clock.js';
import type { Quantity, Sensor } from '../../drivers/sensor.js';
import type { MeasurementConfig, SensorConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { SensorNumbering } from '../publishing/numbering.js';
import { SampleGroup, type BatchSink } from './sample-group.js';
import { Sampler } from './sampler.js';

export class Sampling {
  readonly samplers: Sampler[] = [];
  /** By interval, in the order of their first sensor in the config. */
  readonly groups: SampleGroup[] = [];

  constructor(sensors: ReadonlyArray<{ config: SensorConfig; sensor: Sensor }>, clock: Clock, sink: BatchSink, logger: Logger) {
    const byInterval = new Map<number, SampleGroup>();
    for (const { config, sensor } of sensors) {
      let group = byInterval.get(config.intervalMs);
      if (!group) {
        group = new SampleGroup(config.intervalMs, sink);
        byInterval.set(config.intervalMs, group);
        this.groups.push(group);
      }
      const sampler = new Sampler(config, sensor, clock, group.collect, logger);
      group.add(sampler);
      this.samplers.push(sampler);
    }
  }

  /**
   * Each sensor's numbering. A sensor that sends QoS 0 numbers readings the disk does not see at
   * once: the outbox reserves numbers ahead for it, so a crash never makes one come round twice.
   * What the chip measures counts (a BMP280 entry may leave humidity enabled; it never sends it);
   * a chip not identified yet is taken at its config's word. A per-sample sensor sends one
   * message per sample, at one QoS.
   */
  numbering(): Record<string, SensorNumbering> {
    const out: Record<string, SensorNumbering> = {};
    for (const sampler of this.samplers) {
      const { config } = sampler;
      const enabled = (Object.entries(config.measurements) as Array<[Quantity, MeasurementConfig | undefined]>).filter(([, m]) => m?.enabled === true);
      // Per sample, the sensor's one message has the highest QoS of its enabled measurements
      // (publishing/publisher.ts): QoS 0 only when every one of them is.
      const qos0 = config.layout === 'per-sample'
        ? enabled.every(([, m]) => m!.qos === 0)
        : enabled.some(([quantity, m]) => m!.qos === 0 && (sampler.measures?.includes(quantity) ?? true));
      out[config.name] = { intervalMs: config.intervalMs, qos0 };
    }
    return out;
  }

  /** Continue each sensor's numbering after the last number it used before a restart. */
  resumeAfter(lastSeqs: Readonly<Record<string, number>>): void {
    for (const sampler of this.samplers) sampler.resumeAfter(lastSeqs[sampler.name] ?? 0);
  }
}
