/**
 * Which known chips answer on a bus. Safe for a real bus: it only reads (ID registers, or PROM words
 * for a chip without one), never writes a register. The questions come from the registry: at each
 * address, every ID register some driver's chips answer there is read once, in registry order, and
 * the chips without one are asked last (a definite ID before a guess from data); the first chip
 * recognised wins.
 */
import type { Identification } from './description.js';
import { I2cError, readRegister, type I2cBus } from './i2c/i2c-bus.js';
import { DRIVERS } from './registry.js';

export interface ProbeResult {
  address: number;
  /** Chip name, or 'unknown' if something answered that no driver recognises. */
  chip: string;
  /** The ID register's value (for a chip without one: what identified it, e.g. the PROM CRC). */
  id: number;
  /** Whether a driver for this chip exists. */
  supported: boolean;
}

/** What probe needs of a driver: where its chips answer and how they are recognised. */
export interface Probeable {
  name: string;
  addresses: readonly number[];
  identify: Identification;
}

/** One read at one address, and the chips it recognises. */
export interface ProbeQuestion {
  /** Drivers whose chips this question recognises. */
  drivers: string[];
  ask(bus: I2cBus, address: number): Promise<{ id: number; chip?: string }>;
}

/**
 * The questions asked at each address, in order. Drivers whose chips share an ID register share
 * its one read (the BMP280 and the BMP180 both answer at 0xD0); two drivers claiming the same ID in
 * the same register is a mistake in the registry, refused here.
 */
export function probePlan(drivers: readonly Probeable[] = DRIVERS): Map<number, ProbeQuestion[]> {
  const byRegister = new Map<number, Map<number, { ids: Map<number, string>; question: ProbeQuestion }>>();
  const reads = new Map<number, ProbeQuestion[]>();
  const plan = new Map<number, ProbeQuestion[]>();
  for (const driver of drivers) {
    for (const address of driver.addresses) {
      const identify = driver.identify;
      if ('read' in identify) {
        if (!reads.has(address)) reads.set(address, []);
        reads.get(address)!.push({ drivers: [driver.name], ask: (bus, at) => identify.read(bus, at) });
        continue;
      }
      if (!byRegister.has(address)) byRegister.set(address, new Map());
      const registers = byRegister.get(address)!;
      let entry = registers.get(identify.register);
      if (!entry) {
        const ids = new Map<number, string>();
        const question: ProbeQuestion = {
          drivers: [],
          async ask(bus, at) {
            const id = await readRegister(bus, at, identify.register);
            const chip = ids.get(id);
            return chip === undefined ? { id } : { id, chip };
          },
        };
        entry = { ids, question };
        registers.set(identify.register, entry);
        if (!plan.has(address)) plan.set(address, []);
        plan.get(address)!.push(question);
      }
      for (const [id, chip] of Object.entries(identify.ids)) {
        const other = entry.ids.get(Number(id));
        if (other !== undefined) throw new Error(`probe: ${driver.name} and ${entry.question.drivers.join(', ')} both claim ID 0x${Number(id).toString(16)} in register 0x${identify.register.toString(16)} (${chip} / ${other})`);
        entry.ids.set(Number(id), chip);
      }
      entry.question.drivers.push(driver.name);
    }
  }
  for (const [address, questions] of reads) {
    if (!plan.has(address)) plan.set(address, []);
    plan.get(address)!.push(...questions);
  }
  return new Map([...plan].sort(([a], [b]) => a - b));
}

/** Codes with which Linux adapters report that no device acknowledged its address. */
const NOTHING_THERE = new Set(['EREMOTEIO', 'ENXIO']);

export async function probe(bus: I2cBus, drivers: readonly Probeable[] = DRIVERS): Promise<ProbeResult[]> {
  const found: ProbeResult[] = [];
  for (const [address, questions] of probePlan(drivers)) {
    // The first answer doubles as the presence check and the id of an 'unknown' chip.
    let first: { id: number } | undefined;
    let recognised: { id: number; chip: string } | undefined;
    for (const question of questions) {
      let seen: { id: number; chip?: string };
      try {
        seen = await question.ask(bus, address);
      } catch (error) {
        if (error instanceof I2cError && NOTHING_THERE.has(error.code)) break;
        throw error;
      }
      first ??= seen;
      if (seen.chip !== undefined) {
        recognised = { id: seen.id, chip: seen.chip };
        break;
      }
    }
    if (recognised) found.push({ address, chip: recognised.chip, id: recognised.id, supported: true });
    else if (first) found.push({ address, chip: 'unknown', id: first.id, supported: false });
  }
  return found;
}
