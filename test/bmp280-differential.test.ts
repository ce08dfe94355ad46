/**
 * Differential test against the npm package bmp280-sensor 0.1.3 (node_modules/bmp280-sensor/
 * bmp280.js), used as an independent oracle: it computes temperature with the datasheet's 32-bit
 * integer formula (3.11.3, rounded to 0.01 °C) and pressure with the double formula, so agreement
 * within 0.01 °C and 1 Pa over random calibrations checks our calibration parsing and maths.
 *
 * It does `require('i2c-bus').openSync(n)` in its constructor; we hook Module._load for the
 * duration of the constructor and hand it a synchronous adapter over our SimulatedI2cBus.
 *
 * Defects found in bmp280-sensor 0.1.3 while doing this (evidence: the tests below and its source):
 *  - Default address is undefined: the constructor reads `this.I2C_ADDRESS_A` before assigning it,
 *    so `new BMP280()` talks to address undefined (i2c-bus throws "Invalid I2C address undefined").
 *  - Falsy options are ignored (`options.x ? options.x : default`): i2cBusNumber 0 opens bus 1, and
 *    config() cannot set powerMode 0 (sleep), oversampling 0 (skip), iirFilter 0 (off) or standby 0.
 *  - Accepts only chip ID 0x58: rejects the BME280 (0x60) and the BMP280 engineering samples (0x56/0x57).
 *  - readSensors() never starts a forced conversion and never waits for the measuring bit (3.8.1):
 *    it reads whatever is in the data registers, e.g. the reset value 0x80000, and reports it as a
 *    plausible-looking temperature instead of an error.
 *  - No soft reset and no wait for im_update (NVM copy) before reading the calibration.
 *  - Synchronous I/O (readByteSync, readI2cBlockSync, writeByteSync) in the constructor and config(),
 *    blocking the event loop; the constructor does I/O and opens the bus itself, and leaks the open
 *    bus if the chip-ID check throws.
 *  - `new Buffer(n)` (deprecated DEP0005, uninitialised memory); readSensors() rejects with a string,
 *    not an Error; it declares i2c-bus ^1.2.1 (which this project overrides to i2c-bus 5).
 */
import assert from 'node:assert/strict';
import Module, { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Bmp280 } from '../drivers/bmp280/bmp280.js';
import {
  adcPForPressure, adcTForTemperature, EXAMPLE_CALIBRATION, temperatureC, tFine, withCalibrationWords,
} from '../drivers/bmp280/compensation.js';
import { Bmp280Simulator } from '../drivers/bmp280/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { SimulatedI2cBus, seededRandom } from '../drivers/i2c/simulated-bus.js';
import { drive, settings, valueOf } from './bmp280-helpers.js';

interface OracleOptions {
  i2cBusNumber?: number;
  i2cAddress?: number;
}
interface Oracle {
  readSensors(): Promise<{ Temperature: number; Pressure: number }>;
  config(options: Record<string, number>): void;
}
type OracleClass = new (options?: OracleOptions) => Oracle;

const require = createRequire(import.meta.url);
const BMP280 = require('bmp280-sensor') as OracleClass;

/** What bmp280-sensor uses of i2c-bus, synchronously over a SimulatedI2cBus, checking like i2c-bus does. */
class FakeI2cBusModule {
  readonly opened: number[] = [];
  readonly addresses: unknown[] = [];
  closed = 0;

  constructor(private readonly bus: SimulatedI2cBus) {}

  openSync(busNumber: number): object {
    this.opened.push(busNumber);
    const check = (address: unknown): number => {
      this.addresses.push(address);
      if (!Number.isInteger(address) || (address as number) < 0 || (address as number) > 0x7f) throw new Error(`Invalid I2C address ${String(address)}`);
      return address as number;
    };
    const bus = this.bus;
    return {
      readByteSync: (address: unknown, command: number) => bus.transferSync(check(address), Uint8Array.of(command), 1)[0],
      readI2cBlockSync: (address: unknown, command: number, length: number, buffer: Buffer) =>
        bus.transferSync(check(address), Uint8Array.of(command), length).copy(buffer),
      readI2cBlock: (address: unknown, command: number, length: number, buffer: Buffer, cb: (e: Error | null, n?: number, b?: Buffer) => void) => {
        try {
          const n = bus.transferSync(check(address), Uint8Array.of(command), length).copy(buffer);
          setImmediate(cb, null, n, buffer);
        } catch (error) {
          setImmediate(cb, error as Error);
        }
      },
      writeByteSync: (address: unknown, command: number, byte: number) => {
        bus.transferSync(check(address), Uint8Array.of(command, byte), 0);
      },
      closeSync: () => {
        this.closed++;
      },
    };
  }
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };

/** Construct the oracle with `require('i2c-bus')` answered by `fake`, only for that call. */
function oracle(fake: FakeI2cBusModule, options?: OracleOptions): Oracle {
  const original = loader._load;
  loader._load = function (this: unknown, request, parent, isMain) {
    return request === 'i2c-bus' ? fake : original.call(this, request, parent, isMain);
  };
  try {
    return new BMP280(options);
  } finally {
    loader._load = original;
  }
}

function chipOnBus(clock: ManualClock, options: ConstructorParameters<typeof Bmp280Simulator>[1]): { bus: SimulatedI2cBus; sim: Bmp280Simulator; fake: FakeI2cBusModule } {
  const sim = new Bmp280Simulator(clock, options);
  const bus = new SimulatedI2cBus().attach(0x76, sim);
  return { bus, sim, fake: new FakeI2cBusModule(bus) };
}

