/**
 * One periodic task per sensor: read the chip, turn its measurements into readings in the
 * configured units and hand them on. Faults are handled here for every driver alike
 * (agent/sampling/sensor-guard.ts holds the policy): a transient bus error is retried within the tick, a
 * value outside the chip's operating range drops the sample, and after `faults.reinitAfter`
 * consecutive failed samples (or at once when the driver finds the chip reset) the sensor is
 * re-initialised on the next tick. A failure never leaves this task, so one bad sensor never
 * stops the others; each kind of trouble is logged once per episode, at most one line a minute
 * per kind however many episodes a flaky sensor has, and counted in `stats`. A tick that comes
 * while this sensor's previous read is still running (retries, a slow bus) is skipped for this
 * sensor alone and counted: reads of one sensor never overlap.
 */
import type { Clock } from '../../drivers/clock.js';
import { SensorResetError, type Measurement, type Quantity, type Sensor } from '../../drivers/sensor.js';
import type { FaultConfig, MeasurementConfig, SensorConfig } from '../config/types.js';
import { FilterChain } from './filters.js';
import { LogLimiter } from '../log/log-limiter.js';
import type { LogFields, Logger } from '../log/logger.js';
import type { Reading, Sample } from './reading.js';
import type { PeriodicTask } from './scheduler.js';
import { describeOutOfRange, outOfRange, retryTransient, RETRY_BUDGET_SHARE, type RetryOptions } from './sensor-guard.js';
import { convert, round } from './units.js';

/** Receives each sample as it is taken (a SampleGroup collects a tick's). */
export type SampleSink = (sample: Sample) => void;

/** Counters since start, for logs and the health topic. */
export interface SamplerStats {
  /** Samples handed to the sink. */
  samples: number;
  /** Ticks that ended without a sample because of an error (after retries). */
  errors: number;
  /** Extra attempts made within ticks after a transient bus error. */
  retries: number;
  /** Successful initialisations after the first one. */
  reinits: number;
  /** Times the driver found the chip reset behind its back. */
  resets: number;
  /** Samples dropped because a value was outside the sensor's operating range. */
  rejected: number;
  /**
   * Ticks at which this sensor was not read: its previous read was still running (retries, a
   * slow bus), or the agent woke too late for the tick altogether (a blocked event loop).
   */
  skipped: number;
  /** Failed or rejected samples in a row, now (0 when the last sample was good). */
  consecutiveFailures: number;
  lastError: string;
}

/**
 * A cause that keeps coming back (a flaky sensor starts a new episode every few ticks; a slow one
 * has a tick skipped every few) writes one line a minute, carrying how many were held back
 * (`suppressed=N`); the held-back ones are DEBUG lines. `stats` still count every one.
 */
export const REPEAT_LOG_INTERVAL_MS = 60_000;

/** Used when a config entry has no `faults` (configs built by hand); the schema has the same defaults. */
export const DEFAULT_FAULTS: FaultConfig = { readAttempts: 3, reinitAfter: 3 };

/** What went wrong with a sample; `reinit` is the decision that follows, logged the same way. */
type Failure = 'read' | 'init' | 'reset' | 'range';
type Trouble = Failure | 'reinit';
/** What the limiter tells apart: each kind of trouble, and the lines that end or accompany one. */
type LogCause = Trouble | 'skipped' | 'recovered' | 'reinitialised';

const FAILURE_LOG: Record<Failure, string> = {
  read: 'sensor read failed',
  init: 'sensor initialisation failed',
  reset: 'sensor was reset behind our back, will re-initialise',
  range: 'reading outside the operating range',
};

