/**
 * Which known chips answer on a bus. Safe for a real bus: it only reads (ID registers, or PROM words
 * for a chip without one), never writes a register. At each address the families that can live
 * there are asked in order and the first that recognises its chip wins; a new chip family is one
 * entry in PROBE_TABLE.
 */
import { I2cError, readRegister, type I2cBus } from './i2c/i2c-bus.js';
import { readProm } from './ms5611/ms5611.js';
import { promCrc4, promValid } from './ms5611/compensation.js';

export interface ProbeResult {
  address: number;
  /** Chip name, or 'unknown' if something answered that no family recognises. */
  chip: string;
  /** The ID register's value (for a chip without one: what identified it, e.g. the PROM CRC). */
  id: number;
  /** Whether a driver for this chip exists. */
  supported: boolean;
}

/** What one family saw at an address: the value it read, and its chip if it recognised one. */
export interface Identified {
  id: number;
  chip?: string;
  supported?: boolean;
}

export interface ProbeTarget {
  /** Family name for messages. */
  family: string;
  addresses: readonly number[];
  /** Read what identifies this family at `address`; `chip` is set when it is one of ours. NACKs propagate as I2cError. */
  identify(bus: I2cBus, address: number): Promise<Identified>;
}

/** A family told apart by the value of one ID register. */
export function byIdRegister(
  family: string,
  addresses: readonly number[],
  idRegister: number,
  ids: Readonly<Record<number, { chip: string; supported: boolean }>>,
): ProbeTarget {
  return {
    family,
    addresses,
    async identify(bus, address) {
      const id = await readRegister(bus, address, idRegister);
      return { id, ...ids[id] };
    },
  };
}

export const PROBE_TABLE: ProbeTarget[] = [
  // Bosch BMx280 / BMP180: ID register 0xD0 (BMP280 4.3.1, BME280 5.4.1, BMP180 5.4).
  byIdRegister('Bosch BMx280 / BMP180', [0x76, 0x77], 0xd0, {
    0x58: { chip: 'BMP280', supported: true },
    0x56: { chip: 'BMP280', supported: true },
    0x57: { chip: 'BMP280', supported: true },
    0x60: { chip: 'BME280', supported: true },
    0x55: { chip: 'BMP180', supported: true },
  }),
  // Bosch BMP3: CHIP_ID at 0x00. 0x60 is a BMP390 here but a BME280 at 0xD0: the register decides.
  byIdRegister('Bosch BMP388 / BMP390', [0x76, 0x77], 0x00, {
    0x50: { chip: 'BMP388', supported: true },
    0x60: { chip: 'BMP390', supported: true },
  }),
  // NXP MPL3115A2: WHO_AM_I at 0x0C (datasheet §7); 0x60 is also the older MPL115A2, which has none.
  byIdRegister('NXP MPL3115A2', [0x60], 0x0c, { 0xc4: { chip: 'MPL3115A2', supported: true } }),
  {
    // No ID register: eight PROM read commands (reads, no register is written) and a valid CRC-4.
    family: 'TE MS5611',
    addresses: [0x76, 0x77],
    async identify(bus, address) {
      const prom = await readProm(bus, address);
      return promValid(prom) ? { chip: 'MS5611', id: promCrc4(prom), supported: true } : { id: promCrc4(prom) };
    },
  },
];

/** Codes with which Linux adapters report that no device acknowledged its address. */
const NOTHING_THERE = new Set(['EREMOTEIO', 'ENXIO']);

export async function probe(bus: I2cBus, table: readonly ProbeTarget[] = PROBE_TABLE): Promise<ProbeResult[]> {
  const addresses = [...new Set(table.flatMap((t) => t.addresses))].sort((a, b) => a - b);
  const found: ProbeResult[] = [];
  for (const address of addresses) {
    // The first family's answer doubles as the presence check and the id of an 'unknown' chip.
    let first: Identified | undefined;
    let recognised: Identified | undefined;
    for (const target of table.filter((t) => t.addresses.includes(address))) {
      let seen: Identified;
      try {
        seen = await target.identify(bus, address);
      } catch (error) {
        if (error instanceof I2cError && NOTHING_THERE.has(error.code)) break;
        throw error;
      }
      first ??= seen;
      if (seen.chip !== undefined) {
        recognised = seen;
        break;
      }
    }
    if (recognised) found.push({ address, chip: recognised.chip!, id: recognised.id, supported: recognised.supported ?? false });
    else if (first) found.push({ address, chip: 'unknown', id: first.id, supported: false });
  }
  return found;
}
