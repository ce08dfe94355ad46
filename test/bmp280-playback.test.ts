import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Bmp280 } from '../drivers/bmp280/bmp280.js';
import { flightProfile } from '../drivers/environment.js';
import { Bmp280Simulator } from '../drivers/bmp280/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { I2cError } from '../drivers/i2c/i2c-bus.js';
import { PlaybackBus, PlaybackMismatchError } from '../drivers/i2c/playback-bus.js';
import { RecordingBus } from '../drivers/i2c/recording-bus.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import { parseTranscript, serialiseTranscript, type TranscriptStep } from '../drivers/i2c/transcript.js';
import type { Measurement } from '../drivers/sensor.js';
import { drive, near, settings, valueOf } from './bmp280-helpers.js';

// Compiled tests live in <out>/test/, the fixtures stay in the source tree's test/fixtures/.
const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

/** [bytes written (hex), bytes read] of each expected transaction at 0x76. */
const BMP280_SESSION: Array<[string, number]> = [
  ['d0', 1], // chip ID
  ['e0b6', 0], // soft reset
  ['f3', 1], // status: im_update clear
  ['88', 24], // dig_T1 … dig_P9
  ['f500', 0], // config: t_sb 0.5 ms, filter off, written in sleep mode
  ['f424', 0], // ctrl_meas: osrs_t ×1, osrs_p ×1, sleep
  ['f425', 0], // ctrl_meas: forced
  ['f3', 1], // status: measuring clear
  ['f3', 10], // status, ctrl_meas, config, reserved, press + temp in one burst
];
const BME280_SESSION: Array<[string, number]> = [
  ['d0', 1], ['e0b6', 0], ['f3', 1], ['88', 24], ['a1', 1], ['e1', 7],
  ['f201', 0], // ctrl_hum before ctrl_meas
  ['f500', 0], ['f424', 0], ['f425', 0], ['f3', 1],
  ['f2', 13], // ctrl_hum, status, ctrl_meas, config, reserved, press + temp + hum in one burst
];

function shape(steps: TranscriptStep[]): Array<[string, number]> {
  return steps.map((s) => {
    assert.equal(s.address, 0x76);
    return [Buffer.from(s.write).toString('hex'), s.readLength];
  });
}

async function initAndRead(bus: PlaybackBus | RecordingBus | SimulatedI2cBus, clock: ManualClock, reads = 1): Promise<Measurement[][]> {
  const sensor = new Bmp280(bus, clock, { address: 0x76, settings: settings() });
  await drive(clock, sensor.init());
  const out: Measurement[][] = [];
  for (let i = 0; i < reads; i++) {
    out.push(await drive(clock, sensor.read()));
    await clock.advance(100);
  }
  return out;
}

