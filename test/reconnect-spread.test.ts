/**
 * Issue 16 item 4: a fleet that lost its broker at once must not come back at once. 200 boards'
 * reconnect schedules are simulated with the session's own backoff (`backoffMs`, counting attempts
 * since the last stable connection as MqttSession does) and the configuration's shipped defaults,
 * against a broker that is down for a while: every board lost its connection at t = 0 (a broker
 * restart closes them all in the same instant), each attempt before the broker returns is refused at
 * once, and the first attempt after it succeeds. The seed is printed; FUZZ_SEED replays it.
 * The same fleet with real processes and a real Mosquitto: `npm run bench` (bench/reconnect-spread.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../agent/config/load-config.js';
import { backoffMs, STABLE_CONNECTION_MS, type ReconnectPolicy } from '../agent/mqtt/session.js';
import { fuzzRandom } from './helpers/fuzz-seed.js';

const FLEET = 200;

/** When each board of the fleet is connected again (ms after the connections were lost). */
function reconnectTimes(policy: ReconnectPolicy, downMs: number, random: () => number): number[] {
  const times: number[] = [];
  for (let board = 0; board < FLEET; board++) {
    // Every board had been connected for longer than STABLE_CONNECTION_MS: its count starts at 0.
    let attempts = 0;
    let t = 0;
    for (;;) {
      t += backoffMs(attempts++, policy, random);
      if (t >= downMs) break;
    }
    times.push(t);
  }
  return times;
}

/** The most reconnects in one bin of `binMs`, bins counted from the broker's return. */
function largestBin(times: readonly number[], downMs: number, binMs: number): number {
  const bins = new Map<number, number>();
  for (const t of times) {
    const bin = Math.floor((t - downMs) / binMs);
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
  }
  return Math.max(...bins.values());
}

/** The most reconnects in any window of `windowMs` (sliding, not fixed bins: a storm split by a bin edge still counts). */
function largestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

function quantile(times: readonly number[], q: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The shipped defaults, as the loader gives them to a board that sets none of the reconnect keys. */
function defaults(): ReconnectPolicy {
  const config = loadConfig({ text: JSON.stringify({ deviceId: 'fleet-0001', role: 'subscriber', subscriptions: [{ topic: 'sensors/+/altitude', qos: 1 }] }), env: {} });
  return config.mqtt;
}

/** The schedule before issue 16 ("equal jitter"): full jitter whose random draw never falls below half its window. */
function equalJitter(random: () => number): () => number {
  return () => 0.5 + random() / 2;
}

describe('reconnect spread of a simulated fleet of 200 (the session\'s own backoff, shipped defaults)', () => {
  const policy = defaults();

  it('the defaults are the ones documented: a 10 s spread window, 1 s base, 60 s cap, stable after 10 s', () => {
    assert.deepEqual([policy.reconnectSpreadMs, policy.reconnectPeriodMs, policy.reconnectMaxMs], [10_000, 1000, 60_000]);
    assert.equal(STABLE_CONNECTION_MS, 10_000);
  });

  for (const downS of [10, 30]) {
    it(`after an outage of ${downS} s, no second sees more than 15 % of the fleet, and every board is back within reconnectMaxMs`, () => {
      const { random } = fuzzRandom(`fleet reconnect, broker down ${downS} s`);
      const downMs = downS * 1000;
      const times = reconnectTimes(policy, downMs, random);
      const largest = largestBin(times, downMs, 1000);
      const p50 = (quantile(times, 0.5) - downMs) / 1000;
      const p95 = (quantile(times, 0.95) - downMs) / 1000;
      process.stdout.write(`broker down ${downS} s: largest 1 s bin ${largest} of ${FLEET}; back 50 % ${p50.toFixed(1)} s, 95 % ${p95.toFixed(1)} s after its return\n`);
      assert.ok(largest <= 0.15 * FLEET, `${largest} of ${FLEET} boards reconnected within one second`);
      assert.ok(Math.max(...times) <= downMs + policy.reconnectMaxMs, 'each board is back within one full window of the broker\'s return');
    });
  }

  it('after a 0.2 s blip the fleet does not return within one half second: at most 15 % in any 0.5 s', () => {
    const { random } = fuzzRandom('fleet reconnect, broker down 0.2 s');
    const times = reconnectTimes(policy, 200, random);
    const largest = largestBin(times, 200, 500);
    assert.ok(largest <= 0.15 * FLEET, `${largest} of ${FLEET} boards reconnected within 0.5 s`);
    // A lone board's cost: on average half the spread window (the docs say so).
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    assert.ok(mean > 0.35 * policy.reconnectSpreadMs && mean < 0.65 * policy.reconnectSpreadMs, `mean wait ${mean.toFixed(0)} ms`);
  });

  it('the simulation sees a storm where there was one: equal jitter from a 1 s base brings the fleet back at once (issue 16)', () => {
    const { random } = fuzzRandom('fleet reconnect, equal jitter');
    const old = { ...policy, reconnectSpreadMs: 0 };
    const blip = reconnectTimes(old, 200, equalJitter(random));
    assert.ok(largestWindow(blip, 500) > 0.5 * FLEET, 'after a blip, most of the fleet within 0.5 s');
    const outage = reconnectTimes(old, 10_000, equalJitter(random));
    assert.ok(largestWindow(outage, 1000) > 0.15 * FLEET, 'after 10 s, more than 15 % in one second');
    // The new schedule, judged by the same sliding windows, stays spread.
    assert.ok(largestWindow(reconnectTimes(policy, 200, random), 500) <= 0.15 * FLEET, 'full jitter: no 0.5 s holds more than 15 % after a blip');
  });

});
