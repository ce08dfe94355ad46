/**
 * One periodic task per sensor: read the chip, turn its measurements into readings in the
 * configured units and hand them on. A failing read is logged with the sensor's name and counted;
 * the next tick tries again (and re-initialises the chip if it never came up), so one bad sensor
 * never stops the others.
 */
import type { Clock } from '../drivers/clock.js';
import type { Sensor } from '../drivers/sensor.js';
import type { MeasurementConfig, SensorConfig } from './config/types.js';
import type { Logger } from './logger.js';
import type { Reading } from './reading.js';
import type { PeriodicTask } from './scheduler.js';
import { convert, round } from './units.js';

export interface PublishableReading {
  reading: Reading;
  measurement: MeasurementConfig;
}

/** Receives all readings of one sample together, so a tick's work can be done in one go. */
export type ReadingSink = (readings: PublishableReading[]) => void;

export interface SamplerStats {
  samples: number;
  errors: number;
  lastError: string;
}

export class Sampler implements PeriodicTask {
  readonly name: string;
  readonly intervalMs: number;
  readonly stats: SamplerStats = { samples: 0, errors: 0, lastError: '' };
  private seq = 0;
  private initialised = false;
  private recovering = false;

  constructor(
    private readonly config: SensorConfig,
    private readonly sensor: Sensor,
    private readonly clock: Clock,
    private readonly sink: ReadingSink,
    private readonly logger: Logger,
  ) {
    this.name = config.name;
    this.intervalMs = config.intervalMs;
  }

  /** Continue numbering after `seq` (the last number this sensor used before a restart). */
  resumeAfter(seq: number): void {
    if (seq > this.seq) this.seq = seq;
  }

  async init(): Promise<void> {
    await this.sensor.init();
    this.initialised = true;
    this.logger.info('sensor ready', { sensor: this.name, chip: this.sensor.model, measures: this.sensor.quantities.join(',') });
  }

  async run(): Promise<void> {
    try {
      if (!this.initialised) await this.init();
      const ts = this.clock.wallNow();
      const measurements = await this.sensor.read();
      const seq = ++this.seq;
      this.stats.samples++;
      const readings: PublishableReading[] = [];
      for (const m of measurements) {
        const measurement = this.config.measurements[m.quantity];
        if (!measurement?.enabled) continue;
        const value = round(convert(m.quantity, m.value, measurement.unit), measurement.decimals);
        readings.push({ reading: { sensor: this.name, measurement: m.quantity, value, unit: measurement.unit, ts, seq }, measurement });
      }
      if (this.stats.errors > 0 && this.recovering) {
        this.recovering = false;
        this.logger.info('sensor recovered', { sensor: this.name, errors: this.stats.errors });
      }
      this.sink(readings);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.stats.errors++;
      // The same failure every tick is one event to a reader of the journal, not hundreds.
      const repeated = this.recovering && message === this.stats.lastError;
      this.stats.lastError = message;
      this.recovering = true;
      if (repeated) this.logger.debug('sensor read failed again', { sensor: this.name, error: message });
      else this.logger.warn('sensor read failed', { sensor: this.name, error: message });
    }
  }
}
