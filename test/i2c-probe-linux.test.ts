import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PromisifiedBus } from 'i2c-bus';
import { Bmp280Simulator } from '../drivers/bmp280/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { I2cError } from '../drivers/i2c/i2c-bus.js';
import { I2cOpenError, openLinuxI2cBus } from '../drivers/i2c/linux-bus.js';
import { RecordingBus } from '../drivers/i2c/recording-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { probe } from '../drivers/probe.js';

describe('probe', () => {
  it('finds a BMP280 at 0x76 and a BME280 at 0x77, reading only the ID registers', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus()
      .attach(0x76, new Bmp280Simulator(clock, { chip: 'BMP280' }))
      .attach(0x77, new Bmp280Simulator(clock, { chip: 'BME280' }));
    const recorder = new RecordingBus(bus);
    assert.deepEqual(await probe(recorder), [
      { address: 0x76, chip: 'BMP280', id: 0x58, supported: true },
      { address: 0x77, chip: 'BME280', id: 0x60, supported: true },
    ]);
    // 0x60 (MPL3115A2's WHO_AM_I) is asked too, and does not acknowledge.
    assert.deepEqual(recorder.transcript.map((s) => [s.address, [...s.write], s.readLength]), [[0x60, [0x0c], 1], [0x76, [0xd0], 1], [0x77, [0xd0], 1]]);
  });

  it('reports a BMP180 (0x55), an unknown ID as unknown, and nothing for a NACK', async () => {
    const clock = new ManualClock();
    const bmp180 = new SimulatedI2cBus().attach(0x77, new Bmp280Simulator(clock, { chipId: 0x55 }));
    assert.deepEqual(await probe(bmp180), [{ address: 0x77, chip: 'BMP180', id: 0x55, supported: true }]);
    const odd = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(clock, { chipId: 0x42 }));
    assert.deepEqual(await probe(odd), [{ address: 0x76, chip: 'unknown', id: 0x42, supported: false }]);
    assert.deepEqual(await probe(new SimulatedI2cBus()), []);
  });

  it('passes on errors other than a NACK', async () => {
    const bus = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(new ManualClock()));
    bus.failNext(1, 'EIO');
    await assert.rejects(probe(bus), { code: 'EIO' });
  });
});

/** A stand-in for i2c-bus's PromisifiedBus that logs calls and can fail with an OS-style error. */
function fakePromisifiedBus(log: string[], fail?: string): PromisifiedBus {
  const maybeFail = (): void => {
    if (fail) throw Object.assign(new Error(`${fail}, Remote I/O error`), { code: fail, errno: -121 });
  };
  return {
    async i2cRead(address, length, buffer) {
      log.push(`i2cRead ${address} ${length}`);
      maybeFail();
      buffer.fill(0xaa, 0, length);
      return { bytesRead: length, buffer };
    },
    async i2cWrite(address, length, buffer) {
      log.push(`i2cWrite ${address} ${length} ${buffer.subarray(0, length).toString('hex')}`);
      maybeFail();
      return { bytesWritten: length, buffer };
    },
    async readI2cBlock(address, command, length, buffer) {
      log.push(`readI2cBlock ${address} ${command} ${length}`);
      maybeFail();
      buffer.fill(0x58, 0, length);
      return { bytesRead: length, buffer };
    },
    async close() {
      log.push('close');
    },
  };
}

/** Whether the optional native module is usable on this machine (it is not needed for the rest). */
const realI2cBus = await import('i2c-bus').then(() => true, () => false);

