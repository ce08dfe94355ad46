/** Sensors that share an interval share a tick: one batch per tick, whatever each sensor does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeasurementConfig, SensorConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/log/logger.js';
import { SampleGroup } from '../agent/sampling/sample-group.js';
import type { Sample } from '../agent/sampling/reading.js';
import { Sampler } from '../agent/sampling/sampler.js';
import { Scheduler } from '../agent/sampling/scheduler.js';
import { ManualClock } from '../drivers/clock.js';
import type { Measurement, Quantity, Sensor } from '../drivers/sensor.js';

/** A sensor whose read takes `readMs` on the clock (a forced conversion) and may fail. */
class TimedSensor implements Sensor {
  readonly model = 'TIMED';
  readonly quantities: Quantity[] = ['temperature'];
  failing = false;
  /** Durations of the next reads, ms, before `readMs` applies again (a read held up by retries). */
  slow: number[] = [];
  constructor(
    private readonly clock: ManualClock,
    private readonly readMs: number,
    private readonly value: number,
  ) {}
  async init(): Promise<void> {}
  async read(): Promise<Measurement[]> {
    await this.clock.sleep(this.slow.shift() ?? this.readMs);
    if (this.failing) throw new Error('EIO');
    return [{ quantity: 'temperature', value: this.value }];
  }
  async halt(): Promise<void> {}
}

const temperature: MeasurementConfig = { enabled: true, unit: '°C', decimals: 2, format: 'plain', qos: 0, retain: false, topic: 'sensors/{deviceId}/{sensor}/{measurement}', filters: [] };
const sensorConfig = (name: string, intervalMs = 100): SensorConfig => ({ name, intervalMs, measurements: { temperature } }) as unknown as SensorConfig;

function group(clock: ManualClock, sensors: TimedSensor[]) {
  const batches: Sample[][] = [];
  /** When each batch was handed on, ms on the clock. */
  const handedOnAt: number[] = [];
  const g = new SampleGroup(100, (samples) => {
    batches.push(samples);
    handedOnAt.push(clock.now());
  });
  const logger = memoryLogger();
  const samplers = sensors.map((sensor, i) => new Sampler(sensorConfig(`t${i}`), sensor, clock, g.collect, logger));
  for (const s of samplers) g.add(s);
  return { g, batches, handedOnAt, samplers, logger };
}

/** Each batch as `sensor#seq` entries, in order. */
const shape = (batches: Sample[][]): string[][] => batches.map((b) => b.map((s) => `${s.sensor}#${s.seq}`));

