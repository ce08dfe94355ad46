/**
 * Which known chips answer on a bus. Safe for a real bus: it only reads ID registers at the
 * addresses where the chips in PROBE_TABLE can be, never writes. A new chip family is one entry.
 */
import { I2cError, readRegister, type I2cBus } from './i2c/i2c-bus.js';

export interface ProbeResult {
  address: number;
  /** Chip name, or 'unknown' if something answered with an ID we do not know. */
  chip: string;
  /** The ID register's value. */
  id: number;
  /** Whether a driver for this chip exists. */
  supported: boolean;
}

export interface ProbeTarget {
  /** Family name for messages. */
  family: string;
  addresses: readonly number[];
  idRegister: number;
  ids: Readonly<Record<number, { chip: string; supported: boolean }>>;
}

export const PROBE_TABLE: readonly ProbeTarget[] = [
  {
    // Bosch pressure sensors: ID register 0xD0 (BMP280 4.3.1, BME280 5.4.1, BMP180 5.4).
    family: 'Bosch BMx280 / BMP180',
    addresses: [0x76, 0x77],
    idRegister: 0xd0,
    ids: {
      0x58: { chip: 'BMP280', supported: true },
      0x56: { chip: 'BMP280', supported: true },
      0x57: { chip: 'BMP280', supported: true },
      0x60: { chip: 'BME280', supported: true },
      0x55: { chip: 'BMP180', supported: false },
    },
  },
];

/** Codes with which Linux adapters report that no device acknowledged its address. */
const NOTHING_THERE = new Set(['EREMOTEIO', 'ENXIO']);

export async function probe(bus: I2cBus, table: readonly ProbeTarget[] = PROBE_TABLE): Promise<ProbeResult[]> {
  const found: ProbeResult[] = [];
  const seen = new Set<number>();
  for (const target of table) {
    for (const address of target.addresses) {
      if (seen.has(address)) continue;
      let id: number;
      try {
        id = await readRegister(bus, address, target.idRegister);
      } catch (error) {
        if (error instanceof I2cError && NOTHING_THERE.has(error.code)) continue;
        throw error;
      }
      seen.add(address);
      const known = target.ids[id];
      found.push({ address, chip: known?.chip ?? 'unknown', id, supported: known?.supported ?? false });
    }
  }
  return found;
}
