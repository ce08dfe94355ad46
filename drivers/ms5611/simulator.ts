/**
 * A command-level MS5611, following the datasheet rather than the driver: reset (PROM reload,
 * 2.8 ms, during which PROM reads return 0), PROM reads, convert D1/D2 with the OSR's typical
 * conversion time, and the ADC read with the datasheet's traps: it returns 0 if no conversion was
 * started or if it is repeated; a read during a conversion returns 0 and corrupts that conversion;
 * a convert command during a conversion also gives a wrong result.
 * Time comes from the injected Clock; nothing here sleeps.
 */
import type { Clock } from '../clock.js';
import { DEFAULT_ENVIRONMENT, type Environment } from '../environment.js';
import type { I2cDevice } from '../i2c/simulated-bus.js';
import * as C from './commands.js';
import { d1ForPressure, d2ForTemperature, EXAMPLE_PROM, type Prom } from './compensation.js';

export interface Ms5611SimulatorOptions {
  /** PROM words C0…C7 (default: the datasheet example with a valid CRC). */
  prom?: Prom;
  environment?: Environment;
}

interface Conversion {
  channel: 'D1' | 'D2';
  end: number;
  corrupted: boolean;
}

/** What a corrupted conversion yields: a value, but a wrong one. */
const CORRUPT = 0x123456;

export class Ms5611Simulator implements I2cDevice {
  environment: Environment;
  /** Fault: the next PROM reads return these words instead. */
  prom: number[];

  private readonly clock: Clock;
  private reloadUntil = -Infinity;
  private conversion: Conversion | undefined;
  private result: number | undefined;
  private completed = 0;

  constructor(clock: Clock, options: Ms5611SimulatorOptions = {}) {
    this.clock = clock;
    this.prom = [...(options.prom ?? EXAMPLE_PROM)];
    this.environment = options.environment ?? DEFAULT_ENVIRONMENT;
  }

  get conversions(): number {
    this.update(this.clock.now());
    return this.completed;
  }

  transfer(write: Uint8Array, readLength: number): Buffer {
    const now = this.clock.now();
    this.update(now);
    const out = Buffer.alloc(readLength);
    if (write.length === 0) return out;
    const code = write[0]!;
    if (code === C.CMD_RESET) {
      this.reloadUntil = now + 2.8;
      this.conversion = undefined;
      this.result = undefined;
    } else if (code >= C.CMD_PROM_READ && code <= C.CMD_PROM_READ + 2 * (C.PROM_WORDS - 1) && code % 2 === 0) {
      if (now >= this.reloadUntil) out.writeUInt16BE(this.prom[(code - C.CMD_PROM_READ) / 2]!, 0);
    } else if (code === C.CMD_ADC_READ) {
      if (this.conversion) this.conversion.corrupted = true;
      else if (this.result !== undefined && readLength >= 3) out.writeUIntBE(this.result, 0, 3);
      this.result = undefined;
    } else {
      const convert = C.decodeConvert(code);
      if (convert) {
        const corrupted = this.conversion !== undefined;
        this.conversion = { channel: convert.channel, end: now + C.CONVERSION_TYPICAL_MS[convert.index]!, corrupted };
        this.result = undefined;
      }
    }
    return out.subarray(0, readLength);
  }

  private update(now: number): void {
    const c = this.conversion;
    if (!c || now < c.end) return;
    this.conversion = undefined;
    this.completed++;
    const env = this.environment(c.end);
    const d2 = d2ForTemperature(env.temperatureC, this.prom);
    this.result = c.corrupted ? CORRUPT : c.channel === 'D2' ? d2 : d1ForPressure(env.pressurePa, d2, this.prom);
  }
}
