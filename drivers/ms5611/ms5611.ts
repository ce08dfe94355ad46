/**
 * MS5611 driver over an I2cBus. The chip speaks commands, not registers: reset, read the PROM and
 * check its CRC-4 (there is no ID register, so a valid PROM is what identifies the chip), then per
 * reading convert D2 (temperature) and D1 (pressure), each time waiting the datasheet's maximum
 * conversion time before the ADC read: the datasheet's conversion sequence says an ADC read during
 * a conversion returns 0 and corrupts it, so polling with ADC reads is not an option.
 */
import { altitudeM } from '../barometric.js';
import type { Clock } from '../clock.js';
import { checkChipAddress, ConversionTimeoutError } from '../errors.js';
import { hex, I2cError, type I2cBus } from '../i2c/i2c-bus.js';
import type { Measurement, OperatingRange, Quantity, Sensor } from '../sensor.js';
import * as C from './commands.js';
import { compensate, promCrc4, promValid, type Prom } from './compensation.js';
import type { Ms5611Settings } from './description.js';

const FAMILY = 'MS5611';

export interface Ms5611Options {
  address: number;
  settings: Ms5611Settings;
}

/** The PROM read back does not pass its CRC: not an MS5611, or a bad bus. */
export class PromCrcError extends Error {
  readonly address: number;
  constructor(address: number, prom: Prom) {
    super(`${FAMILY} at ${hex(address)}: PROM CRC-4 mismatch (computed ${hex(promCrc4(prom), 1)}, stored ${hex(prom[7]! & 0xf, 1)}; words ${prom.map((w) => hex(w, 4)).join(' ')}); check that an MS5611 is at this address (edge-agent probe) and the wiring (PS high for I2C, CSB not floating)`);
    this.name = 'PromCrcError';
    this.address = address;
  }
}

/** Read the 8 PROM words (also used by probe, which must not write anything else). */
export async function readProm(bus: I2cBus, address: number): Promise<number[]> {
  const words: number[] = [];
  for (let k = 0; k < C.PROM_WORDS; k++) words.push((await command(bus, address, C.CMD_PROM_READ + 2 * k, 2)).readUInt16BE(0));
  return words;
}

async function command(bus: I2cBus, address: number, code: number, readLength: number): Promise<Buffer> {
  const data = await bus.transfer(address, Uint8Array.of(code), readLength);
  if (data.length !== readLength) throw new I2cError(`short read at ${hex(address)} after command ${hex(code)}: ${data.length} of ${readLength} bytes`, 'EIO', address);
  return data;
}

/** MS5611 operating range: 10–1200 mbar, −40…+85 °C (datasheet, operating conditions). */
export const MS5611_OPERATING_RANGE: OperatingRange = { pressure: { min: 1000, max: 120000 }, temperature: { min: -40, max: 85 } };

export class Ms5611 implements Sensor {
  readonly operatingRange = MS5611_OPERATING_RANGE;
  readonly quantities: readonly Quantity[] = ['temperature', 'pressure', 'altitude'];
  private readonly bus: I2cBus;
  private readonly clock: Clock;
  private readonly address: number;
  private readonly settings: Ms5611Settings;
  private prom: Prom | undefined;
  private osr = 0;

  constructor(bus: I2cBus, clock: Clock, options: Ms5611Options) {
    this.bus = bus;
    this.clock = clock;
    this.address = options.address;
    this.settings = options.settings;
  }

  get model(): string {
    return FAMILY;
  }

  async init(): Promise<void> {
    checkChipAddress(FAMILY, this.address, C.ADDRESSES, 'the chip answers only at 0x77 (CSB to GND) or 0x76 (CSB to VDD)');
    this.prom = undefined;
    this.osr = C.osrIndex(this.settings.osr);
    // Reset once after power-up so the PROM is loaded into the internal register (datasheet).
    await command(this.bus, this.address, C.CMD_RESET, 0);
    await this.clock.sleep(C.RESET_MS);
    const prom = await readProm(this.bus, this.address);
    if (!promValid(prom)) throw new PromCrcError(this.address, prom);
    this.prom = prom;
  }

  async read(): Promise<Measurement[]> {
    const prom = this.prom;
    if (!prom) throw new Error(`${FAMILY} at ${hex(this.address)}: call init() first`);
    const d2 = await this.convert(C.CMD_CONVERT_D2, 'D2 (temperature)');
    const d1 = await this.convert(C.CMD_CONVERT_D1, 'D1 (pressure)');
    const { TEMP, P } = compensate(d1, d2, prom);
    const pressure = Number(P);
    return [
      { quantity: 'temperature', value: Number(TEMP) / 100 },
      { quantity: 'pressure', value: pressure },
      { quantity: 'altitude', value: altitudeM(pressure, this.settings.seaLevelPa) },
    ];
  }

  /** The chip idles between conversions; there is no sleep command. */
  async halt(): Promise<void> {}

  private async convert(base: number, what: string): Promise<number> {
    await command(this.bus, this.address, base + 2 * this.osr, 0);
    const waitMs = Math.ceil(C.CONVERSION_MAX_MS[this.osr]!);
    await this.clock.sleep(waitMs);
    const raw = (await command(this.bus, this.address, C.CMD_ADC_READ, C.ADC_LENGTH)).readUIntBE(0, 3);
    // 0 means "no conversion result": unfinished, never started (a reset in between) or read twice.
    // Unlike the BMP280's "skipped" codes it is never a real result: with the datasheet's example
    // PROM, D2 = 0 compensates to −611 °C and D1 = 0 to a negative pressure (C5 and C6, which set
    // that offset, are near 2^15 on every chip), so the check costs no reading.
    if (raw === 0) throw new ConversionTimeoutError(FAMILY, this.address, `${what} result not ready (the ADC read returned 0)`, waitMs);
    return raw;
  }
}
