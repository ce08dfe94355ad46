import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bmp280, Bmp280TimeoutError, UnsupportedChipError } from '../drivers/bmp280/bmp280.js';
import { ConversionTimeoutError } from '../drivers/errors.js';
import { altitudeM } from '../drivers/barometric.js';
import { Bmp280Simulator } from '../drivers/bmp280/simulator.js';
import { staticEnvironment } from '../drivers/environment.js';
import { maxMeasurementTimeMs, typicalMeasurementTimeMs } from '../drivers/bmp280/settings.js';
import { ManualClock } from '../drivers/clock.js';
import { I2cError, readRegister, readRegisters, writeRegister } from '../drivers/i2c/i2c-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { SensorResetError } from '../drivers/sensor.js';
import { drive, near, rig, settings, valueOf } from './bmp280-helpers.js';

const ROOM = { temperatureC: 22.5, pressurePa: 98765.4, humidityPct: 41.5 };

function adc20(bytes: Buffer, offset: number): number {
  return (bytes[offset]! << 12) | (bytes[offset + 1]! << 4) | (bytes[offset + 2]! >> 4);
}

describe('Bmp280 init', () => {
  it('finds a BMP280: chip, calibration, quantities without humidity', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BMP280' });
    assert.deepEqual(sensor.quantities, []);
    await drive(clock, sensor.init());
    assert.equal(sensor.chip, 'BMP280');
    assert.equal(sensor.model, 'BMP280');
    assert.deepEqual(sensor.calibration, sim.calibration);
    assert.deepEqual(sensor.quantities, ['temperature', 'pressure', 'altitude']);
  });

  it('finds a BME280 with its humidity calibration and quantity', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BME280', calibration: { dig_H4: -5, dig_H5: -300 } });
    await drive(clock, sensor.init());
    assert.equal(sensor.chip, 'BME280');
    assert.deepEqual(sensor.calibration, sim.calibration);
    assert.equal(sensor.calibration.humidity?.dig_H5, -300);
    assert.deepEqual(sensor.quantities, ['temperature', 'pressure', 'humidity', 'altitude']);
  });

  it('accepts the BMP280 engineering samples 0x56 and 0x57', async () => {
    for (const chipId of [0x56, 0x57]) {
      const { clock, sensor } = rig({ chipId });
      await drive(clock, sensor.init());
      assert.equal(sensor.chip, 'BMP280');
    }
  });

  it('names the ID found, the address and the supported chips for an unknown chip', async () => {
    const { clock, sensor } = rig({ chipId: 0x61 });
    await assert.rejects(drive(clock, sensor.init()), (error: unknown) => {
      assert.ok(error instanceof UnsupportedChipError);
      assert.equal(error.id, 0x61);
      assert.match(error.message, /0x76 reports ID 0x61/);
      assert.match(error.message, /BMP280 \(ID 0x58, samples 0x56\/0x57\) and BME280 \(ID 0x60\)/);
      return true;
    });
  });

  it('says that 0x55 is a BMP180 with a different protocol', async () => {
    const { clock, sensor } = rig({ chipId: 0x55 });
    await assert.rejects(drive(clock, sensor.init()), /ID 0x55.*BMP180\/BMP085.*different protocol/);
  });

  it('rejects an address other than 0x76/0x77 before touching the bus', async () => {
    const { clock, bus, sensor } = rig({}, {}, 0x40);
    await assert.rejects(drive(clock, sensor.init()), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /address 0x40 is not possible: .*0x76 \(SDO to GND\) or 0x77 \(SDO to VDDIO\)/);
      return true;
    });
    assert.equal(bus.transactions, 0);
  });

  it('reports a standby time the chip does not have', async () => {
    const { clock, sensor } = rig({ chip: 'BMP280' }, { mode: 'normal', standbyMs: 10 });
    await assert.rejects(drive(clock, sensor.init()), /standby 10 ms is not available on the BMP280/);
  });

  it('times out clearly if im_update never clears after the reset', async () => {
    const { clock, bus, sensor } = rig();
    // A chip that keeps copying its NVM: status reads 0x01 forever.
    const sim = bus.device(0x76) as Bmp280Simulator;
    const original = sim.transfer.bind(sim);
    sim.transfer = (write, readLength) => (write.length === 1 && write[0] === 0xf3 ? Buffer.of(0x01) : original(write, readLength));
    await assert.rejects(drive(clock, sensor.init()), (error: unknown) => {
      assert.ok(error instanceof Bmp280TimeoutError);
      assert.ok(error instanceof ConversionTimeoutError, 'one kind of timeout for every driver');
      assert.match(error.message, /BMP280 at 0x76: im_update bit .* still set \(10 status reads\) after \d+ ms/);
      return true;
    });
  });
});