describe('Bmp280 against a strict playback script', () => {
  for (const [chip, file, session] of [
    ['BMP280', 'bmp280-init-forced-read.json', BMP280_SESSION],
    ['BME280', 'bme280-init-forced-read.json', BME280_SESSION],
  ] as const) {
    it(`${chip}: init + one forced read is exactly the scripted traffic, with the datasheet's values`, async () => {
      const text = await readFile(fixture(file), 'utf8');
      assert.deepEqual(shape(parseTranscript(text)), session);
      const bus = PlaybackBus.fromJson(text);
      const [values] = await initAndRead(bus, new ManualClock());
      bus.assertDone();
      near(valueOf(values!, 'temperature'), 25.08, 0.005, 'temperature');
      near(valueOf(values!, 'pressure'), 100653.27, 0.1, 'pressure');
      near(valueOf(values!, 'altitude'), 56.1, 0.1, 'altitude');
      assert.equal(valueOf(values!, 'humidity') === undefined, chip === 'BMP280');
    });
  }

  it('fails with the step, the expected and the actual transaction when the driver deviates', async () => {
    const steps = parseTranscript(await readFile(fixture('bmp280-init-forced-read.json'), 'utf8'));
    steps[5] = { ...steps[5]!, write: Uint8Array.of(0xf4, 0x27) };
    const bus = new PlaybackBus(steps);
    await assert.rejects(initAndRead(bus, new ManualClock()), (error: unknown) => {
      assert.ok(error instanceof PlaybackMismatchError);
      assert.equal(error.message, 'playback step 6 of 9: expected addr 0x76 write [f427] read 0 byte(s); got addr 0x76 write [f424] read 0 byte(s)');
      return true;
    });
  });

  it('fails when steps are left unconsumed, and on a transaction past the end', async () => {
    const steps = parseTranscript(await readFile(fixture('bmp280-init-forced-read.json'), 'utf8'));
    const longer = new PlaybackBus([...steps, steps[0]!]);
    await initAndRead(longer, new ManualClock());
    assert.throws(() => longer.assertDone(), /playback: 1 of 10 step\(s\) not consumed; next is step 10: addr 0x76 write \[d0\] read 1 byte\(s\)/);
    const shorter = new PlaybackBus(steps.slice(0, 8));
    await assert.rejects(initAndRead(shorter, new ManualClock()), /unexpected transaction 9, the script has only 8 step\(s\); got addr 0x76 write \[f3\] read 10 byte\(s\)/);
  });

  it('rejects malformed transcripts with the step and field', () => {
    assert.throws(() => parseTranscript('{"version":2,"transactions":[]}'), /version 2 is not supported/);
    assert.throws(() => parseTranscript('{"version":1,"transactions":[{"addr":"0x76","write":"d","read":""}]}'), /step 1: "write" must be a hex string of whole bytes/);
    assert.throws(() => parseTranscript('{"version":1,"transactions":[{"addr":"0x80","write":"d0","read":"58"}]}'), /step 1: "addr" must be a 7-bit address/);
    assert.throws(() => parseTranscript('{"version":1,"transactions":[{"addr":"0x76","write":"d0","error":"EIO"}]}'), /failed step needs "readLength"/);
    assert.throws(() => parseTranscript('not json'), /not valid JSON/);
  });
});

describe('recording a session and playing it back', () => {
  it('reproduces the same readings from a recorded simulated flight (the real-board workflow)', async () => {
    const recordClock = new ManualClock(5_000); // mid-climb
    const sim = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(recordClock, { chip: 'BME280', environment: flightProfile() }));
    const recorder = new RecordingBus(sim);
    const recorded = await initAndRead(recorder, recordClock, 5);

    const dir = await mkdtemp(join(tmpdir(), 'edge-agent-rec-'));
    try {
      const path = join(dir, 'session.json');
      await recorder.save(path);
      const playback = await PlaybackBus.fromFile(path);
      const replayed = await initAndRead(playback, new ManualClock(), 5);
      playback.assertDone();
      assert.deepEqual(replayed, recorded);
      assert.ok(valueOf(recorded[4]!, 'altitude')! > valueOf(recorded[0]!, 'altitude')!, 'the recording caught the climb');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('records failed transactions with their code, and playback fails them the same way', async () => {
    const clock = new ManualClock();
    const sim = new SimulatedI2cBus().attach(0x76, new Bmp280Simulator(clock));
    const recorder = new RecordingBus(sim);
    await assert.rejects(recorder.transfer(0x77, Uint8Array.of(0xd0), 1), { code: 'EREMOTEIO' });
    sim.failNext(1, 'EIO');
    await assert.rejects(recorder.transfer(0x76, Uint8Array.of(0xd0), 1), { code: 'EIO' });
    assert.deepEqual((await recorder.transfer(0x76, Uint8Array.of(0xd0), 1))[0], 0x58);
    const text = recorder.toJson();
    assert.match(text, /\{"addr":"0x77","write":"d0","readLength":1,"error":"EREMOTEIO"\}/);
    const playback = new PlaybackBus(parseTranscript(serialiseTranscript(parseTranscript(text))));
    await assert.rejects(playback.transfer(0x77, Uint8Array.of(0xd0), 1), (e: unknown) => e instanceof I2cError && e.code === 'EREMOTEIO' && e.address === 0x77);
    await assert.rejects(playback.transfer(0x76, Uint8Array.of(0xd0), 1), { code: 'EIO' });
    assert.equal((await playback.transfer(0x76, Uint8Array.of(0xd0), 1))[0], 0x58);
    playback.assertDone();
  });
});