describe('SampleGroup', () => {
  it('hands on one batch per tick with every sensor of the group, read in parallel', async () => {
    const clock = new ManualClock();
    const { g, batches } = group(clock, [new TimedSensor(clock, 30, 20), new TimedSensor(clock, 40, 21), new TimedSensor(clock, 10, 22)]);
    assert.equal(g.name, 't0+t1+t2');
    const scheduler = new Scheduler(clock);
    scheduler.start(g);
    await clock.advance(250);
    // Ticks at 0, 100, 200 each take 40 ms (the slowest read), not 80 ms (the reads in turn).
    assert.equal(batches.length, 3);
    for (const batch of batches) assert.deepEqual(batch.map((s) => [s.sensor, s.readings[0]!.value]), [['t2', 22], ['t0', 20], ['t1', 21]]);
    assert.equal(scheduler.stats('t0+t1+t2')?.skipped, 0);
    const stopping = scheduler.stop();
    await clock.advance(100);
    await stopping;
  });

  it('a failing sensor costs the others nothing: their readings still go out on the tick', async () => {
    const clock = new ManualClock();
    const bad = new TimedSensor(clock, 5, 0);
    bad.failing = true;
    const { g, batches, logger } = group(clock, [bad, new TimedSensor(clock, 5, 21)]);
    const run = g.run();
    await clock.advance(5);
    await run;
    assert.deepEqual(batches.map((b) => b.map((s) => s.sensor)), [['t1']]);
    assert.match(logger.lines.join('\n'), /sensor read failed.*t0.*EIO/);
  });

  it('a sensor still reading at the next tick skips it alone; the others are read on time and not held back', async () => {
    const clock = new ManualClock();
    const fast = new TimedSensor(clock, 40, 20);
    const a = new TimedSensor(clock, 10, 21);
    const b = new TimedSensor(clock, 10, 22);
    a.slow = [120]; // retrying: its first read outlasts the tick
    b.slow = [150];
    const { g, batches, handedOnAt, samplers, logger } = group(clock, [fast, a, b]);
    const scheduler = new Scheduler(clock);
    scheduler.start(g);
    await clock.advance(250);
    assert.deepEqual(shape(batches), [
      ['t0#1'], // tick 0's fast reading, handed on when tick 1 starts: the slow ones do not hold it
      ['t1#1', 't0#2'], // t1's late reading joins the batch being collected on tick 1
      ['t2#1'], // t2's finishes when no batch is open: handed on alone
      ['t1#2', 't2#2', 't0#3'], // tick 2: everyone again, one batch
    ]);
    assert.deepEqual(handedOnAt, [100, 140, 150, 240]);
    const ts = (sensor: string, seq: number): number => batches.flat().find((s) => s.sensor === sensor && s.seq === seq)!.ts;
    assert.deepEqual([ts('t0', 2), ts('t1', 1), ts('t0', 3)].map((t) => t - clock.wallNow() + clock.now()), [100, 0, 200], 'each sampled at its own tick');
    assert.deepEqual(samplers.map((s) => s.stats.skipped), [0, 1, 1], 'tick 1 skipped for the two slow sensors only');
    assert.deepEqual(samplers.map((s) => s.stats.samples), [3, 2, 2]);
    assert.equal(scheduler.stats(g.name)?.skipped, 0, 'the group itself never skips');
    const skipLines = logger.lines.filter((l) => l.includes('still running at its next tick'));
    assert.deepEqual(skipLines.map((l) => l.slice(0, 4)), ['WARN', 'WARN']);
    assert.match(skipLines[0]!, /sensor=t1 skipped=1/);
    const stopping = scheduler.stop();
    await clock.advance(100);
    await stopping;
  });

  it('says whether a tick read any sensor: not when every one is stuck in a read (no proof of life for the watchdog)', async () => {
    const clock = new ManualClock();
    const a = new TimedSensor(clock, 10, 20);
    const b = new TimedSensor(clock, 10, 21);
    a.slow = [1e9]; // hangs
    const { g } = group(clock, [a, b]);
    const results: boolean[] = [];
    const tick = async (index: number): Promise<void> => {
      const run = g.run({ index, dueAt: index * 100, startedAt: index * 100 });
      void run.then((read) => results.push(read));
      await clock.advance(100);
    };
    await tick(0); // a starts its endless read; b reads
    await tick(1); // a skipped, b read
    b.slow = [1e9];
    await tick(2); // b starts hanging too
    await tick(3); // both still reading: nothing read on this tick
    await tick(4);
    assert.deepEqual(results, [true, false, false], 'ticks 1, 3 and 4 resolved; 0 and 2 wait on their hung reads');
  });

  it('ticks the scheduler skipped (a late wake-up) count for every member', async () => {
    const clock = new ManualClock();
    const { g, samplers } = group(clock, [new TimedSensor(clock, 0, 20), new TimedSensor(clock, 0, 21)]);
    for (const index of [0, 1, 5]) {
      const run = g.run({ index, dueAt: index * 100, startedAt: index * 100 });
      await clock.advance(0); // the reads' 0 ms conversions
      await run;
    }
    assert.deepEqual(samplers.map((s) => [s.stats.samples, s.stats.skipped]), [[3, 3], [3, 3]]);
  });

  it('refuses a sensor with another interval (it would be sampled at the wrong rate)', () => {
    const g = new SampleGroup(100, () => {});
    const clock = new ManualClock();
    assert.throws(() => g.add(new Sampler(sensorConfig('slow', 1000), new TimedSensor(clock, 1, 1), clock, g.collect, memoryLogger())), /slow samples every 1000 ms, this group every 100 ms/);
  });
});
