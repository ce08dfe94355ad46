import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Bmp180 } from '../drivers/bmp180/bmp180.js';
import { b5, EXAMPLE_CALIBRATION, parseCalibration, pressurePa, temperatureDeciC } from '../drivers/bmp180/compensation.js';
import { Bmp180Simulator, type Bmp180SimulatorOptions } from '../drivers/bmp180/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { staticEnvironment } from '../drivers/environment.js';
import { WrongChipError } from '../drivers/errors.js';
import { PlaybackBus } from '../drivers/i2c/playback-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { drive, near, valueOf } from './helpers/drive.js';
import { assertNackThenRecovers, assertStuckTimesOut } from './helpers/driver-faults.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

function rig(options: Bmp180SimulatorOptions = {}) {
  const clock = new ManualClock();
  const bus = new SimulatedI2cBus();
  const sim = new Bmp180Simulator(clock, options);
  bus.attach(0x77, sim);
  const sensor = new Bmp180(bus, clock, { address: 0x77, settings: { oversampling: 'x8', seaLevelPa: 101325 } });
  return { clock, bus, sim, sensor };
}

describe('BMP180 compensation (Bosch API semantics)', () => {
  it('gives the datasheet example\'s T = 150 (15.0 °C) and p = 69964 Pa', () => {
    const c = EXAMPLE_CALIBRATION;
    assert.equal(temperatureDeciC(27898, c), 150);
    assert.equal(pressurePa(23843, b5(27898, c), 0, c), 69964);
  });

  it('gives 25.3 °C and 100570/100571 Pa on periph\'s real-device bytes (floor for X3, unlike periph\'s truncation)', () => {
    const c = parseCalibration(Buffer.from('2388fb67c7a9875b62895016197300' + '2e8000d1f60a7b', 'hex'));
    assert.deepEqual([c.AC1, c.AC4, c.MC, c.MD], [9096, 34651, -11786, 2683]);
    const ut = 0x71bf;
    assert.equal(temperatureDeciC(ut, c), 253);
    const p = [0, 1, 2, 3].map((oss) => pressurePa(0xab9600 >> (8 - oss), b5(ut, c), oss, c));
    assert.deepEqual(p, [100570, 100570, 100571, 100571]);
  });
});

describe('Bmp180 driver against its simulator', () => {
  it('reads a static 15 °C at 500 m back within 0.1 °C and its 1 Pa step', async () => {
    const { clock, sensor } = rig({ environment: staticEnvironment({ temperatureC: 15, altitudeM: 500 }) });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    near(valueOf(m, 'temperature'), 15, 0.1, 'temperature');
    near(valueOf(m, 'altitude'), 500, 0.15, 'altitude');
  });

  it('refuses a BMP280 (0x58) and says what it expected', async () => {
    const { clock, sensor } = rig({ chipId: 0x58 });
    await assert.rejects(drive(clock, sensor.init()), (e: unknown) => e instanceof WrongChipError && /0x58, expected 0x55/.test(e.message));
  });

  it('refuses calibration words that read 0xFFFF', async () => {
    const { clock, sim, sensor } = rig();
    sim.nvm.writeUInt16BE(0xffff, 6);
    await assert.rejects(drive(clock, sensor.init()), /word\(s\) at 0xb0 read 0x0000 or 0xFFFF/);
  });

  it('reports a NACK as the bus error and reads again on the next call', () => assertNackThenRecovers(rig(), 'pressure', 101325, 1));

  it('gives up when sco never clears, after the maximum time and ten polls', () => {
    const r = rig();
    return assertStuckTimesOut(r, () => (r.sim.stuck = true), 5 + 9);
  });
});

describe('Bmp180 against a strict playback script', () => {
  it('reads the datasheet example exactly as the fixture says: 15.0 °C, 69964 Pa', async () => {
    const clock = new ManualClock();
    const bus = await PlaybackBus.fromFile(fixture('bmp180-init-read.json'));
    const sensor = new Bmp180(bus, clock, { address: 0x77, settings: { oversampling: 'x1', seaLevelPa: 101325 } });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    bus.assertDone();
    assert.equal(valueOf(m, 'temperature'), 15);
    assert.equal(valueOf(m, 'pressure'), 69964);
  });
});