describe('differential: our driver vs bmp280-sensor 0.1.3', () => {
  it('agrees within 0.01 °C and 1 Pa over 500 seeded random calibrations and readings', async () => {
    const random = seededRandom(280);
    const between = (lo: number, hi: number): number => Math.round(lo + random() * (hi - lo));
    let worstT = 0;
    let worstP = 0;
    for (let i = 0; i < 500; i++) {
      // Plausible words: spreads seen on real BMP280/BME280 parts around the datasheet example.
      const words = {
        dig_T1: between(26000, 29500), dig_T2: between(25000, 27500), dig_T3: between(-1000, 1000),
        dig_P1: between(35000, 38500), dig_P2: between(-11000, -10300), dig_P3: between(2900, 3300),
        dig_P4: between(2000, 9000), dig_P5: between(-200, 200), dig_P6: between(-20, 20),
        dig_P7: between(9900, 15500), dig_P8: between(-14600, -10200), dig_P9: between(4000, 6500),
      };
      const cal = withCalibrationWords(EXAMPLE_CALIBRATION, words);
      // Raw values of a plausible reading anywhere in the operating range (−40…85 °C, 300…1100 hPa).
      const adcT = adcTForTemperature(-40 + random() * 125, cal);
      const adcP = adcPForPressure(30000 + random() * 80000, tFine(adcT, cal), cal);
      const clock = new ManualClock();
      const { bus, fake } = chipOnBus(clock, { chip: 'BMP280', calibration: words, raw: { adcT, adcP, adcH: 0 } });

      // Ours first: its forced conversion puts the raw values into the data registers, which the
      // oracle (which never starts a conversion) then reads.
      const sensor = new Bmp280(bus, clock, { address: 0x76, settings: settings() });
      await drive(clock, sensor.init());
      const ours = await drive(clock, sensor.read());
      const theirs = await oracle(fake, { i2cBusNumber: 1, i2cAddress: 0x76 }).readSensors();

      const dT = Math.abs(valueOf(ours, 'temperature')! - theirs.Temperature);
      const dP = Math.abs(valueOf(ours, 'pressure')! - theirs.Pressure * 100);
      const where = `case ${i}: ${JSON.stringify({ words, adcT, adcP })}`;
      assert.ok(dT <= 0.01, `${where}: temperature ${valueOf(ours, 'temperature')} vs ${theirs.Temperature}`);
      assert.ok(dP <= 1, `${where}: pressure ${valueOf(ours, 'pressure')} Pa vs ${theirs.Pressure} hPa`);
      worstT = Math.max(worstT, dT);
      worstP = Math.max(worstP, dP);
    }
    assert.ok(worstT > 0, 'the oracle rounds to 0.01 °C, so some difference is expected: is it really being compared?');
  });
});

describe('bmp280-sensor 0.1.3 defects (evidence for the evaluation)', () => {
  it('has no working default address: it reads I2C_ADDRESS_A before setting it', () => {
    const { fake } = chipOnBus(new ManualClock(), {});
    assert.throws(() => oracle(fake, { i2cBusNumber: 1 }), /Invalid I2C address undefined/);
    assert.deepEqual(fake.addresses, [undefined]);
  });

  it('ignores falsy options: bus 0 opens bus 1; config cannot switch the filter off or go back to sleep', () => {
    const clock = new ManualClock();
    const { fake, sim } = chipOnBus(clock, {});
    const o = oracle(fake, { i2cBusNumber: 0, i2cAddress: 0x76 });
    assert.deepEqual(fake.opened, [1]);
    o.config({ iirFilter: 4 });
    o.config({ iirFilter: 0 });
    assert.equal((sim.peek(0xf5) >> 2) & 0x07, 4, 'filter still ×16 after asking for 0 (off)');
    o.config({ powerMode: 3 });
    o.config({ powerMode: 0 });
    assert.equal(sim.peek(0xf4) & 0x03, 3, 'still in normal mode after asking for 0 (sleep)');
  });

  it('rejects the BME280 (0x60) and the BMP280 samples (0x56, 0x57), and leaks the opened bus when it does', () => {
    for (const chipId of [0x60, 0x56, 0x57]) {
      const { fake } = chipOnBus(new ManualClock(), { chipId });
      assert.throws(() => oracle(fake, { i2cBusNumber: 1, i2cAddress: 0x76 }), new RegExp(`Unexpected BMx280 chip ID: 0x${chipId.toString(16)}`));
      assert.deepEqual([fake.opened.length, fake.closed], [1, 0]);
    }
  });

  it('never starts a conversion nor waits for one: on a chip that has not measured it reports the reset value as a temperature', async () => {
    const clock = new ManualClock();
    const { fake, sim } = chipOnBus(clock, { environment: () => ({ temperatureC: 5, pressurePa: 90000, humidityPct: 50 }) });
    const reading = await oracle(fake, { i2cBusNumber: 1, i2cAddress: 0x76 }).readSensors();
    assert.equal(sim.conversions, 0);
    // adc_T = 0x80000 ("skipped" / reset value) turned into a plausible-looking number, not an error.
    assert.equal(reading.Temperature, Math.round(temperatureC(0x80000, sim.calibration) * 100) / 100);
    assert.notEqual(Math.round(reading.Temperature), 5);
  });
});
