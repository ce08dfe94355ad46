/**
 * The sensors that share an interval, sampled on one tick: one timer wake-up for all of them, their
 * reads started together, and all their readings handed on in one batch (one outbox submission:
 * one burst of socket writes, one fdatasync with queue.sync "always"). At these rates the cost of
 * an agent is wake-ups and writes, not bytes: 20 sensors at 10 Hz on one task each meant 200 timer
 * callbacks and 200 socket writes a second; grouped, 10 of each (see README "Performance").
 *
 * One slow sensor never costs the others a tick. The group is an overlapping task: the scheduler
 * starts every tick on time whether or not the last one's reads are done, and each member decides
 * for itself: a sensor whose previous read is still running (retrying with back-off, a slow bus)
 * skips this tick and counts it (Sampler.run), while the others are read on time. Waiting for the
 * slowest read instead stretched the whole tick past its interval, and the scheduler then skipped
 * the tick for every member: with two flaky chips of three, the healthy one lost ticks too.
 *
 * A tick's batch is handed on when its last read finishes, or when the next tick starts, whichever
 * comes first: a slow member delays its neighbours' readings by at most one interval, never their
 * sampling. Readings of a read that finishes after its tick's batch went on join the batch being
 * collected, or are handed on alone when none is. Each sensor's readings stay in order: a sensor
 * never has two reads running.
 *
 * Back-off sleeps hold nothing: the bus has no lock of ours, and the kernel serialises single
 * transfers (drivers/i2c/linux-bus.ts), so other chips' transfers go on between a retry's attempts.
 */
import type { Sample } from './reading.js';
import type { SampleSink, Sampler } from './sampler.js';
import type { PeriodicTask, Tick } from './scheduler.js';

/** Receives the samples of one tick together, so the tick's work is done in one go. */
export type BatchSink = (samples: Sample[]) => void;

export class SampleGroup implements PeriodicTask {
  readonly overlapping = true;
  private readonly samplers: Sampler[] = [];
  private pending: Sample[] = [];
  /** The current tick's number: a read of an earlier tick finishing does not close this one's batch. */
  private round = 0;
  /** Reads started on the current tick and not finished: while > 0, a batch is being collected. */
  private open = 0;
  /** The tick index expected next, to count ticks the scheduler skipped (a late wake-up) per member. */
  private nextIndex = 0;

  constructor(
    readonly intervalMs: number,
    private readonly sink: BatchSink,
  ) {}

  /** The task's name in logs: the sensors it samples. */
  get name(): string {
    return this.samplers.map((s) => s.name).join('+');
  }

  /** The sink to give each Sampler of this group: it collects while a tick's reads are running. */
  readonly collect: SampleSink = (sample) => {
    if (this.open === 0) {
      this.sink([sample]); // a read that outlived its tick, finishing while no batch is open
      return;
    }
    this.pending.push(sample);
  };

  add(sampler: Sampler): void {
    if (sampler.intervalMs !== this.intervalMs) throw new RangeError(`sensor ${sampler.name} samples every ${sampler.intervalMs} ms, this group every ${this.intervalMs} ms`);
    this.samplers.push(sampler);
  }

  /**
   * Resolves when the reads this tick started have finished (a member still busy is skipped at
   * once), to whether any member was read: false when every one was still busy, which is what a
   * watchdog must see when all reads hang (a wedged bus), not a loop that looks alive.
   */
  async run(tick?: Tick): Promise<boolean> {
    if (tick) {
      if (tick.index > this.nextIndex) for (const s of this.samplers) s.missed(tick.index - this.nextIndex);
      this.nextIndex = tick.index + 1;
    }
    if (this.open > 0) this.handOn(); // the last tick's slow reads do not hold back what the others read
    const round = ++this.round;
    this.open = this.samplers.length;
    if (this.samplers.length === 1) return this.sample(this.samplers[0]!, round);
    return (await Promise.all(this.samplers.map((s) => this.sample(s, round)))).includes(true);
  }

  private async sample(sampler: Sampler, round: number): Promise<boolean> {
    try {
      return await sampler.run();
    } finally {
      if (round === this.round && --this.open === 0) this.handOn();
    }
  }

  private handOn(): void {
    this.open = 0;
    if (this.pending.length === 0) return;
    const samples = this.pending;
    this.pending = [];
    this.sink(samples);
  }
}