export class Sampler implements PeriodicTask {
  readonly name: string;
  readonly intervalMs: number;
  readonly stats: SamplerStats = { samples: 0, errors: 0, retries: 0, reinits: 0, resets: 0, rejected: 0, skipped: 0, consecutiveFailures: 0, lastError: '' };
  private readonly faults: FaultConfig;
  /** Made once, as is `read`: a tick allocates as little as it can (20 ticks a second make a lot of garbage). */
  private readonly retry: RetryOptions;
  private readonly read = (): Promise<Measurement[]> => this.sensor.read();
  private seq = 0;
  private initialisedOnce = false;
  private needsInit = true;
  /** Failed samples since the last successful init: a persistent fault re-inits every `reinitAfter` ticks, not every tick. */
  private failuresSinceInit = 0;
  /** Filter state per measurement (windows, last published), kept across samples. */
  private readonly filters = new Map<Quantity, FilterChain>();
  /** Kinds of trouble already logged at warn level in the current episode (since the last good sample). */
  private readonly warned = new Set<Trouble>();
  /** Lines whose cause recurs across episodes: at most one per cause per REPEAT_LOG_INTERVAL_MS. */
  private readonly lines: LogLimiter;
  /** A read (or init) of this sensor is running: a tick that comes meanwhile is skipped, not stacked. */
  private busy = false;

  constructor(
    readonly config: SensorConfig,
    private readonly sensor: Sensor,
    private readonly clock: Clock,
    private readonly sink: SampleSink,
    private readonly logger: Logger,
  ) {
    this.name = config.name;
    this.intervalMs = config.intervalMs;
    this.faults = config.faults ?? DEFAULT_FAULTS;
    this.lines = new LogLimiter(clock, REPEAT_LOG_INTERVAL_MS);
    this.retry = {
      clock,
      attempts: this.faults.readAttempts,
      budgetMs: this.intervalMs * RETRY_BUDGET_SHARE,
      onRetry: (error, retry, waitMs) => {
        this.stats.retries++;
        this.logger.debug('transient bus error, retrying', { sensor: this.name, retry, waitMs, error: error instanceof Error ? error.message : String(error) });
      },
    };
    for (const [quantity, measurement] of Object.entries(config.measurements) as Array<[Quantity, MeasurementConfig | undefined]>) {
      if (measurement?.filters?.length) this.filters.set(quantity, new FilterChain(measurement.filters));
    }
  }

  /** What the chip measures, once it has been identified (undefined before its first init). */
  get measures(): readonly Quantity[] | undefined {
    return this.initialisedOnce ? this.sensor.quantities : undefined;
  }

  /** Continue numbering after `seq` (the last number this sensor used before a restart). */
  resumeAfter(seq: number): void {
    if (seq > this.seq) this.seq = seq;
  }

  /**
   * Identify, calibrate and configure the chip (retrying transient bus errors). Throws if it
   * cannot, for the caller to report; the failure is counted, and the next tick tries again.
   */
  async init(): Promise<void> {
    try {
      await this.initialise();
    } catch (error) {
      this.failed('init', error, { logged: false });
      throw error;
    }
  }

  private async initialise(): Promise<void> {
    await retryTransient(() => this.sensor.init(), this.retry);
    this.needsInit = false;
    this.failuresSinceInit = 0;
    if (this.initialisedOnce) {
      this.stats.reinits++;
      this.limited('info', 'reinitialised', 'sensor re-initialised', { sensor: this.name, chip: this.sensor.model, reinits: this.stats.reinits });
    } else {
      this.logger.info('sensor ready', { sensor: this.name, chip: this.sensor.model, measures: this.sensor.quantities.join(',') });
    }
    this.initialisedOnce = true;
  }

