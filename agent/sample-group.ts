/**
 * The sensors that share an interval, sampled on one tick: one timer wake-up for all of them, their
 * reads started together, and all their readings handed on in one batch (one outbox submission:
 * one burst of socket writes, one fdatasync with queue.sync "always"). At these rates the cost of
 * an agent is wake-ups and writes, not bytes: 20 sensors at 10 Hz on one task each meant 200 timer
 * callbacks and 200 socket writes a second; grouped, 10 of each (see README "Performance").
 *
 * Each Sampler still catches its own failures, so one bad sensor costs the others nothing but a
 * tick that lasts as long as its slowest read (on one I2C bus, reads are serialised anyway).
 */
import type { PublishableReading, ReadingSink, Sampler } from './sampler.js';
import type { PeriodicTask } from './scheduler.js';

export class SampleGroup implements PeriodicTask {
  private readonly samplers: Sampler[] = [];
  private pending: PublishableReading[] = [];

  constructor(
    readonly intervalMs: number,
    private readonly sink: ReadingSink,
  ) {}

  /** The task's name in logs: the sensors it samples. */
  get name(): string {
    return this.samplers.map((s) => s.name).join('+');
  }

  /** The sink to give each Sampler of this group: it collects until the tick's reads are all done. */
  readonly collect: ReadingSink = (readings) => {
    for (const r of readings) this.pending.push(r);
  };

  add(sampler: Sampler): void {
    if (sampler.intervalMs !== this.intervalMs) throw new RangeError(`sensor ${sampler.name} samples every ${sampler.intervalMs} ms, this group every ${this.intervalMs} ms`);
    this.samplers.push(sampler);
  }

  async run(): Promise<void> {
    if (this.samplers.length === 1) await this.samplers[0]!.run();
    else await Promise.all(this.samplers.map((s) => s.run()));
    if (this.pending.length === 0) return;
    const readings = this.pending;
    this.pending = [];
    this.sink(readings);
  }
}
