/** Sensors that share an interval share a tick: one batch per tick, whatever each sensor does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeasurementConfig, SensorConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/logger.js';
import { SampleGroup } from '../agent/sample-group.js';
import { Sampler, type PublishableReading } from '../agent/sampler.js';
import { Scheduler } from '../agent/scheduler.js';
import { ManualClock } from '../drivers/clock.js';
import type { Measurement, Quantity, Sensor } from '../drivers/sensor.js';

/** A sensor whose read takes `readMs` on the clock (a forced conversion) and may fail. */
class TimedSensor implements Sensor {
  readonly model = 'TIMED';
  readonly quantities: Quantity[] = ['temperature'];
  failing = false;
  constructor(
    private readonly clock: ManualClock,
    private readonly readMs: number,
    private readonly value: number,
  ) {}
  async init(): Promise<void> {}
  async read(): Promise<Measurement[]> {
    await this.clock.sleep(this.readMs);
    if (this.failing) throw new Error('EIO');
    return [{ quantity: 'temperature', value: this.value }];
  }
  async halt(): Promise<void> {}
}

const temperature: MeasurementConfig = { enabled: true, unit: '°C', decimals: 2, format: 'plain', qos: 0, retain: false, topic: 'sensors/{deviceId}/{sensor}/{measurement}', filters: [] };
const sensorConfig = (name: string, intervalMs = 100): SensorConfig => ({ name, intervalMs, measurements: { temperature } }) as unknown as SensorConfig;

function group(clock: ManualClock, sensors: TimedSensor[]) {
  const batches: PublishableReading[][] = [];
  const g = new SampleGroup(100, (readings) => batches.push(readings));
  const logger = memoryLogger();
  sensors.forEach((sensor, i) => g.add(new Sampler(sensorConfig(`t${i}`), sensor, clock, g.collect, logger)));
  return { g, batches, logger };
}

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
    for (const batch of batches) assert.deepEqual(batch.map((r) => [r.reading.sensor, r.reading.value]), [['t2', 22], ['t0', 20], ['t1', 21]]);
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
    assert.deepEqual(batches.map((b) => b.map((r) => r.reading.sensor)), [['t1']]);
    assert.match(logger.lines.join('\n'), /sensor read failed.*t0.*EIO/);
  });

  it('refuses a sensor with another interval (it would be sampled at the wrong rate)', () => {
    const g = new SampleGroup(100, () => {});
    const clock = new ManualClock();
    assert.throws(() => g.add(new Sampler(sensorConfig('slow', 1000), new TimedSensor(clock, 1, 1), clock, g.collect, memoryLogger())), /slow samples every 1000 ms, this group every 100 ms/);
  });
});
