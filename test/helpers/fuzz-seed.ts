/**
 * Seeds for randomised tests: a new one each run, printed, so a failure can be replayed exactly
 * with FUZZ_SEED=<n> npm test (or node --test dist/test/<file>.test.js).
 */
import { seededRandom } from '../../drivers/i2c/simulated-bus.js';

export function fuzzSeed(what: string): number {
  const fromEnv = Number(process.env.FUZZ_SEED);
  const seed = Number.isInteger(fromEnv) && process.env.FUZZ_SEED !== '' ? fromEnv : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`${what}: seed ${seed} (replay with FUZZ_SEED=${seed})\n`);
  return seed;
}

/** A seeded generator and the seed, printed. */
export function fuzzRandom(what: string): { seed: number; random: () => number } {
  const seed = fuzzSeed(what);
  return { seed, random: seededRandom(seed) };
}
