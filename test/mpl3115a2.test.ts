import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../drivers/clock.js';
import { staticEnvironment } from '../drivers/environment.js';
import { WrongChipError } from '../drivers/errors.js';
import { PlaybackBus } from '../drivers/i2c/playback-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import type { Mpl3115a2Settings } from '../drivers/mpl3115a2/description.js';
import { altitudeM, barIn, encodeAltitude, encodePressure, encodeTemperature, pressurePa, temperatureC } from '../drivers/mpl3115a2/conversion.js';
import { Mpl3115a2 } from '../drivers/mpl3115a2/mpl3115a2.js';
import { Mpl3115a2Simulator, type Mpl3115a2SimulatorOptions } from '../drivers/mpl3115a2/simulator.js';
import { drive, near, valueOf } from './helpers/drive.js';
import { assertNackThenRecovers, assertStuckTimesOut } from './helpers/driver-faults.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const settings = (overrides: Partial<Mpl3115a2Settings> = {}): Mpl3115a2Settings => ({ mode: 'barometer', oversampling: 'x128', seaLevelPa: 101325, ...overrides });

function rig(options: Mpl3115a2SimulatorOptions = {}, overrides: Partial<Mpl3115a2Settings> = {}) {
  const clock = new ManualClock();
  const bus = new SimulatedI2cBus();
  const sim = new Mpl3115a2Simulator(clock, options);
  bus.attach(0x60, sim);
  const sensor = new Mpl3115a2(bus, clock, { address: 0x60, settings: settings(overrides) });
  return { clock, bus, sim, sensor };
}

describe('MPL3115A2 data formats (datasheet §7.1.3)', () => {
  it('decodes the datasheet/NXP examples: 62 F3 40 = 101325 Pa, FF FF F0 = −0.0625 m, 19 80 = 25.5 °C, F5 C0 = −10.25 °C', () => {
    assert.equal(pressurePa(0x62, 0xf3, 0x40), 101325);
    assert.equal(altitudeM(0xff, 0xff, 0xf0), -0.0625);
    assert.equal(temperatureC(0x19, 0x80), 25.5);
    assert.equal(temperatureC(0xf5, 0xc0), -10.25);
    assert.equal(barIn(101325), 0xc5e6);
  });
  it('encodes exactly what it decodes (the simulator\'s side)', () => {
    assert.deepEqual([...encodePressure(101325)], [0x62, 0xf3, 0x40]);
    assert.deepEqual([...encodeAltitude(-0.0625)], [0xff, 0xff, 0xf0]);
    assert.deepEqual([...encodeTemperature(-10.25)], [0xf5, 0xc0]);
  });
});

describe('Mpl3115a2 driver against its simulator', () => {
  it('barometer mode: 15 °C at 500 m within the format steps (0.0625 °C, 0.25 Pa)', async () => {
    const { clock, sensor } = rig({ environment: staticEnvironment({ temperatureC: 15, altitudeM: 500 }) });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    assert.deepEqual(m.map((x) => x.quantity), ['temperature', 'pressure', 'altitude']);
    near(valueOf(m, 'temperature'), 15, 0.0625, 'temperature');
    near(valueOf(m, 'altitude'), 500, 0.05, 'altitude');
  });

  it('altimeter mode: the chip\'s own altitude from BAR_IN, and no pressure', async () => {
    const { clock, sensor } = rig({ environment: staticEnvironment({ altitudeM: 500 }) }, { mode: 'altimeter', oversampling: 'x1' });
    await drive(clock, sensor.init());
    assert.deepEqual(sensor.quantities, ['temperature', 'altitude']);
    const m = await drive(clock, sensor.read());
    assert.deepEqual(m.map((x) => x.quantity), ['temperature', 'altitude']);
    // BAR_IN has 2 Pa steps (101324 Pa stored) and the chip's constants differ slightly: ±0.2 m.
    near(valueOf(m, 'altitude'), 500, 0.2, 'altitude');
  });

  it('simulates the repeated-start trap: a register read with a STOP in between answers from 0x00', () => {
    const sim = new Mpl3115a2Simulator(new ManualClock());
    assert.equal(sim.transfer(Uint8Array.of(0x0c), 1)[0], 0xc4, 'combined transfer');
    sim.transfer(Uint8Array.of(0x0c), 0);
    assert.notEqual(sim.transfer(new Uint8Array(0), 1)[0], 0xc4, 'separate write and read');
  });

  it('explains a WHO_AM_I of 0x00 as the repeated-start problem', async () => {
    const { clock, sensor } = rig({ chipId: 0x00 });
    await assert.rejects(drive(clock, sensor.init()), (e: unknown) => e instanceof WrongChipError && /repeated start/.test(e.message));
  });

  it('reports a NACK as the bus error and reads again on the next call', () => assertNackThenRecovers(rig(), 'pressure', 101325, 0.25));

  it('gives up when PTDR never comes, after the sample time and ten polls', () => {
    const r = rig();
    return assertStuckTimesOut(r, () => (r.sim.stuck = true), 512 + 9);
  });
});

describe('Mpl3115a2 against strict playback scripts', () => {
  it('barometer mode: reset not acknowledged, one-shot, 101325 Pa and 25.5 °C', async () => {
    const clock = new ManualClock();
    const bus = await PlaybackBus.fromFile(fixture('mpl3115a2-barometer.json'));
    const sensor = new Mpl3115a2(bus, clock, { address: 0x60, settings: settings() });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    bus.assertDone();
    assert.deepEqual([valueOf(m, 'pressure'), valueOf(m, 'temperature')], [101325, 25.5]);
    near(valueOf(m, 'altitude'), 0, 1e-9, 'altitude');
  });

  it('altimeter mode: BAR_IN written, −0.0625 m and −10.25 °C straight from the chip', async () => {
    const clock = new ManualClock();
    const bus = await PlaybackBus.fromFile(fixture('mpl3115a2-altimeter.json'));
    const sensor = new Mpl3115a2(bus, clock, { address: 0x60, settings: settings({ mode: 'altimeter', oversampling: 'x1' }) });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    bus.assertDone();
    assert.deepEqual(m, [{ quantity: 'temperature', value: -10.25 }, { quantity: 'altitude', value: -0.0625 }]);
  });
});