  /**
   * One tick: sample the sensor, or, if its previous read is still running, skip this tick for it
   * (counted, and logged at most once a minute) and return at once. Resolves to whether the
   * sensor was read (whatever came of it), false for a skipped tick.
   */
  async run(): Promise<boolean> {
    if (this.busy) {
      this.stats.skipped++;
      this.limited('warn', 'skipped', 'sensor read still running at its next tick, tick skipped', { sensor: this.name, skipped: this.stats.skipped });
      return false;
    }
    this.busy = true;
    try {
      if (this.needsInit) {
        try {
          await this.initialise();
        } catch (error) {
          this.failed('init', error);
          return true;
        }
      }
      const ts = this.clock.wallNow();
      let measurements: Measurement[];
      try {
        measurements = await retryTransient(this.read, this.retry);
      } catch (error) {
        if (error instanceof SensorResetError) {
          this.stats.resets++;
          this.needsInit = true; // nothing it says can be trusted until it is configured again
          this.failed('reset', error);
        } else {
          this.failed('read', error);
        }
        return true;
      }
      const bad = outOfRange(measurements, this.sensor.operatingRange);
      if (bad) {
        this.stats.rejected++;
        this.failed('range', new Error(`${describeOutOfRange(bad)}; sample rejected`), { counted: false });
        return true;
      }
      this.publish(measurements, ts);
      return true;
    } finally {
      this.busy = false;
    }
  }

  /** Ticks this sensor missed because the whole group's tick was skipped (the agent woke too late). */
  missed(ticks: number): void {
    this.stats.skipped += ticks;
  }

  private publish(measurements: Measurement[], ts: number): void {
    const seq = ++this.seq;
    this.stats.samples++;
    const readings: Reading[] = [];
    for (const m of measurements) {
      const measurement = this.config.measurements[m.quantity];
      if (!measurement?.enabled) continue;
      const converted = convert(m.quantity, m.value, measurement.unit);
      const chain = this.filters.get(m.quantity);
      const filtered = chain ? chain.apply(converted, this.clock.now()) : converted;
      if (filtered === undefined) continue; // held back by a delta or throttle filter
      const value = round(filtered, measurement.decimals);
      readings.push({ quantity: m.quantity, value, unit: measurement.unit, measurement });
    }
    if (this.stats.consecutiveFailures > 0) {
      this.limited('info', 'recovered', 'sensor recovered', { sensor: this.name, failedSamples: this.stats.consecutiveFailures, errors: this.stats.errors });
    }
    this.stats.consecutiveFailures = 0;
    this.failuresSinceInit = 0;
    this.warned.clear();
    this.sink({ sensor: this.name, seq, ts, readings });
  }

  /** Count and log a sample that produced nothing; decide whether the next tick re-initialises. */
  private failed(kind: Failure, error: unknown, { counted = true, logged = true } = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    if (counted) this.stats.errors++;
    this.stats.consecutiveFailures++;
    this.stats.lastError = message;
    // The same trouble every tick is one event to a reader of the journal, not hundreds; and a
    // sensor that has a new episode every few ticks writes one line a minute for each kind.
    const what = FAILURE_LOG[kind];
    if (!logged) this.logger.debug(what, { sensor: this.name, error: message }); // the caller reports it
    else if (this.warned.has(kind)) this.logger.debug(`${what} again`, { sensor: this.name, error: message });
    else this.limited('warn', kind, what, { sensor: this.name, error: message });
    this.warned.add(kind);
    if (this.needsInit) return; // already due (never came up, failed to, or found reset)
    if (++this.failuresSinceInit >= this.faults.reinitAfter) {
      this.needsInit = true;
      const details = { sensor: this.name, consecutiveFailures: this.stats.consecutiveFailures };
      if (this.warned.has('reinit')) this.logger.debug('sensor will be re-initialised again', details);
      else this.limited('warn', 'reinit', 'sensor will be re-initialised', details);
      this.warned.add('reinit');
    }
  }

  /** A line at `level` unless its cause already had one within the minute; then a DEBUG line. */
  private limited(level: 'warn' | 'info', cause: LogCause, message: string, fields: LogFields): void {
    const written = this.lines.hit(cause, ({ suppressed }) => this.logger[level](message, suppressed > 0 ? { ...fields, suppressed } : fields));
    if (!written) this.logger.debug(message, fields);
  }
}
