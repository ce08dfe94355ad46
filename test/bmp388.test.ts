import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Bmp388 } from '../drivers/bmp388/bmp388.js';
import { encodeNvm, EXAMPLE_NVM, parseNvm, pressurePa, scaleCalibration, temperatureC } from '../drivers/bmp388/compensation.js';
import { conversionTimeMs, OVERSAMPLING_CODE, type Bmp388Settings } from '../drivers/bmp388/settings.js';
import { Bmp388Simulator } from '../drivers/bmp388/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { staticEnvironment } from '../drivers/environment.js';
import { WrongChipError } from '../drivers/errors.js';
import { PlaybackBus } from '../drivers/i2c/playback-bus.js';
import { readRegisters } from '../drivers/i2c/i2c-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { drive, near, valueOf } from './helpers/drive.js';
import { assertNackThenRecovers, assertStuckTimesOut } from './helpers/driver-faults.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

/** Real-device bytes, and the result that project asserts (elixir-sensors/bmp3xx `test/bmp3xx/bmp388/calibration_test.exs`). */
const NVM_BYTES = Buffer.from('236b5849f65cffcef42300ea636e79f3f6aa4312c4', 'hex');
const UP = 7184279;
const UT = 8771699;

const settings = (overrides: Partial<Bmp388Settings> = {}): Bmp388Settings => ({
  oversampling: { temperature: 'x2', pressure: 'x16' },
  filter: 'off',
  seaLevelPa: 101325,
  ...overrides,
});

function rig(options: ConstructorParameters<typeof Bmp388Simulator>[1] = {}) {
  const clock = new ManualClock();
  const bus = new SimulatedI2cBus();
  const sim = new Bmp388Simulator(clock, options);
  bus.attach(0x77, sim);
  const sensor = new Bmp388(bus, clock, { address: 0x77, settings: settings() });
  return { clock, bus, sim, sensor };
}

describe('BMP388 compensation', () => {
  it('parses the NVM block into the datasheet words, and encodes it back byte for byte', () => {
    const nvm = parseNvm(NVM_BYTES);
    assert.deepEqual(nvm, EXAMPLE_NVM);
    assert.deepEqual(encodeNvm(nvm), NVM_BYTES);
  });

  it('reproduces the cross-implementation vector: 30.499314453874284 °C, 100876.00634692199 Pa', () => {
    const cal = scaleCalibration(parseNvm(NVM_BYTES));
    const t = temperatureC(UT, cal);
    assert.equal(t, 30.499314453874284);
    // The Bosch BMP3 API (`pow_bmp3`) squares and cubes in single precision: ~4e-5 Pa from a pure double, so within 0.001 Pa.
    near(pressurePa(UP, t, cal), 100876.00634692199, 0.001, 'pressure');
  });

  it('takes the §3.9.2 conversion times', () => {
    const c = OVERSAMPLING_CODE;
    assert.equal(conversionTimeMs(c.x1, c.x1), 4.829);
    assert.equal(conversionTimeMs(c.x8, c.x1), 18.969);
    assert.equal(conversionTimeMs(c.x16, c.x2), 37.149);
    assert.equal(conversionTimeMs(c.x32, c.x2), 69.469);
  });
});

describe('Bmp388 driver against its simulator', () => {
  it('reads a static 15 °C at 500 m back within the ADC resolution, as BMP388 and BMP390', async () => {
    for (const chip of ['BMP388', 'BMP390'] as const) {
      const { clock, sensor, sim } = rig({ chip, environment: staticEnvironment({ temperatureC: 15, altitudeM: 500 }) });
      await drive(clock, sensor.init());
      assert.equal(sensor.model, chip);
      const m = await drive(clock, sensor.read());
      near(valueOf(m, 'temperature'), 15, 0.001, 'temperature');
      near(valueOf(m, 'altitude'), 500, 0.05, 'altitude');
      assert.deepEqual(m.map((x) => x.quantity), ['temperature', 'pressure', 'altitude']);
      assert.equal(sim.conversions, 1);
    }
  });

  it('takes a conversion of 0x800000, what a disabled channel reads, as the reading it is (23.84 °C with this real calibration)', async () => {
    // Both channels are enabled and drdy said both are done: 0x800000 is a temperature, here room
    // temperature, and a pressure (about 800 hPa). read() used to throw on it (issue #13 item 17).
    const cal = scaleCalibration(EXAMPLE_NVM);
    const t = temperatureC(0x800000, cal);
    const p = pressurePa(0x800000, t, cal);
    assert.ok(t > 20 && t < 27, `${t} °C`);
    const { clock, bus, sensor } = rig({ environment: staticEnvironment({ temperatureC: t, pressurePa: p }) });
    await drive(clock, sensor.init());
    for (let i = 0; i < 3; i++) {
      const m = await drive(clock, sensor.read());
      assert.deepEqual(m.map((x) => x.quantity), ['temperature', 'pressure', 'altitude']);
      assert.equal(valueOf(m, 'temperature'), t);
      assert.equal(valueOf(m, 'pressure'), p);
    }
    const d = await readRegisters(bus, 0x77, 0x04, 6);
    assert.deepEqual([d.readUIntLE(0, 3), d.readUIntLE(3, 3)], [0x800000, 0x800000], 'the chip\'s own counts');
  });

  it('reports a NACK as the bus error and reads again on the next call', () => assertNackThenRecovers(rig(), 'pressure', 101325, 0.05));

  it('refuses a wrong chip ID and names what it expected', async () => {
    const { clock, sensor } = rig({ chipId: 0x58 });
    await assert.rejects(drive(clock, sensor.init()), (e: unknown) => e instanceof WrongChipError && /0x58, expected 0x50 \(BMP388\) or 0x60 \(BMP390\)/.test(e.message));
  });

  it('gives up when drdy never comes, after the conversion time and ten polls', () => {
    const r = rig();
    return assertStuckTimesOut(r, () => (r.sim.stuck = true), 38 + 9);
  });

  it('refuses an address the chip cannot have before touching the bus', async () => {
    const { clock, bus } = rig();
    const sensor = new Bmp388(bus, clock, { address: 0x60, settings: settings() });
    await assert.rejects(sensor.init(), /0x60 is not possible/);
    assert.equal(bus.transactions, 0);
  });
});

describe('Bmp388 against a strict playback script', () => {
  it('initialises and reads exactly as the fixture says, giving the vector\'s values', async () => {
    const clock = new ManualClock();
    const bus = await PlaybackBus.fromFile(fixture('bmp388-init-forced-read.json'));
    const sensor = new Bmp388(bus, clock, { address: 0x77, settings: settings() });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    bus.assertDone();
    assert.equal(valueOf(m, 'temperature'), 30.499314453874284);
    near(valueOf(m, 'pressure'), 100876.00634692199, 0.001, 'pressure');
  });
});
