/**
 * Sensor faults end to end below MQTT: the real sampler, scheduler and BMP280 driver against
 * register-level simulators on one simulated bus, with seeded fault injection, on a manual clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultConfig, MeasurementConfig, SensorConfig } from '../agent/config/types.js';
import { loadConfig, validateConfigText } from '../agent/config/load-config.js';
import { healthReport } from '../agent/features/health.js';
import { createLogger, memoryLogger, type Logger } from '../agent/log/logger.js';
import { SampleGroup } from '../agent/sampling/sample-group.js';
import type { Sample } from '../agent/sampling/reading.js';
import { REPEAT_LOG_INTERVAL_MS, Sampler } from '../agent/sampling/sampler.js';
import { Scheduler } from '../agent/sampling/scheduler.js';
import { createSensor, simulateSensor } from '../agent/sensors.js';
import { Bmp280 } from '../drivers/bmp280/bmp280.js';
import { staticEnvironment } from '../drivers/environment.js';
import { Bmp280Simulator } from '../drivers/bmp280/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { FaultyDevice, seededRandom, SimulatedI2cBus, type I2cDevice } from '../drivers/i2c/simulated-bus.js';
import { SensorResetError, type Measurement, type Quantity, type Sensor } from '../drivers/sensor.js';
import { drive, settings, type SettingsOverrides } from './bmp280-helpers.js';

const measurement = (unit: MeasurementConfig['unit'], decimals: number): MeasurementConfig => ({
  enabled: true, unit, decimals, format: 'plain', qos: 0, retain: false, topic: 'sensors/{deviceId}/{sensor}/{measurement}', filters: [],
});

function sensorConfig(name: string, faults?: FaultConfig, intervalMs = 100): SensorConfig {
  return {
    name,
    intervalMs,
    ...(faults ? { faults } : {}),
    measurements: {
      temperature: measurement('°C', 3),
      pressure: measurement('Pa', 2),
      humidity: measurement('%', 3),
      altitude: measurement('m', 2),
    },
  } as unknown as SensorConfig;
}

/** A sensor that answers from a script: each read() takes the next entry (an error or values). */
class ScriptedSensor implements Sensor {
  readonly model = 'SCRIPTED';
  readonly quantities: Quantity[] = ['temperature'];
  readonly operatingRange = { temperature: { min: -40, max: 85 } };
  inits = 0;
  initFailures: unknown[] = [];
  script: Array<Error | number> = [];

  async init(): Promise<void> {
    this.inits++;
    const failure = this.initFailures.shift();
    if (failure) throw failure;
  }

  async read(): Promise<Measurement[]> {
    const next = this.script.shift() ?? 21;
    if (next instanceof Error) throw next;
    return [{ quantity: 'temperature', value: next }];
  }

  async halt(): Promise<void> {}
}

function scripted(faults?: FaultConfig): { sensor: ScriptedSensor; sampler: Sampler; batches: Sample[]; logger: ReturnType<typeof memoryLogger>; clock: ManualClock } {
  const sensor = new ScriptedSensor();
  const batches: Sample[] = [];
  const logger = memoryLogger();
  const clock = new ManualClock();
  const sampler = new Sampler(sensorConfig('scripted', faults), sensor, clock, (b) => batches.push(b), logger);
  return { sensor, sampler, batches, logger, clock };
}

const warnings = (lines: string[], text: string): number => lines.filter((l) => l.startsWith('WARN') && l.includes(text)).length;