describe('Bmp280 read', () => {
  it('forced mode reports the simulated environment (BMP280)', async () => {
    const { clock, sensor } = rig({ chip: 'BMP280', environment: staticEnvironment(ROOM) }, { seaLevelPa: 101000 });
    await drive(clock, sensor.init());
    const values = await drive(clock, sensor.read());
    assert.deepEqual(values.map((m) => m.quantity), ['temperature', 'pressure', 'altitude']);
    near(valueOf(values, 'temperature'), ROOM.temperatureC, 0.01, 'temperature');
    // ×1 without the filter has 16-bit resolution (3.3.2): steps of about 2.7 Pa.
    near(valueOf(values, 'pressure'), ROOM.pressurePa, 1.5, 'pressure');
    near(valueOf(values, 'altitude'), altitudeM(ROOM.pressurePa, 101000), 0.15, 'altitude');
  });

  it('forced mode reports humidity on a BME280, at full resolution with ×16', async () => {
    const { clock, sensor } = rig(
      { chip: 'BME280', environment: staticEnvironment(ROOM) },
      { oversampling: { temperature: 'x16', pressure: 'x16', humidity: 'x16' } },
    );
    await drive(clock, sensor.init());
    const values = await drive(clock, sensor.read());
    assert.deepEqual(values.map((m) => m.quantity), ['temperature', 'pressure', 'humidity', 'altitude']);
    near(valueOf(values, 'temperature'), ROOM.temperatureC, 0.001, 'temperature');
    near(valueOf(values, 'pressure'), ROOM.pressurePa, 0.2, 'pressure');
    near(valueOf(values, 'humidity'), ROOM.humidityPct, 0.05, 'humidity');
  });

  it('starts one conversion per read and waits the maximum conversion time before reading', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BME280' });
    await drive(clock, sensor.init());
    const start = clock.now();
    await drive(clock, sensor.read(), 0.25);
    assert.equal(sim.conversions, 1);
    assert.ok(clock.now() - start >= maxMeasurementTimeMs(1, 1, 1), `read returned after ${clock.now() - start} ms`);
    assert.equal(sim.peek(0xf4) & 0x03, 0, 'back in sleep mode after the forced conversion');
    await drive(clock, sensor.read());
    assert.equal(sim.conversions, 2);
  });

  it('normal mode reads the latest conversion without starting one', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BMP280', environment: staticEnvironment(ROOM) }, { mode: 'normal', standbyMs: 62.5 });
    await drive(clock, sensor.init());
    const first = await drive(clock, sensor.read());
    near(valueOf(first, 'temperature'), ROOM.temperatureC, 0.01, 'temperature');
    const before = sim.conversions;
    await clock.advance(1000);
    // one conversion every t_meas + t_sb = 5.5 + 62.5 ms (3.6.3)
    assert.ok(Math.abs(sim.conversions - before - 1000 / 68) <= 1, `conversions in 1 s: ${sim.conversions - before}`);
    await sensor.halt();
    assert.equal(sim.peek(0xf4) & 0x03, 0, 'halt() puts the chip to sleep');
  });

  it('normal mode with the IIR filter follows a step change gradually (3.3.3)', async () => {
    let pressurePa = 100000;
    const environment = () => ({ temperatureC: 20, pressurePa, humidityPct: 50 });
    const { clock, sensor } = rig({ environment }, { mode: 'normal', filter: 'x16', oversampling: { pressure: 'x16', temperature: 'x2' } });
    await drive(clock, sensor.init());
    near(valueOf(await sensor.read(), 'pressure'), 100000, 0.5, 'settled pressure');
    pressurePa = 100100;
    const period = typicalMeasurementTimeMs(2, 5) + 0.5;
    await clock.advance(period);
    const one = valueOf(await sensor.read(), 'pressure')!;
    near(one, 100000 + 100 / 16, 0.6, 'after one filtered conversion');
    await clock.advance(period * 200);
    near(valueOf(await sensor.read(), 'pressure'), 100100, 0.5, 'after many conversions');
  });

  it('does not report a skipped measurement (data register 0x80000)', async () => {
    const { clock, bus, sensor } = rig({ chip: 'BME280' }, { oversampling: { pressure: 'skip', humidity: 'skip' } });
    await drive(clock, sensor.init());
    assert.deepEqual(sensor.quantities, ['temperature']);
    const values = await drive(clock, sensor.read());
    assert.deepEqual(values.map((m) => m.quantity), ['temperature']);
    const data = await readRegisters(bus, 0x76, 0xf7, 8);
    assert.equal(adc20(data, 0), 0x80000);
    assert.equal((data[6]! << 8) | data[7]!, 0x8000);
  });

  it('times out naming the chip and address when the measuring bit never clears', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BME280' });
    await drive(clock, sensor.init());
    sim.stuckMeasuring = true;
    await assert.rejects(drive(clock, sensor.read()), (error: unknown) => {
      assert.ok(error instanceof Bmp280TimeoutError);
      assert.equal(error.chip, 'BME280');
      assert.equal(error.address, 0x76);
      assert.match(error.message, /BME280 at 0x76: measuring bit \(status bit 3; .*\) still set \(10 status reads\) after \d+ ms/);
      return true;
    });
  });

  it('propagates a NACK as I2cError EREMOTEIO', async () => {
    const clock = new ManualClock();
    const sensor = new Bmp280(new SimulatedI2cBus(), clock, { address: 0x77, settings: settings() });
    await assert.rejects(drive(clock, sensor.init()), (error: unknown) => error instanceof I2cError && error.code === 'EREMOTEIO' && error.address === 0x77);
  });

  it('propagates EIO on the data burst as I2cError with its code', async () => {
    const { clock, bus, sensor } = rig();
    await drive(clock, sensor.init());
    bus.failWhen((_address, write, readLength) => (write[0] === 0xf3 && readLength === 10 ? 'EIO' : undefined));
    await assert.rejects(drive(clock, sensor.read()), (error: unknown) => error instanceof I2cError && error.code === 'EIO');
    bus.failWhen(undefined);
    assert.equal((await drive(clock, sensor.read())).length, 3);
  });
});

