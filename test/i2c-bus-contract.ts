/**
 * The I2cBus contract, as one suite run against every implementation (MQTT.js-style contract
 * tests): the same session must behave the same on the simulated bus and on a playback of a
 * recording of it (and, on a board, on the Linux bus with a BMP280 at 0x76).
 *
 * The session assumes a BMP280 (chip ID 0x58) at 0x76 in sleep mode and nothing at 0x40.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Bmp280Simulator } from '../drivers/bmp280/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { I2cError, type I2cBus } from '../drivers/i2c/i2c-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';

export interface ContractCase {
  name: string;
  run(bus: I2cBus): Promise<void>;
}

export const CONTRACT_ADDRESS = 0x76;
export const EMPTY_ADDRESS = 0x40;

/** In order: later cases may rely on the state earlier ones left (e.g. the register pointer). */
export const I2C_CONTRACT_CASES: readonly ContractCase[] = [
  {
    name: 'a write then a read returns exactly readLength bytes as a Buffer',
    async run(bus) {
      const id = await bus.transfer(CONTRACT_ADDRESS, Uint8Array.of(0xd0), 1);
      assert.ok(Buffer.isBuffer(id));
      assert.deepEqual([...id], [0x58]);
    },
  },
  {
    name: 'a burst read honours the read length (24 calibration bytes)',
    async run(bus) {
      const calibration = await bus.transfer(CONTRACT_ADDRESS, Uint8Array.of(0x88), 24);
      assert.equal(calibration.length, 24);
      assert.notDeepEqual([...calibration], new Array(24).fill(0));
    },
  },
  {
    name: 'a write-only transfer returns an empty Buffer and the bytes written take effect',
    async run(bus) {
      const none = await bus.transfer(CONTRACT_ADDRESS, Uint8Array.of(0xf5, 0xa0), 0);
      assert.ok(Buffer.isBuffer(none));
      assert.equal(none.length, 0);
      assert.deepEqual([...(await bus.transfer(CONTRACT_ADDRESS, Uint8Array.of(0xf5), 1))], [0xa0]);
    },
  },
  {
    name: 'a read with nothing written continues from the register pointer',
    async run(bus) {
      await bus.transfer(CONTRACT_ADDRESS, Uint8Array.of(0xd0), 0);
      assert.deepEqual([...(await bus.transfer(CONTRACT_ADDRESS, new Uint8Array(0), 1))], [0x58]);
    },
  },
  {
    name: 'nothing at an address: I2cError EREMOTEIO (a NACK) carrying the address',
    async run(bus) {
      await assert.rejects(bus.transfer(EMPTY_ADDRESS, Uint8Array.of(0x00), 1), (error: unknown) => {
        assert.ok(error instanceof I2cError, `expected I2cError, got ${String(error)}`);
        assert.equal(error.code, 'EREMOTEIO');
        assert.equal(error.address, EMPTY_ADDRESS);
        return true;
      });
    },
  },
];

/** A simulated bus with the contract's devices: a BMP280 at 0x76. */
export function contractSimulatedBus(): SimulatedI2cBus {
  return new SimulatedI2cBus().attach(CONTRACT_ADDRESS, new Bmp280Simulator(new ManualClock(), { chip: 'BMP280' }));
}

/** Run the whole session (e.g. against a RecordingBus to make a playback script). */
export async function runContractSession(bus: I2cBus): Promise<void> {
  for (const c of I2C_CONTRACT_CASES) await c.run(bus);
}

export function i2cBusContract(name: string, open: () => Promise<I2cBus>, options: { finish?: (bus: I2cBus) => void } = {}): void {
  describe(`I2cBus contract: ${name}`, () => {
    let bus: I2cBus;
    before(async () => {
      bus = await open();
    });
    for (const c of I2C_CONTRACT_CASES) it(c.name, () => c.run(bus));
    after(async () => {
      options.finish?.(bus);
      await bus.close();
    });
  });
}
