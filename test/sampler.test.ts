import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeasurementConfig, SensorConfig } from '../agent/config/types.js';
import { memoryLogger } from '../agent/log/logger.js';
import type { Sample } from '../agent/sampling/reading.js';
import { Sampler } from '../agent/sampling/sampler.js';
import { ManualClock } from '../drivers/clock.js';
import type { Measurement, Quantity, Sensor } from '../drivers/sensor.js';

class FakeSensor implements Sensor {
  readonly model = 'FAKE';
  readonly quantities: Quantity[] = ['altitude', 'pressure', 'temperature'];
  inits = 0;
  failures: Array<Error | undefined> = [];
  async init(): Promise<void> {
    this.inits++;
  }
  async read(): Promise<Measurement[]> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    return [
      { quantity: 'altitude', value: 30.48 },
      { quantity: 'pressure', value: 100961.4 },
      { quantity: 'temperature', value: 21.456 },
    ];
  }
  async halt(): Promise<void> {}
}

const measurement = (over: Partial<MeasurementConfig>): MeasurementConfig => ({
  enabled: true,
  unit: 'm',
  decimals: 1,
  format: 'plain',
  qos: 1,
  retain: false,
  topic: 'sensors/{deviceId}/{measurement}',
  filters: [],
  ...over,
});

const config = {
  name: 'altimeter',
  intervalMs: 100,
  measurements: {
    altitude: measurement({ unit: 'ft', decimals: 0 }),
    pressure: measurement({ unit: 'hPa', decimals: 2 }),
    temperature: measurement({ unit: '°F', decimals: 1, enabled: false }),
  },
} as unknown as SensorConfig;

describe('Sampler', () => {
  it('turns a sample into readings in the configured units, one batch per sample, sharing a seq', async () => {
    const clock = new ManualClock(0, Date.UTC(2026, 10, 24, 10));
    const batches: Sample[] = [];
    const sampler = new Sampler(config, new FakeSensor(), clock, (b) => batches.push(b), memoryLogger());
    await sampler.run();
    await sampler.run();
    assert.equal(batches.length, 2);
    assert.deepEqual(
      batches[0]!.readings.map((r) => [r.quantity, r.value, r.unit, batches[0]!.seq]),
      [
        ['altitude', 100, 'ft', 1],
        ['pressure', 1009.61, 'hPa', 1],
      ],
      'temperature is disabled, so not published',
    );
    assert.equal(batches[1]!.seq, 2);
    assert.equal(batches[0]!.ts, Date.UTC(2026, 10, 24, 10));
  });

  it('logs a repeated failure once, keeps counting, and says when the sensor recovers', async () => {
    const sensor = new FakeSensor();
    const logger = memoryLogger();
    const batches: Sample[] = [];
    const sampler = new Sampler(config, sensor, new ManualClock(), (b) => batches.push(b), logger);
    sensor.failures = [new Error('EIO'), new Error('EIO'), new Error('EIO')];
    for (let i = 0; i < 4; i++) await sampler.run();
    assert.equal(sampler.stats.errors, 3);
    assert.equal(sampler.stats.samples, 1);
    assert.equal(logger.lines.filter((l) => l.startsWith('WARN') && l.includes('sensor read failed')).length, 1);
    assert.equal(logger.lines.filter((l) => l.includes('sensor recovered')).length, 1);
    assert.equal(batches[0]!.seq, 1, 'failed reads are not readings: no gap in seq');
  });

  it('initialises a sensor that failed to start on its next tick', async () => {
    const sensor = new FakeSensor();
    const sampler = new Sampler(config, sensor, new ManualClock(), () => undefined, memoryLogger());
    await sampler.run();
    assert.equal(sensor.inits, 1);
    await sampler.run();
    assert.equal(sensor.inits, 1, 'only once');
  });
});