describe('Sampler fault handling (scripted sensor)', () => {
  it('drops a sample with a value outside the operating range, counts and logs it once per episode', async () => {
    const { sensor, sampler, batches, logger } = scripted({ readAttempts: 3, reinitAfter: 10 });
    sensor.script = [20, 191.4, Number.NaN, -41, 22];
    for (let i = 0; i < 5; i++) await sampler.run();
    assert.deepEqual(batches.map((b) => b.readings[0]!.value), [20, 22], 'only plausible values reach the sink');
    assert.deepEqual(batches.map((b) => b.seq), [1, 2], 'a rejected sample is not a reading: no gap in seq');
    assert.equal(sampler.stats.rejected, 3);
    assert.equal(sampler.stats.errors, 0);
    assert.equal(warnings(logger.lines, 'reading outside the operating range'), 1);
    assert.match(logger.lines.find((l) => l.includes('outside the operating range'))!, /temperature 191\.4 is outside the sensor's operating range -40…85/);
    assert.equal(logger.lines.filter((l) => l.includes('sensor recovered')).length, 1);
  });

  it('re-initialises after `reinitAfter` consecutive failures, then every `reinitAfter` failures, not every tick', async () => {
    const { sensor, sampler, batches, logger } = scripted({ readAttempts: 1, reinitAfter: 2 });
    sensor.script = Array.from({ length: 6 }, () => new Error('chip confused'));
    const initsAt: number[] = [];
    for (let tick = 1; tick <= 8; tick++) {
      const before = sensor.inits;
      await sampler.run();
      if (sensor.inits > before) initsAt.push(tick);
    }
    assert.deepEqual(initsAt, [1, 3, 5, 7], 'first init, then after ticks 1–2, 3–4 and 5–6 failed');
    assert.equal(sampler.stats.reinits, 3);
    assert.equal(sampler.stats.errors, 6);
    assert.equal(batches.length, 2, 'ticks 7 and 8 read again');
    assert.equal(warnings(logger.lines, 'sensor will be re-initialised'), 1, 'once per episode');
    assert.equal(warnings(logger.lines, 'sensor read failed'), 1, 'once per episode');
    assert.equal(sampler.stats.consecutiveFailures, 0);
  });

  it('a sensor failing every other tick writes one WARN and one recovery line a minute, with the count held back', async () => {
    const { sensor, sampler, logger, clock } = scripted({ readAttempts: 1, reinitAfter: 10 });
    // 100 s at 10 Hz, every other read failing: 500 short episodes, each one "new" trouble.
    sensor.script = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? new Error('EIO') : 21));
    for (let tick = 0; tick < 1000; tick++) {
      await sampler.run();
      await clock.advance(100);
    }
    assert.deepEqual([sampler.stats.errors, sampler.stats.samples], [500, 500], 'every failure still counted');
    const lines = (level: string, text: string): string[] => logger.lines.filter((l) => l.startsWith(level) && l.includes(text));
    const failed = lines('WARN', 'sensor read failed');
    assert.equal(failed.length, 2, failed.join('\n'));
    assert.doesNotMatch(failed[0]!, /suppressed/);
    assert.match(failed[1]!, /sensor=scripted error=EIO suppressed=299$/, 'ticks 0 and 600 wrote; the 299 failures between were held back');
    assert.equal(lines('DEBUG', 'sensor read failed').filter((l) => !l.includes('again')).length, 498, 'held back as DEBUG lines');
    const recovered = lines('INFO', 'sensor recovered');
    assert.equal(recovered.length, 2);
    assert.match(recovered[1]!, /suppressed=299$/);
  });

  it('re-initialises on the very next tick when the driver reports a reset', async () => {
    const { sensor, sampler, batches } = scripted({ readAttempts: 3, reinitAfter: 100 });
    sensor.script = [20, new SensorResetError('lost its configuration'), 21];
    await sampler.run();
    await sampler.run();
    assert.equal(sampler.stats.resets, 1);
    assert.equal(sensor.inits, 1);
    await sampler.run();
    assert.equal(sensor.inits, 2);
    assert.equal(sampler.stats.reinits, 1);
    assert.deepEqual(batches.map((b) => b.readings[0]!.value), [20, 21]);
  });

  it('a failed start (the agent calls init() and reports it) counts, and the next ticks do not warn again', async () => {
    const { sensor, sampler, logger } = scripted();
    sensor.initFailures = [new Error('no chip'), new Error('no chip')];
    await assert.rejects(sampler.init(), /no chip/);
    assert.deepEqual([sampler.stats.errors, sampler.stats.consecutiveFailures, sampler.stats.lastError], [1, 1, 'no chip']);
    await sampler.run();
    assert.equal(sampler.stats.errors, 2);
    assert.equal(warnings(logger.lines, 'initialisation failed'), 0, 'the caller logged the first; repeats are debug');
    await sampler.run();
    assert.equal(sampler.stats.samples, 1);
    assert.equal(logger.lines.filter((l) => l.includes('sensor recovered')).length, 1);
  });

  it('a sensor that never comes up is tried every tick, never throws, and says why', async () => {
    const { sensor, sampler } = scripted({ readAttempts: 3, reinitAfter: 3 });
    sensor.initFailures = Array.from({ length: 5 }, () => new TypeError('not a chip this driver knows'));
    for (let i = 0; i < 5; i++) await sampler.run(); // would reject (and fail the test) if a failure escaped
    assert.equal(sensor.inits, 5);
    assert.equal(sampler.stats.errors, 5);
    assert.equal(sampler.stats.lastError, 'not a chip this driver knows');
    await sampler.run();
    assert.equal(sampler.stats.samples, 1);
    assert.equal(sampler.stats.reinits, 0, 'the first successful init is not a re-init');
  });
});