describe('Bmp280Simulator (register level)', () => {
  it('reads 0x80000 / 0x8000 before the first conversion and sets im_update for 2 ms after a reset', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(clock, { chip: 'BME280' }));
    const data = await readRegisters(bus, 0x76, 0xf7, 8);
    assert.equal(adc20(data, 0), 0x80000);
    assert.equal(adc20(data, 3), 0x80000);
    assert.equal((data[6]! << 8) | data[7]!, 0x8000);
    await writeRegister(bus, 0x76, 0xe0, 0xb6);
    assert.equal(await readRegister(bus, 0x76, 0xf3), 0x01);
    await clock.advance(2);
    assert.equal(await readRegister(bus, 0x76, 0xf3), 0x00);
  });

  it('sets measuring for the typical conversion time after a forced write, then returns to sleep', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(clock));
    await writeRegister(bus, 0x76, 0xf4, 0x25); // ×1/×1, forced
    assert.equal(await readRegister(bus, 0x76, 0xf3), 0x08);
    await clock.advance(typicalMeasurementTimeMs(1, 1) - 0.1);
    assert.equal(await readRegister(bus, 0x76, 0xf3), 0x08);
    await clock.advance(0.1);
    assert.equal(await readRegister(bus, 0x76, 0xf3), 0x00);
    assert.equal(await readRegister(bus, 0x76, 0xf4), 0x24);
    assert.notEqual(adc20(await readRegisters(bus, 0x76, 0xf7, 6), 0), 0x80000);
  });

  it('ignores config writes outside sleep mode and applies ctrl_hum only after a ctrl_meas write', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(clock, { chip: 'BME280' }));
    await writeRegister(bus, 0x76, 0xf4, 0x27); // normal mode, humidity not enabled yet
    await writeRegister(bus, 0x76, 0xf5, 0x10);
    assert.equal(await readRegister(bus, 0x76, 0xf5), 0x00, 'config write ignored in normal mode');
    await writeRegister(bus, 0x76, 0xf2, 0x01);
    await clock.advance(100);
    let data = await readRegisters(bus, 0x76, 0xf7, 8);
    assert.equal((data[6]! << 8) | data[7]!, 0x8000, 'ctrl_hum not latched yet');
    await writeRegister(bus, 0x76, 0xf4, 0x27);
    await clock.advance(100);
    data = await readRegisters(bus, 0x76, 0xf7, 8);
    assert.notEqual((data[6]! << 8) | data[7]!, 0x8000, 'humidity measured after the ctrl_meas write');
    await writeRegister(bus, 0x76, 0xf4, 0x24);
    await writeRegister(bus, 0x76, 0xf5, 0x10);
    assert.equal(await readRegister(bus, 0x76, 0xf5), 0x10, 'config write accepted in sleep mode');
  });

  it('powerCycle() puts every register back to its default behind the driver', async () => {
    const { clock, bus, sim, sensor } = rig({ chip: 'BME280', environment: staticEnvironment(ROOM) }, { filter: 'x4', standbyMs: 62.5 });
    await drive(clock, sensor.init());
    assert.equal((await drive(clock, sensor.read())).length, 4);
    assert.equal(await readRegister(bus, 0x76, 0xf5), 0x28);
    sim.powerCycle();
    assert.equal(await readRegister(bus, 0x76, 0xf3), 0x01, 'NVM copy running after power-up');
    await clock.advance(2);
    assert.deepEqual([...(await readRegisters(bus, 0x76, 0xf2, 4))], [0, 0, 0, 0], 'ctrl_hum, status, ctrl_meas, config');
    assert.equal(adc20(await readRegisters(bus, 0x76, 0xf7, 6), 0), 0x80000);
    // ctrl_hum is lost, so humidity would no longer be measured: the driver's burst notices.
    await assert.rejects(drive(clock, sensor.read()), SensorResetError);
  });

  it('uses explicit raw ADC values as they are', async () => {
    const { clock, bus, sensor } = rig({ raw: { adcT: 519888, adcP: 415148, adcH: 0x7000 } });
    await drive(clock, sensor.init());
    const values = await drive(clock, sensor.read());
    near(valueOf(values, 'temperature'), 25.08, 0.005, 'temperature');
    near(valueOf(values, 'pressure'), 100653.27, 0.1, 'pressure');
    const data = await readRegisters(bus, 0x76, 0xf7, 6);
    assert.equal(adc20(data, 0), 415148);
    assert.equal(adc20(data, 3), 519888);
  });

  it('answers a wrong chip ID when told to', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus().attach(0x77, new Bmp280Simulator(clock, { chipId: 0x99 }));
    assert.equal(await readRegister(bus, 0x77, 0xd0), 0x99);
  });
});

