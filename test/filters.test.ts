/** Filters per measurement: each stage, their composition, the gates against the manual clock, config errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkConfig } from '../agent/config/load-config.js';
import type { MeasurementConfig, SensorConfig } from '../agent/config/types.js';
import { checkFilters, FilterChain, type FilterSpec } from '../agent/sampling/filters.js';
import { memoryLogger } from '../agent/log/logger.js';
import type { Sample } from '../agent/sampling/reading.js';
import { Sampler } from '../agent/sampling/sampler.js';
import { ManualClock } from '../drivers/clock.js';
import type { Measurement, Sensor } from '../drivers/sensor.js';

/** Feed values one second apart; what comes out (undefined = held back). */
function run(specs: FilterSpec[], values: number[], stepMs = 1000): Array<number | undefined> {
  const chain = new FilterChain(specs);
  return values.map((v, i) => chain.apply(v, i * stepMs));
}

describe('filter stages', () => {
  it('offset, linear calibration, clamp and round change the value', () => {
    assert.deepEqual(run([{ type: 'offset', value: -1.5 }], [10, 0]), [8.5, -1.5]);
    assert.deepEqual(run([{ type: 'linear', scale: 2, offset: 1 }], [3]), [7]);
    assert.deepEqual(run([{ type: 'clamp', min: 0, max: 100 }], [-5, 50, 120]), [0, 50, 100]);
    assert.deepEqual(run([{ type: 'clamp', min: null, max: 10 }], [-5, 12]), [-5, 10]);
    assert.deepEqual(run([{ type: 'round', decimals: 1 }], [1.05, 2.449]), [1.1, 2.4]);
  });

  it('moving average and median over a window, and an exponential moving average', () => {
    assert.deepEqual(run([{ type: 'movingAverage', window: 3 }], [3, 6, 9, 12]), [3, 4.5, 6, 9]);
    assert.deepEqual(run([{ type: 'median', window: 3 }], [1, 100, 2, 3, 4]), [1, 50.5, 2, 3, 3], 'a spike never gets through');
    assert.deepEqual(run([{ type: 'ema', alpha: 0.5 }], [10, 20, 20]), [10, 15, 17.5]);
  });

  it('delta publishes only a change of at least min (absolute, or % of the last published)', () => {
    assert.deepEqual(run([{ type: 'delta', min: 0.5, percent: false }], [10, 10.2, 10.4, 10.5, 10.6, 9.9]), [10, undefined, undefined, 10.5, undefined, 9.9]);
    assert.deepEqual(run([{ type: 'delta', min: 10, percent: true }], [100, 109, 111, 100]), [100, undefined, 111, undefined]);
  });

  it('throttle publishes at most every N s; heartbeat at least every N s even when nothing changes', () => {
    assert.deepEqual(run([{ type: 'throttle', seconds: 3 }], [1, 2, 3, 4, 5, 6, 7]), [1, undefined, undefined, 4, undefined, undefined, 7]);
    const still = [5, 5, 5, 5, 5, 5, 5];
    assert.deepEqual(run([{ type: 'delta', min: 1, percent: false }, { type: 'heartbeat', seconds: 3 }], still), [5, undefined, undefined, 5, undefined, undefined, 5]);
  });

  it('composes in order: gates see the value the stages before them made, and windows see every reading', () => {
    // Median first: the spike at t=2 s never reaches delta, so it publishes no spurious change.
    assert.deepEqual(run([{ type: 'median', window: 3 }, { type: 'delta', min: 1, percent: false }], [10, 10, 90, 10, 12, 12]), [10, undefined, undefined, undefined, 12, undefined]);
    // Delta first would let the spike out.
    assert.deepEqual(run([{ type: 'delta', min: 1, percent: false }], [10, 10, 90]), [10, undefined, 90]);
  });
});

describe('filters in the config', () => {
  const config = (filters: unknown): string =>
    JSON.stringify({ deviceId: 'd', i2c: { simulated: true }, sensors: [{ name: 'alt', driver: 'bmp280', measurements: { altitude: { unit: 'ft', filters } } }] });

  it('accepts a valid chain and types it', () => {
    const { config: loaded, problems } = checkConfig({ text: config([{ type: 'median', window: 5 }, { type: 'delta', min: 1 }, { type: 'heartbeat', seconds: 60 }, { type: 'clamp', max: 500 }]), env: {} });
    assert.deepEqual(problems, []);
    assert.deepEqual(loaded!.sensors[0]!.measurements.altitude!.filters, [
      { type: 'median', window: 5 },
      { type: 'delta', min: 1, percent: false },
      { type: 'heartbeat', seconds: 60 },
      { type: 'clamp', min: null, max: 500 },
    ]);
  });

  it('lists every mistake with its position in the list and an example', () => {
    const { problems } = checkConfig({ text: config([{ type: 'mediann', window: 5 }, { type: 'ema', alpha: 2 }, { type: 'movingAverage', windw: 3 }, 'delta']), env: {} });
    const paths = problems.map((p) => p.path);
    assert.deepEqual(paths, [
      'sensors[0].measurements.altitude.filters[0].type',
      'sensors[0].measurements.altitude.filters[1].alpha',
      'sensors[0].measurements.altitude.filters[2].windw',
      'sensors[0].measurements.altitude.filters[2].window',
      'sensors[0].measurements.altitude.filters[3]',
    ]);
    assert.match(problems[0]!.hint, /did you mean "median"\?/);
    assert.match(problems[1]!.hint, /"alpha": 0\.3/);
  });

  it('says a heartbeat without a gate does nothing', () => {
    assert.match(checkFilters([{ type: 'heartbeat', seconds: 10 }])[0]!.message, /does nothing/);
  });
});

describe('filters in the sampler', () => {
  class Altimeter implements Sensor {
    readonly model = 'FAKE';
    readonly quantities = ['altitude'] as const;
    constructor(private readonly values: number[]) {}
    async init(): Promise<void> {}
    async read(): Promise<Measurement[]> {
      return [{ quantity: 'altitude', value: this.values.shift()! }];
    }
    async halt(): Promise<void> {}
  }

  it('applies the chain in the published unit, before rounding, and holds readings a gate holds', async () => {
    const measurement: MeasurementConfig = {
      enabled: true, unit: 'ft', decimals: 0, format: 'plain', qos: 1, retain: false, topic: 'sensors/{deviceId}/{measurement}',
      filters: [{ type: 'median', window: 3 }, { type: 'delta', min: 5, percent: false }, { type: 'heartbeat', seconds: 2 }],
    };
    const config = { name: 'alt', intervalMs: 500, measurements: { altitude: measurement } } as unknown as SensorConfig;
    const clock = new ManualClock();
    const published: number[] = [];
    const metres = [30.48, 30.48, 60, 30.48, 30.5, 30.48, 30.48, 30.48, 33, 33, 33];
    const sampler = new Sampler(config, new Altimeter([...metres]), clock, (sample: Sample) => {
      for (const reading of sample.readings) published.push(reading.value);
    }, memoryLogger());
    for (let i = 0; i < metres.length; i++) {
      await sampler.run();
      await clock.advance(500);
    }
    // 30.48 m = 100 ft, a reading every 500 ms. The 60 m spike never gets past the median; the 2 s
    // heartbeat repeats 100 ft at 2 s and 4 s; 33 m (108 ft) passes delta 5 ft once the median has
    // two of them (4.5 s), and is not repeated at 5 s.
    assert.deepEqual(published, [100, 100, 100, 108]);
  });
});