const ROOM_A = { temperatureC: 22.5, pressurePa: 98765.4, humidityPct: 41.5 };
const ROOM_B = { temperatureC: 18.25, pressurePa: 101000, humidityPct: 50 };

interface Rigged {
  clock: ManualClock;
  bus: SimulatedI2cBus;
  simA: Bmp280Simulator;
  simB: Bmp280Simulator;
  a: { sampler: Sampler; batches: Sample[] };
  b: { sampler: Sampler; batches: Sample[] };
  scheduler: Scheduler;
  logger: Logger & { lines: string[] };
}

/**
 * Two chips on one bus: a BME280 at 0x76 (filter x4) that faults are aimed at, a BMP280 at 0x77.
 * `wrapA` may put a fault injector between the bus and the first chip.
 */
function twoSensors(options: { failureRate?: number; seed?: number; wrapA?: (sim: Bmp280Simulator) => I2cDevice; overridesA?: SettingsOverrides } = {}): Rigged {
  const clock = new ManualClock();
  const bus = new SimulatedI2cBus();
  const simA = new Bmp280Simulator(clock, { chip: 'BME280', environment: staticEnvironment(ROOM_A) });
  const simB = new Bmp280Simulator(clock, { chip: 'BMP280', environment: staticEnvironment(ROOM_B) });
  bus.attach(0x76, options.wrapA ? options.wrapA(simA) : simA);
  bus.attach(0x77, simB);
  const rate = options.failureRate ?? 0;
  const random = seededRandom(options.seed ?? 42);
  bus.failWhen((address) => (address === 0x76 && random() < rate ? 'EIO' : undefined));
  const logger = memoryLogger();
  const make = (name: string, address: number, overrides: SettingsOverrides): { sampler: Sampler; batches: Sample[] } => {
    const batches: Sample[] = [];
    const sensor = new Bmp280(bus, clock, { address, settings: settings(overrides) });
    return { sampler: new Sampler(sensorConfig(name), sensor, clock, (r) => batches.push(r), logger), batches };
  };
  const a = make('a', 0x76, options.overridesA ?? { filter: 'x4' });
  const b = make('b', 0x77, {});
  const scheduler = new Scheduler(clock);
  scheduler.start(a.sampler);
  scheduler.start(b.sampler);
  return { clock, bus, simA, simB, a, b, scheduler, logger };
}

function values(batches: Sample[], quantity: Quantity): number[] {
  return batches.flatMap((sample) => sample.readings.filter((r) => r.quantity === quantity).map((r) => r.value));
}

