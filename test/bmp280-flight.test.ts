import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bmp280 } from '../drivers/bmp280/bmp280.js';
import { simulatorFromConfig } from '../drivers/bmp280/scenarios.js';
import { flightProfile } from '../drivers/environment.js';
import { Bmp280Simulator } from '../drivers/bmp280/simulator.js';
import { Oversampling, typicalMeasurementTimeMs } from '../drivers/bmp280/settings.js';
import { ManualClock } from '../drivers/clock.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import type { Bmp280Simulation } from '../drivers/bmp280/description.js';
import { drive, near, settings, valueOf } from './bmp280-helpers.js';

const GROUND_M = 120;
const HOVER_M = 100 * 0.3048;
const SEA_LEVEL_PA = 101800;
const CYCLE_S = 60;
const RATE_HZ = 10;

describe('drone flight profile through the simulator and the real driver', () => {
  for (const chip of ['BMP280', 'BME280'] as const) {
    it(`${chip}: altitude within ±0.3 m of the profile at every sample of a full cycle`, async () => {
      const clock = new ManualClock();
      const profile = flightProfile({ groundAltitudeM: GROUND_M, hoverFt: 100, cycleS: CYCLE_S, seaLevelPa: SEA_LEVEL_PA, temperatureC: 18, humidityPct: 60 });
      const bus = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(clock, { chip, environment: profile }));
      // Drone preset oversampling (3.4), forced mode and no IIR filter so the reading does not lag the climb.
      const sensor = new Bmp280(bus, clock, {
        address: 0x76,
        settings: settings({ oversampling: { temperature: 'x2', pressure: 'x16', humidity: 'x1' }, seaLevelPa: SEA_LEVEL_PA }),
      });
      await drive(clock, sensor.init());
      // The chip samples when its conversion completes, the typical time after the forced write.
      const conversionMs = typicalMeasurementTimeMs(Oversampling.X2, Oversampling.X16, chip === 'BME280' ? Oversampling.X1 : Oversampling.Skip);

      let worst = 0;
      let highest = -Infinity;
      let lowest = Infinity;
      const samples = CYCLE_S * RATE_HZ;
      for (let i = 0; i < samples; i++) {
        const due = (i * 1000) / RATE_HZ;
        await clock.advance(due - clock.now());
        const started = clock.now();
        const values = await drive(clock, sensor.read(), 5);
        const expected = profile.altitudeM(started + conversionMs);
        const altitude = valueOf(values, 'altitude');
        assert.ok(altitude !== undefined, `sample ${i}: no altitude in ${JSON.stringify(values)}`);
        const error = Math.abs(altitude - expected);
        assert.ok(error <= 0.3, `sample ${i} at ${started} ms: altitude ${altitude.toFixed(3)} m, profile ${expected.toFixed(3)} m`);
        worst = Math.max(worst, error);
        highest = Math.max(highest, altitude);
        lowest = Math.min(lowest, altitude);
        assert.equal(valueOf(values, 'humidity') !== undefined, chip === 'BME280');
      }
      // The cycle really went ground → 100 ft → ground.
      assert.ok(Math.abs(lowest - GROUND_M) < 0.3, `lowest ${lowest}`);
      assert.ok(Math.abs(highest - (GROUND_M + HOVER_M)) < 0.3, `highest ${highest}`);
      assert.ok(worst < 0.3, `worst ${worst}`);
    });
  }

  it('is smooth: at 50 Hz consecutive profile altitudes differ by less than 0.1 m', () => {
    const profile = flightProfile();
    for (let t = 0; t < CYCLE_S * 1000; t += 20) {
      assert.ok(Math.abs(profile.altitudeM(t + 20) - profile.altitudeM(t)) < 0.1, `jump at ${t} ms`);
    }
    assert.equal(profile.altitudeM(0), 0);
    assert.equal(profile.altitudeM(CYCLE_S * 500), HOVER_M);
  });
});

describe('simulatorFromConfig', () => {
  const base: Bmp280Simulation = {
    chip: 'bme280', scenario: 'static', groundAltitudeM: 250, hoverFt: 100, cycleS: 60,
    temperatureC: 12.5, humidityPct: 70, calibration: {}, raw: null,
  };

  async function readOnce(sim: Bmp280Simulation, seaLevelPa = 101325) {
    const clock = new ManualClock();
    const simulator = simulatorFromConfig(sim, seaLevelPa, clock);
    const bus = new SimulatedI2cBus().attach(0x76, simulator);
    const sensor = new Bmp280(bus, clock, { address: 0x76, settings: settings({ oversampling: { pressure: 'x16' }, seaLevelPa }) });
    await drive(clock, sensor.init());
    return { simulator, sensor, values: await drive(clock, sensor.read()) };
  }

  it('static: the configured chip, conditions and calibration overrides', async () => {
    const { simulator, sensor, values } = await readOnce({ ...base, calibration: { dig_T1: 28000, dig_H2: 350 } }, 102000);
    assert.equal(sensor.chip, 'BME280');
    assert.equal(simulator.calibration.dig_T1, 28000);
    assert.equal(sensor.calibration.humidity?.dig_H2, 350);
    near(valueOf(values, 'temperature'), 12.5, 0.01, 'temperature');
    near(valueOf(values, 'humidity'), 70, 0.1, 'humidity');
    near(valueOf(values, 'altitude'), 250, 0.1, 'altitude');
  });

  it('raw: the ADC values as given (datasheet example on a BMP280)', async () => {
    const { sensor, values } = await readOnce({ ...base, chip: 'bmp280', scenario: 'raw', raw: { adcT: 519888, adcP: 415148, adcH: 0 } });
    assert.equal(sensor.chip, 'BMP280');
    near(valueOf(values, 'temperature'), 25.08, 0.005, 'temperature');
    near(valueOf(values, 'pressure'), 100653.27, 0.1, 'pressure');
    assert.throws(() => simulatorFromConfig({ ...base, scenario: 'raw' }, 101325, new ManualClock()), /scenario is 'raw' but simulation.raw/);
  });

  it('raw without adcH: the humidity register reads 0x8000, what a BME280 reads with humidity off (BME280 §5.4.9)', async () => {
    const simulator = simulatorFromConfig({ ...base, chip: 'bme280', scenario: 'raw', raw: { adcT: 519888, adcP: 415148 } }, 101325, new ManualClock());
    assert.deepEqual(simulator.raw, { adcT: 519888, adcP: 415148, adcH: 0x8000 });
    const given = simulatorFromConfig({ ...base, chip: 'bme280', scenario: 'raw', raw: { adcT: 1, adcP: 2, adcH: 0x7000 } }, 101325, new ManualClock());
    assert.deepEqual(given.raw, { adcT: 1, adcP: 2, adcH: 0x7000 });
  });

  it('flight: on the ground at t = 0', async () => {
    const { values } = await readOnce({ ...base, scenario: 'flight' });
    near(valueOf(values, 'altitude'), 250, 0.1, 'altitude');
  });

  it('rejects calibration overrides that do not fit the word', () => {
    assert.throws(() => simulatorFromConfig({ ...base, calibration: { dig_P1: 70000 } }, 101325, new ManualClock()), /dig_P1 = 70000 is out of range: u16/);
  });
});
