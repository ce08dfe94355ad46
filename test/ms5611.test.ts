import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../drivers/clock.js';
import { staticEnvironment } from '../drivers/environment.js';
import { ConversionTimeoutError } from '../drivers/errors.js';
import { PlaybackBus } from '../drivers/i2c/playback-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { compensate, EXAMPLE_PROM, promCrc4, promValid } from '../drivers/ms5611/compensation.js';
import { Ms5611, PromCrcError } from '../drivers/ms5611/ms5611.js';
import { Ms5611Simulator, type Ms5611SimulatorOptions } from '../drivers/ms5611/simulator.js';
import { drive, near, valueOf } from './helpers/drive.js';
import { assertNackThenRecovers } from './helpers/driver-faults.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

function rig(options: Ms5611SimulatorOptions = {}) {
  const clock = new ManualClock();
  const bus = new SimulatedI2cBus();
  const sim = new Ms5611Simulator(clock, options);
  bus.attach(0x77, sim);
  const sensor = new Ms5611(bus, clock, { address: 0x77, settings: { osr: 4096, seaLevelPa: 101325 } });
  return { clock, bus, sim, sensor };
}

describe('MS5611 PROM CRC-4 (AN520)', () => {
  const an520 = [0x3132, 0x3334, 0x3536, 0x3738, 0x3940, 0x4142, 0x4344, 0x4500];
  it('gives 0xB on the AN520 table, and accepts only the PROM that stores it', () => {
    assert.equal(promCrc4(an520), 0xb);
    assert.equal(promValid([...an520.slice(0, 7), 0x450b]), true);
    assert.equal(promValid(an520), false);
  });
  it('rejects an all-0x0000 and an all-0xFFFF PROM (no chip, dead bus), though zeros have CRC 0', () => {
    assert.equal(promCrc4(new Array(8).fill(0)), 0);
    assert.equal(promValid(new Array(8).fill(0)), false);
    assert.equal(promValid(new Array(8).fill(0xffff)), false);
  });
});

describe('MS5611 compensation (BigInt, arithmetic shifts)', () => {
  it('reproduces every number of the datasheet example', () => {
    assert.deepEqual(compensate(9085466, 8569150, EXAMPLE_PROM), { dT: 2366n, TEMP: 2007n, OFF: 2420281617n, SENS: 1315097036n, P: 100009n });
  });
  it('applies the second order below 20 °C and −15 °C (betaflight vectors, floor semantics)', () => {
    const cold = compensate(9085466, 8069150, EXAMPLE_PROM);
    assert.deepEqual([cold.TEMP, cold.P], [205n, 96512n]);
    const freezing = compensate(9085466, 7369150, EXAMPLE_PROM);
    assert.deepEqual([freezing.TEMP, freezing.P], [-2710n, 90613n]);
  });
});

describe('Ms5611 driver against its simulator', () => {
  it('reads a static 15 °C at 500 m back within the chip\'s 0.01 °C / 1 Pa steps', async () => {
    const { clock, sensor } = rig({ environment: staticEnvironment({ temperatureC: 15, altitudeM: 500 }) });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    near(valueOf(m, 'temperature'), 15, 0.01, 'temperature');
    near(valueOf(m, 'altitude'), 500, 0.1, 'altitude');
  });

  it('simulates the datasheet traps: an ADC read during a conversion returns 0 and corrupts it; a repeated read returns 0', async () => {
    const clock = new ManualClock();
    const sim = new Ms5611Simulator(clock);
    const adc = (): number => sim.transfer(Uint8Array.of(0x00), 3).readUIntBE(0, 3);
    sim.transfer(Uint8Array.of(0x58), 0);
    assert.equal(adc(), 0, 'read while converting');
    await clock.advance(10);
    const corrupted = adc();
    sim.transfer(Uint8Array.of(0x58), 0);
    await clock.advance(10);
    const good = adc();
    assert.notEqual(corrupted, good);
    assert.ok(good > 0);
    assert.equal(adc(), 0, 'repeated read');
  });

  it('refuses a PROM whose CRC does not match', async () => {
    const prom = [...EXAMPLE_PROM];
    prom[3]! ^= 0x0100;
    const { clock, sensor } = rig({ prom });
    await assert.rejects(drive(clock, sensor.init()), (e: unknown) => e instanceof PromCrcError && /PROM CRC-4 mismatch/.test(e.message));
  });

  it('reports a NACK as the bus error and reads again on the next call', () => assertNackThenRecovers(rig(), 'pressure', 101325, 1));

  it('reports a conversion lost to a reset behind its back (ADC read 0)', async () => {
    const { clock, bus, sensor } = rig();
    await drive(clock, sensor.init());
    const sim = bus.device(0x77) as Ms5611Simulator;
    const reading = sensor.read();
    await clock.advance(0);
    sim.transfer(Uint8Array.of(0x1e), 0); // power glitch: reset during the D2 conversion
    await assert.rejects(drive(clock, reading), (e: unknown) => e instanceof ConversionTimeoutError && /D2 \(temperature\) result/.test(e.message));
  });
});

describe('Ms5611 against a strict playback script', () => {
  it('resets, reads the PROM, converts D2 then D1 and gives the datasheet\'s 20.07 °C and 100009 Pa', async () => {
    const clock = new ManualClock();
    const bus = await PlaybackBus.fromFile(fixture('ms5611-init-read.json'));
    const sensor = new Ms5611(bus, clock, { address: 0x77, settings: { osr: 4096, seaLevelPa: 101325 } });
    await drive(clock, sensor.init());
    const m = await drive(clock, sensor.read());
    bus.assertDone();
    assert.equal(valueOf(m, 'temperature'), 20.07);
    assert.equal(valueOf(m, 'pressure'), 100009);
  });
});