function assertAllNear(batches: Sample[], room: typeof ROOM_A, humidity: boolean): void {
  for (const batch of batches) {
    const got = (q: Quantity): number | undefined => batch.readings.find((r) => r.quantity === q)?.value;
    assert.ok(Math.abs(got('temperature')! - room.temperatureC) < 0.02, `temperature ${got('temperature')}`);
    assert.ok(Math.abs(got('pressure')! - room.pressurePa) < 2, `pressure ${got('pressure')}`);
    if (humidity) assert.ok(Math.abs(got('humidity')! - room.humidityPct) < 0.1, `humidity ${got('humidity')} (every sample has it)`);
    else assert.equal(got('humidity'), undefined);
  }
}

/** The longest run of ticks between two published samples (in ticks of `intervalMs`). */
function longestGap(batches: Sample[], intervalMs: number): number {
  const ts = batches.map((b) => b.ts);
  return Math.max(...ts.slice(1).map((t, i) => Math.round((t - ts[i]!) / intervalMs)));
}

describe('Sensor faults on a shared simulated bus (manual clock)', () => {
  it('20 % of the first chip’s transactions fail: no bad value, readings keep coming, the other chip never notices', async () => {
    const rig = twoSensors({ failureRate: 0.2 });
    await rig.clock.advance(30_000);
    await drive(rig.clock, rig.scheduler.stop());
    const ticks = rig.scheduler.stats('a')?.runs ?? 0;
    const { a, b } = rig;
    assert.ok(ticks >= 299, `ticks run: ${ticks}`);

    assert.ok(a.sampler.stats.retries > 50, `faults were injected and retried: ${JSON.stringify(a.sampler.stats)}`);
    assert.ok(a.sampler.stats.samples >= ticks * 0.75, `most ticks still give a sample: ${a.sampler.stats.samples} of ${ticks}`);
    assert.equal(a.sampler.stats.samples, a.batches.length);
    assert.ok(longestGap(a.batches, 100) <= 10, `longest gap ${longestGap(a.batches, 100)} ticks`);
    assertAllNear(a.batches, ROOM_A, true);

    assert.equal(b.batches.length, rig.scheduler.stats('b')?.runs, 'one sample per tick at 0x77');
    assert.deepEqual([b.sampler.stats.errors, b.sampler.stats.retries, b.sampler.stats.reinits, b.sampler.stats.rejected], [0, 0, 0, 0]);
    assertAllNear(b.batches, ROOM_B, false);
    assert.equal(new Set(values(b.batches, 'pressure')).size, 1, 'the same value every tick');
    assert.equal(rig.scheduler.stats('a')?.failures, 0, 'nothing escaped the sampler');
  });

  it('a chip that stops answering altogether (every transaction NACKed) does not slow the other down', async () => {
    const rig = twoSensors({ failureRate: 1 });
    await rig.clock.advance(10_000);
    await drive(rig.clock, rig.scheduler.stop());
    assert.equal(rig.a.batches.length, 0);
    assert.ok(rig.a.sampler.stats.errors >= 99, JSON.stringify(rig.a.sampler.stats));
    assert.equal(rig.b.batches.length, rig.scheduler.stats('b')?.runs);
    assert.equal(rig.scheduler.stats('b')?.skipped, 0, 'no tick of the healthy sensor was skipped');
    assert.equal(rig.logger.lines.filter((l) => l.startsWith('WARN') && l.includes('initialisation failed')).length, 1, 'logged once, not every tick');
  });

  it('recovers from a power cycle behind its back under faults: humidity comes back, the filter is restored', async () => {
    const rig = twoSensors({ failureRate: 0.2, seed: 7 });
    await rig.clock.advance(10_000);
    const before = rig.a.batches.length;
    rig.simA.powerCycle();
    await rig.clock.advance(10_000);
    await drive(rig.clock, rig.scheduler.stop());
    const stats = rig.a.sampler.stats;
    assert.ok(stats.resets >= 1, JSON.stringify(stats));
    assert.ok(stats.reinits >= 1, JSON.stringify(stats));
    assert.ok(rig.a.batches.length - before >= 70, `samples after the power cycle: ${rig.a.batches.length - before}`);
    assertAllNear(rig.a.batches, ROOM_A, true); // never a batch without humidity
    assert.equal((rig.simA.peek(0xf5) >> 2) & 0x07, 2, 'filter x4 written again');
    assert.equal(rig.simA.peek(0xf2), 1, 'ctrl_hum written again');
    const resetWarnings = rig.logger.lines.filter((l) => l.startsWith('WARN') && l.includes('reset behind our back')).length;
    assert.ok(resetWarnings >= 1 && resetWarnings <= stats.resets, `${resetWarnings} warnings for ${stats.resets} resets`);
    assert.equal(rig.b.batches.length, rig.scheduler.stats('b')?.runs);
  });

  for (const [mode, overridesA] of [
    ['forced', { filter: 'x4' }],
    ['normal', { mode: 'normal', standbyMs: 62.5, filter: 'x4' }],
  ] as const) {
    it(`without other faults a power cycle costs exactly one sample (${mode} mode)`, async () => {
      const rig = twoSensors({ overridesA });
      await rig.clock.advance(1_000);
      rig.simA.powerCycle();
      await rig.clock.advance(1_000);
      await drive(rig.clock, rig.scheduler.stop());
      const stats = rig.a.sampler.stats;
      assert.deepEqual([stats.resets, stats.reinits, stats.errors, stats.retries], [1, 1, 1, 0], JSON.stringify(stats));
      assert.equal(rig.a.batches.length, (rig.scheduler.stats('a')?.runs ?? 0) - 1, 'the tick that noticed, and no other');
      assertAllNear(rig.a.batches, ROOM_A, true);
      assert.match(rig.logger.lines.find((l) => l.includes('reset behind our back'))!, /sensor=a .*ctrl_hum 0x00, expected 0x01/);
    });
  }

  it('corrupted data bytes (a floating SDA reads 0xFF) are rejected, never published', async () => {
    const random = seededRandom(3);
    let corrupted = 0;
    const wrapA = (sim: Bmp280Simulator): I2cDevice => ({
      transfer(write, readLength) {
        const out = sim.transfer(write, readLength);
        // the BME280 read burst starts at 0xF2; bytes 5… are press, temp, hum
        if (write[0] === 0xf2 && readLength === 13 && random() < 0.3) {
          corrupted++;
          out.fill(0xff, 5);
        }
        return out;
      },
    });
    const rig = twoSensors({ wrapA });
    await rig.clock.advance(10_000);
    await drive(rig.clock, rig.scheduler.stop());
    assert.ok(corrupted > 10, `corrupted bursts: ${corrupted}`);
    assert.equal(rig.a.sampler.stats.rejected, corrupted);
    assert.equal(rig.a.batches.length + corrupted, rig.scheduler.stats('a')?.runs);
    assertAllNear(rig.a.batches, ROOM_A, true);
  });

  it('faults can be aimed at one chip by wrapping it (FaultyDevice, what simulation.faultRate uses)', async () => {
    const rig = twoSensors({ wrapA: (sim) => new FaultyDevice(sim, 0x76, 0.2, 5) });
    await rig.clock.advance(10_000);
    await drive(rig.clock, rig.scheduler.stop());
    assert.ok(rig.a.sampler.stats.retries > 10, JSON.stringify(rig.a.sampler.stats));
    assert.ok(rig.a.batches.length >= 75);
    assertAllNear(rig.a.batches, ROOM_A, true);
    assert.equal(rig.b.sampler.stats.retries, 0);
  });
});