describe('openLinuxI2cBus', () => {
  const present = async (): Promise<void> => undefined;

  it('maps transfers onto readI2cBlock, i2cWrite and i2cRead', async () => {
    const log: string[] = [];
    const bus = await openLinuxI2cBus(1, { checkDevice: present, importModule: async () => ({ openPromisified: async () => fakePromisifiedBus(log) }) });
    assert.deepEqual([...(await bus.transfer(0x76, Uint8Array.of(0xd0), 1))], [0x58]);
    assert.equal((await bus.transfer(0x76, Uint8Array.of(0xe0, 0xb6), 0)).length, 0);
    assert.equal((await bus.transfer(0x76, Uint8Array.of(0x88), 40)).length, 40);
    await bus.close();
    assert.deepEqual(log, ['readI2cBlock 118 208 1', 'i2cWrite 118 2 e0b6', 'i2cWrite 118 1 88', 'i2cRead 118 40', 'close']);
  });

  it('keeps the OS code in I2cError with the original error as cause', async () => {
    const bus = await openLinuxI2cBus(1, { checkDevice: present, importModule: async () => ({ default: { openPromisified: async () => fakePromisifiedBus([], 'EREMOTEIO') } }) });
    await assert.rejects(bus.transfer(0x77, Uint8Array.of(0xd0), 1), (error: unknown) => {
      assert.ok(error instanceof I2cError);
      assert.equal(error.code, 'EREMOTEIO');
      assert.equal(error.address, 0x77);
      assert.match(error.message, /block read at 0x77 on \/dev\/i2c-1 failed with EREMOTEIO/);
      assert.equal((error.cause as { errno?: number }).errno, -121);
      return true;
    });
  });

  it('explains a missing /dev/i2c-N (enable I2C or check the bus number) and EACCES (i2c group)', async () => {
    await assert.rejects(openLinuxI2cBus(250), (error: unknown) => {
      assert.ok(error instanceof I2cOpenError);
      assert.equal(error.code, 'ENOENT');
      assert.match(error.message, /\/dev\/i2c-250 does not exist: enable I2C \(.*raspi-config.*dtparam=i2c_arm=on.*\) or check the bus number/);
      return true;
    });
    const denied = async (): Promise<void> => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: denied, facts: () => undefined }), /permission denied on \/dev\/i2c-1: it must belong to group i2c with mode 0660 .*and the user must be in group i2c/);
    await assert.rejects(openLinuxI2cBus(-1), /Invalid I2C bus number -1/);
  });

  it('says how to install or rebuild i2c-bus when it cannot be loaded', async () => {
    const missing = async (): Promise<never> => {
      throw Object.assign(new Error("Cannot find package 'i2c-bus' imported from /app/dist/drivers/i2c/linux-bus.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: present, importModule: missing }), (error: unknown) => {
      assert.ok(error instanceof I2cOpenError);
      assert.match(error.message, /optional package i2c-bus is missing \(npm install i2c-bus.*--simulate/);
      // Hardware unavailable, not a fault: the command line exits 69 on this code.
      assert.equal(error.code, 'ERR_HARDWARE_UNAVAILABLE');
      return true;
    });
    const unbuilt = async (): Promise<never> => {
      throw new Error('Could not locate the bindings file. Tried: build/Release/i2c.node');
    };
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: present, importModule: unbuilt }), /native addon could not be loaded \(Could not locate the bindings file.*npm rebuild i2c-bus/);
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: present, importModule: unbuilt }), { code: 'ERR_HARDWARE_UNAVAILABLE' });
    await assert.rejects(openLinuxI2cBus(1, { checkDevice: present, importModule: async () => ({}) }), /no openPromisified\(\)/);
  });

  it('loads the real i2c-bus lazily (named export of a CommonJS module)', { skip: realI2cBus ? false : 'the i2c-bus native addon is not built here' }, async () => {
    const bus = await openLinuxI2cBus(250, { checkDevice: present });
    // i2c-bus opens /dev/i2c-250 at the first transfer: the OS code and the hint come through.
    await assert.rejects(bus.transfer(0x76, Uint8Array.of(0xd0), 1), (error: unknown) => {
      assert.ok(error instanceof I2cError);
      assert.equal(error.code, 'ENOENT');
      assert.match(error.message, /\/dev\/i2c-250 does not exist/);
      return true;
    });
    await bus.close();
  });
});
