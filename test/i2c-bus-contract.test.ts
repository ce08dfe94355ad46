import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { I2cError } from '../drivers/i2c/i2c-bus.js';
import { PlaybackBus } from '../drivers/i2c/playback-bus.js';
import { RecordingBus } from '../drivers/i2c/recording-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { parseTranscript } from '../drivers/i2c/transcript.js';
import { contractSimulatedBus, i2cBusContract, runContractSession } from './i2c-bus-contract.js';

i2cBusContract('SimulatedI2cBus', async () => contractSimulatedBus());

i2cBusContract(
  'PlaybackBus of a recorded session',
  async () => {
    const recorder = new RecordingBus(contractSimulatedBus());
    await runContractSession(recorder);
    return new PlaybackBus(parseTranscript(recorder.toJson()));
  },
  { finish: (bus) => (bus as PlaybackBus).assertDone() },
);

i2cBusContract('RecordingBus around SimulatedI2cBus', async () => new RecordingBus(contractSimulatedBus()));

describe('SimulatedI2cBus fault injection', () => {
  const bus = (): SimulatedI2cBus => contractSimulatedBus();

  it('failNext fails the next transactions with the code, then recovers; all are counted', async () => {
    const b = bus();
    b.failNext(2, 'ETIMEDOUT');
    for (let i = 0; i < 2; i++) {
      await assert.rejects(b.transfer(0x76, Uint8Array.of(0xd0), 1), (e: unknown) => e instanceof I2cError && e.code === 'ETIMEDOUT');
    }
    assert.equal((await b.transfer(0x76, Uint8Array.of(0xd0), 1))[0], 0x58);
    assert.equal(b.transactions, 3);
  });

  it('failWhen picks transactions by address, bytes, length and index', async () => {
    const b = bus();
    const seen: number[] = [];
    b.failWhen((address, write, readLength, index) => {
      seen.push(index);
      return address === 0x76 && write[0] === 0xf7 && readLength === 6 ? 'EIO' : undefined;
    });
    assert.equal((await b.transfer(0x76, Uint8Array.of(0xd0), 1))[0], 0x58);
    await assert.rejects(b.transfer(0x76, Uint8Array.of(0xf7), 6), { code: 'EIO' });
    assert.deepEqual(seen, [0, 1]);
  });

  it('a seeded failure rate fails about that fraction, identically for the same seed', async () => {
    const pattern = async (seed: number): Promise<string> => {
      const b = new SimulatedI2cBus({ failureRate: 0.2, seed }).attach(0x76, contractSimulatedBus().device(0x76)!);
      let out = '';
      for (let i = 0; i < 500; i++) out += await b.transfer(0x76, Uint8Array.of(0xd0), 1).then(() => '.', () => 'x');
      return out;
    };
    const a = await pattern(7);
    assert.equal(a, await pattern(7));
    assert.notEqual(a, await pattern(8));
    const failures = a.split('').filter((c) => c === 'x').length;
    assert.ok(failures > 70 && failures < 130, `${failures} failures of 500 at rate 0.2`);
  });

  it('validates its arguments like i2c-bus and reports a closed bus', async () => {
    const b = bus();
    await assert.rejects(b.transfer(0x80, Uint8Array.of(0), 1), /Invalid I2C address 128/);
    await assert.rejects(b.transfer(0x76, Uint8Array.of(0), -1), /Invalid read length -1/);
    assert.throws(() => b.attach(0x76, b.device(0x76)!), /already attached at 0x76/);
    await b.close();
    await assert.rejects(b.transfer(0x76, Uint8Array.of(0xd0), 1), { code: 'EBADF' });
  });
});