/**
 * The fault campaign's case (issue #13 item 5): three chips sharing an interval, two of them losing
 * 10 % and 20 % of their transactions. Real drivers and simulators from a validated config, the
 * real SampleGroup and Scheduler, three minutes on a manual clock. Seeds: SAMPLING_SEED.
 */
describe('Three chips on one interval, two of them flaky', () => {
  const seed = Number(process.env.SAMPLING_SEED ?? 13);
  const INTERVAL_MS = 50;
  const MINUTES = 3;

  async function campaign() {
    console.log(`three chips on one interval: SAMPLING_SEED=${seed}`);
    const topic = { topic: 'sensors/{deviceId}/{sensor}/{measurement}' };
    const entry = (name: string, driver: string, address: string): object => ({
      name, driver, address, intervalMs: INTERVAL_MS,
      settings: driver === 'mpl3115a2' ? { oversampling: 'x1' } : {},
      simulation: { scenario: 'static' },
      measurements: { temperature: topic, pressure: topic, altitude: topic, humidity: { enabled: false } },
    });
    const config = loadConfig({
      text: JSON.stringify({ deviceId: 'bench01', i2c: { simulated: true }, sensors: [entry('healthy', 'bmp388', '0x77'), entry('flaky10', 'bmp280', '0x76'), entry('flaky20', 'mpl3115a2', '0x60')] }),
      env: {},
    });
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus();
    const rates = [0, 0.1, 0.2];
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', now: () => clock.wallNow(), sink: { write: (line) => lines.push(line.trimEnd()) } });
    const batches: Sample[][] = [];
    const group = new SampleGroup(INTERVAL_MS, (samples) => batches.push(samples));
    const samplers: Sampler[] = [];
    for (const [i, sensorConfig] of config.sensors.entries()) {
      const chip = await simulateSensor(clock, sensorConfig);
      bus.attach(sensorConfig.address, rates[i]! > 0 ? new FaultyDevice(chip, sensorConfig.address, rates[i]!, seed + i) : chip);
      const sampler = new Sampler(sensorConfig, await createSensor(bus, clock, sensorConfig), clock, group.collect, logger.child('sensor'));
      await drive(clock, sampler.init()).catch(() => undefined); // as the agent does; a flaky chip may need its ticks
      group.add(sampler);
      samplers.push(sampler);
    }
    const startedAt = clock.now();
    const fromLine = lines.length;
    const errorsBefore = samplers.map((s) => s.stats.errors); // a failed start, before any tick
    const scheduler = new Scheduler(clock);
    scheduler.start(group);
    await clock.advance(MINUTES * 60_000 - 1);
    await drive(clock, scheduler.stop());
    return { clock, samplers, batches, lines: lines.slice(fromLine), ticks: scheduler.stats(group.name)!, startedAt, errorsBefore };
  }

  it('the healthy chip misses no tick; each sensor’s skipped ticks are on health; warnings are rate-limited with a count', async () => {
    const { samplers, batches, lines, ticks, startedAt, clock, errorsBefore } = await campaign();
    const [healthy, flaky10, flaky20] = samplers as [Sampler, Sampler, Sampler];
    assert.equal(ticks.runs, MINUTES * 60_000 / INTERVAL_MS, 'every tick of three minutes ran');
    assert.equal(ticks.skipped, 0, 'the group never skips a tick');

    // The healthy chip: a sample on every tick, stamped with that tick's time.
    assert.deepEqual([healthy.stats.samples, healthy.stats.skipped, healthy.stats.errors, healthy.stats.retries], [ticks.runs, 0, 0, 0]);
    const healthyTs = batches.flat().filter((s) => s.sensor === 'healthy' && s.readings.some((r) => r.quantity === 'temperature')).map((s) => s.ts);
    const wallStart = clock.wallNow() - clock.now() + startedAt;
    assert.deepEqual(healthyTs, Array.from({ length: ticks.runs }, (_, k) => wallStart + k * INTERVAL_MS));

    // The flaky ones were retried, and their slow reads cost their own ticks, counted.
    for (const s of [flaky10, flaky20]) {
      assert.ok(s.stats.retries > 100 && s.stats.errors > 100, `${s.name} was flaky: ${JSON.stringify(s.stats)}`);
      assert.ok(s.stats.skipped > 0, `${s.name} had reads outlast their tick: ${JSON.stringify(s.stats)}`);
    }
    // Every tick of every sensor is accounted for exactly once.
    samplers.forEach((s, i) => {
      const { samples, errors, rejected, skipped } = s.stats;
      assert.equal(samples + (errors - errorsBefore[i]!) + rejected + skipped, ticks.runs, `${s.name}: ${JSON.stringify(s.stats)}`);
    });
    // One submission per tick, plus at most one for each read that outlived its tick.
    assert.ok(batches.length <= ticks.runs + flaky10.stats.skipped + flaky20.stats.skipped, `${batches.length} submissions`);

    const health = healthReport({
      deviceId: 'bench01', startedAt, now: clock.now(), wallNow: clock.wallNow(), connected: true, reconnects: 0, outbox: undefined, lastError: '',
      sensors: samplers,
    });
    assert.deepEqual(Object.fromEntries(Object.entries(health.sensors).map(([name, h]) => [name, h.skipped])), { healthy: 0, flaky10: flaky10.stats.skipped, flaky20: flaky20.stats.skipped });

    // Warnings: one line per sensor and cause a minute at most, the held-back ones counted on it.
    const warn = lines.filter((l) => / WARN /.test(l));
    assert.ok(warn.length <= 2 * 6 * MINUTES, `${warn.length} WARN lines in ${MINUTES} minutes:\n${warn.join('\n')}`);
    const parsed = lines.map((l) => {
      const m = /^(\S+) (\w+)\s+\[sensor\] (.+?) sensor=(\w+)/.exec(l);
      assert.ok(m, l);
      return { at: Date.parse(m[1]!), level: m[2]!, message: m[3]!, sensor: m[4]!, suppressed: Number(/ suppressed=(\d+)/.exec(l)?.[1] ?? 0) };
    });
    let heldBackSeen = 0;
    for (const key of new Set(parsed.filter((p) => p.level === 'WARN').map((p) => `${p.sensor}|${p.message}`))) {
      const [sensor, message] = key.split('|');
      const same = parsed.filter((p) => p.sensor === sensor && p.message === message);
      const written = same.filter((p) => p.level === 'WARN');
      for (let i = 1; i < written.length; i++) assert.ok(written[i]!.at - written[i - 1]!.at >= REPEAT_LOG_INTERVAL_MS, `${key}: lines ${written[i - 1]!.at} and ${written[i]!.at}`);
      // The count on each line is exactly the DEBUG lines held back since the one before it.
      let held = 0;
      for (const p of same) {
        if (p.level === 'DEBUG') held++;
        else {
          assert.equal(p.suppressed, held, `${key} at ${p.at}`);
          heldBackSeen += held;
          held = 0;
        }
      }
    }
    assert.ok(heldBackSeen > 50, `many repeats were held back, and counted: ${heldBackSeen}`);
    const skipWarnings = parsed.filter((p) => p.message.includes('still running at its next tick'));
    assert.equal(skipWarnings.length, flaky10.stats.skipped + flaky20.stats.skipped, 'every skipped tick is a line, WARN or DEBUG');
    assert.equal(skipWarnings.filter((p) => p.sensor === 'healthy').length, 0);
  });
});

describe('fault settings in the configuration', () => {
  const entry = (extra: object): string => JSON.stringify({
    deviceId: 'drone01',
    sensors: [{ name: 'altimeter', ...extra }],
  });

  it('defaults to 3 attempts and a re-init after 3 failed samples; no simulated faults', () => {
    const config = loadConfig({ text: entry({}), env: {} });
    assert.deepEqual(config.sensors[0]!.faults, { readAttempts: 3, reinitAfter: 3 });
    assert.equal(config.sensors[0]!.simulation.faultRate, 0);
  });

  it('lists every bad fault setting with its path and a hint', () => {
    const problems = validateConfigText(entry({ faults: { readAttempts: 0, reinitAfter: 'often' }, simulation: { faultRate: 1.5 } }));
    assert.deepEqual(problems.map((p) => p.path), ['sensors[0].faults.readAttempts', 'sensors[0].faults.reinitAfter', 'sensors[0].simulation.faultRate']);
    assert.match(problems[0]!.hint, /1 means no retry/);
    assert.match(problems[2]!.hint, /share of transactions that fail/);
  });
});