describe('Bmp280 notices a reset behind its back (registers back at their defaults)', () => {
  const lostConfiguration = (pattern: RegExp) => (error: unknown): boolean => {
    assert.ok(error instanceof SensorResetError, String(error));
    assert.match(error.message, /at 0x76 lost its configuration/);
    assert.match(error.message, pattern);
    return true;
  };

  it('BME280, forced: ctrl_hum lost is reported (not humidity silently missing); init() brings humidity back', async () => {
    const { clock, bus, sim, sensor } = rig({ chip: 'BME280', environment: staticEnvironment(ROOM) });
    await drive(clock, sensor.init());
    const before = bus.transactions;
    assert.equal((await drive(clock, sensor.read())).length, 4);
    assert.equal(bus.transactions - before, 3, 'forced write, status, ONE burst: the check costs no transaction');
    sim.powerCycle();
    await clock.advance(5);
    await assert.rejects(drive(clock, sensor.read()), lostConfiguration(/ctrl_hum 0x00, expected 0x01/));
    await drive(clock, sensor.init());
    const again = await drive(clock, sensor.read());
    near(valueOf(again, 'humidity'), ROOM.humidityPct, 0.1, 'humidity after re-init');
  });

  it('BMP280, forced, filter x4: config lost is reported; init() restores the filter', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BMP280', environment: staticEnvironment(ROOM) }, { filter: 'x4' });
    await drive(clock, sensor.init());
    await drive(clock, sensor.read());
    sim.powerCycle();
    await clock.advance(5);
    await assert.rejects(drive(clock, sensor.read()), lostConfiguration(/config 0x00, expected 0x08/));
    await drive(clock, sensor.init());
    assert.equal((sim.peek(0xf5) >> 2) & 0x07, 2, 'filter code x4 back in config');
    near(valueOf(await drive(clock, sensor.read()), 'temperature'), ROOM.temperatureC, 0.01, 'temperature');
  });

  it('normal mode: a chip found asleep (ctrl_meas 0) is reported instead of serving stale data', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BMP280', environment: staticEnvironment(ROOM) }, { mode: 'normal', standbyMs: 62.5 });
    await drive(clock, sensor.init());
    await drive(clock, sensor.read());
    sim.powerCycle();
    await assert.rejects(drive(clock, sensor.read()), lostConfiguration(/im_update set.*ctrl_meas 0x00, expected 0x27/));
  });

  it('a reset that leaves nothing different (forced, filter off, BMP280) is harmless and reads on', async () => {
    const { clock, sim, sensor } = rig({ chip: 'BMP280', environment: staticEnvironment(ROOM) });
    await drive(clock, sensor.init());
    sim.powerCycle();
    await clock.advance(5);
    near(valueOf(await drive(clock, sensor.read()), 'pressure'), ROOM.pressurePa, 1, 'pressure');
  });

  it('declares the datasheet operating range: 300–1100 hPa, −40…+85 °C, 0–100 %', () => {
    const { sensor } = rig();
    assert.deepEqual(sensor.operatingRange, {
      temperature: { min: -40, max: 85 },
      pressure: { min: 30000, max: 110000 },
      humidity: { min: 0, max: 100 },
    });
  });
});
