/**
 * A register-level BMP280 / BME280: what the driver talks to in tests and in `--simulate` runs.
 * It follows the datasheet rather than the driver: writes are (register, value) pairs (5.2.1),
 * reads auto-increment, a soft reset restores the defaults, forced conversions take the typical
 * time (3.8.1) with the `measuring` bit set, normal mode converts every t_meas + t_sb (3.6.3), data
 * registers are shadowed and read 0x80000 / 0x8000 when skipped, config writes are ignored
 * outside sleep mode (4.3.5), and the IIR filter (3.3.3) smooths temperature and pressure.
 * Time comes from the injected Clock; nothing here sleeps.
 */
import type { Clock } from '../clock.js';
import { DEFAULT_ENVIRONMENT, type Environment } from '../environment.js';
import { registerTransaction } from '../i2c/register-file.js';
import type { I2cDevice } from '../i2c/simulated-bus.js';
import {
  adcHForHumidity, adcPForPressure, adcTForTemperature, ADC20_MAX, encodeCalibration, EXAMPLE_CALIBRATION,
  tFine, withCalibrationWords, type Calibration,
} from './compensation.js';
import * as R from './registers.js';
import type { CalibrationWords } from './registers.js';
import { filterCoefficient, Mode, standbyMsFromCode, typicalMeasurementTimeMs } from './settings.js';

/** Raw ADC counts: adc_T and adc_P 20-bit, adc_H 16-bit. */
export interface RawAdc {
  adcT: number;
  adcP: number;
  adcH: number;
}

export interface Bmp280SimulatorOptions {
  chip?: R.Bmp280Chip;
  /** Overrides of single NVM words, e.g. { dig_T1: 27504 }; the rest are EXAMPLE_CALIBRATION's. */
  calibration?: CalibrationWords;
  /** What the chip senses; default 20 °C, 101325 Pa, 50 %. Ignored when `raw` is set. */
  environment?: Environment;
  /** ADC values returned exactly as given (no inversion, quantisation or filtering). */
  raw?: RawAdc;
  /** Fault: answer this chip ID instead of the chip's own. */
  chipId?: number;
  /** Fault: the measuring bit never clears and no conversion completes. */
  stuckMeasuring?: boolean;
}

interface Conversion {
  end: number;
  osrsT: number;
  osrsP: number;
  osrsH: number;
}

/** Missed normal-mode conversions replayed at most (enough for the IIR filter to settle). */
const MAX_CATCH_UP = 1000;

export class Bmp280Simulator implements I2cDevice {
  readonly chip: R.Bmp280Chip;
  readonly calibration: Calibration;
  chipId: number;
  stuckMeasuring: boolean;
  environment: Environment;
  raw: RawAdc | undefined;

  private readonly clock: Clock;
  private readonly nvm: { tp: Buffer; h1: Buffer; h: Buffer };
  private pointer = 0;
  private ctrlHum = 0;
  /** ctrl_hum as latched by the last ctrl_meas write (BME280 5.4.3). */
  private ctrlHumLatched = 0;
  private ctrlMeas = 0;
  private config = 0;
  /** The chip was powered long before the program started, unless reset or power-cycled since. */
  private imUpdateUntil = -Infinity;
  private forced: Conversion | undefined;
  private normalStart = 0;
  private normalDone = 0;
  private data: RawAdc = { adcT: R.SKIPPED_ADC_20, adcP: R.SKIPPED_ADC_20, adcH: R.SKIPPED_ADC_16 };
  private filtered: { t?: number; p?: number } = {};
  private completed = 0;

  constructor(clock: Clock, options: Bmp280SimulatorOptions = {}) {
    this.clock = clock;
    this.chip = options.chip ?? 'BMP280';
    const base: Calibration = this.chip === 'BME280' ? EXAMPLE_CALIBRATION : { ...EXAMPLE_CALIBRATION, humidity: undefined };
    const cal = withCalibrationWords(base, options.calibration ?? {});
    if (this.chip === 'BMP280') delete cal.humidity;
    this.calibration = cal;
    this.nvm = encodeCalibration(cal);
    this.chipId = options.chipId ?? (this.chip === 'BME280' ? R.CHIP_ID_BME280 : R.CHIP_ID_BMP280);
    this.stuckMeasuring = options.stuckMeasuring ?? false;
    this.environment = options.environment ?? DEFAULT_ENVIRONMENT;
    this.raw = options.raw;
  }

  /** Conversions completed since construction. */
  get conversions(): number {
    this.update(this.clock.now());
    return this.completed;
  }

  transfer(write: Uint8Array, readLength: number): Buffer {
    const now = this.clock.now();
    this.update(now);
    // I2C writes are register/value pairs, no auto-increment (5.2.1); a lone byte sets the pointer.
    // Bursts auto-increment; one transfer is one snapshot of the shadowed data registers (3.9).
    const t = registerTransaction(this.pointer, write, readLength, (r, v) => this.writeRegister(r, v, now), (r) => this.readRegister(r, now));
    this.pointer = t.pointer;
    return t.data;
  }

  /** Fault: power lost and restored behind the driver's back. Every register is back at its default. */
  powerCycle(): void {
    this.reset(this.clock.now());
  }

  /** A register's value as the driver would read it (no side effects beyond time catch-up). */
  peek(register: number): number {
    const now = this.clock.now();
    this.update(now);
    return this.readRegister(register, now);
  }

  private reset(now: number): void {
    this.ctrlHum = 0;
    this.ctrlHumLatched = 0;
    this.ctrlMeas = 0;
    this.config = 0;
    this.forced = undefined;
    this.data = { adcT: R.SKIPPED_ADC_20, adcP: R.SKIPPED_ADC_20, adcH: R.SKIPPED_ADC_16 };
    this.filtered = {};
    this.imUpdateUntil = now + R.START_UP_MS;
  }

  private get mode(): number {
    return this.ctrlMeas & R.CTRL_MEAS_MODE_MASK;
  }

  private writeRegister(register: number, value: number, now: number): void {
    switch (register) {
      case R.REG_RESET:
        if (value === R.RESET_COMMAND) this.reset(now);
        return;
      case R.REG_CTRL_HUM:
        if (this.chip === 'BME280') this.ctrlHum = value & R.CTRL_HUM_OSRS_H_MASK;
        return;
      case R.REG_CONFIG:
        // "Writes to the config register in normal mode may be ignored. In sleep mode writes are not ignored." (4.3.5)
        if (this.mode === Mode.Sleep) this.config = value & ~0x02;
        return;
      case R.REG_CTRL_MEAS:
        this.ctrlMeas = value;
        this.ctrlHumLatched = this.ctrlHum;
        this.forced = undefined;
        if (this.mode === Mode.Normal) {
          this.normalStart = now;
          this.normalDone = 0;
        } else if (this.mode !== Mode.Sleep) {
          const c = this.settingsNow();
          this.forced = { ...c, end: now + this.typicalMs(c) };
        }
        return;
      default:
        return; // read-only or reserved
    }
  }

  private readRegister(register: number, now: number): number {
    const copying = now < this.imUpdateUntil;
    if (register >= R.REG_CALIB_TP && register < R.REG_CALIB_TP + R.CALIB_TP_LENGTH) {
      return copying ? 0 : this.nvm.tp[register - R.REG_CALIB_TP]!;
    }
    const bme = this.chip === 'BME280';
    if (bme && register === R.REG_CALIB_H1) return copying ? 0 : this.nvm.h1[0]!;
    if (bme && register >= R.REG_CALIB_H2 && register < R.REG_CALIB_H2 + R.CALIB_H_LENGTH) {
      return copying ? 0 : this.nvm.h[register - R.REG_CALIB_H2]!;
    }
    const d = this.data;
    switch (register) {
      case R.REG_CHIP_ID: return this.chipId;
      case R.REG_CTRL_HUM: return bme ? this.ctrlHum : 0;
      case R.REG_STATUS: return (this.measuring(now) ? R.STATUS_MEASURING : 0) | (copying ? R.STATUS_IM_UPDATE : 0);
      case R.REG_CTRL_MEAS: return this.ctrlMeas;
      case R.REG_CONFIG: return this.config;
      case R.REG_PRESS_MSB: return d.adcP >> 12;
      case R.REG_PRESS_MSB + 1: return (d.adcP >> 4) & 0xff;
      case R.REG_PRESS_MSB + 2: return (d.adcP & 0x0f) << 4;
      case R.REG_TEMP_MSB: return d.adcT >> 12;
      case R.REG_TEMP_MSB + 1: return (d.adcT >> 4) & 0xff;
      case R.REG_TEMP_MSB + 2: return (d.adcT & 0x0f) << 4;
      case R.REG_HUM_MSB: return bme ? d.adcH >> 8 : 0;
      case R.REG_HUM_MSB + 1: return bme ? d.adcH & 0xff : 0;
      default: return 0;
    }
  }

  private settingsNow(): Omit<Conversion, 'end'> {
    return {
      osrsT: (this.ctrlMeas >> R.CTRL_MEAS_OSRS_T_SHIFT) & R.FIELD3_MASK,
      osrsP: (this.ctrlMeas >> R.CTRL_MEAS_OSRS_P_SHIFT) & R.FIELD3_MASK,
      osrsH: this.chip === 'BME280' ? this.ctrlHumLatched : 0,
    };
  }

  private typicalMs(c: Omit<Conversion, 'end'>): number {
    return typicalMeasurementTimeMs(c.osrsT, c.osrsP, c.osrsH);
  }

  private normalPeriodMs(): number {
    return this.typicalMs(this.settingsNow()) + standbyMsFromCode(this.chip, this.config >> R.CONFIG_T_SB_SHIFT);
  }

  private measuring(now: number): boolean {
    if (this.stuckMeasuring) return true;
    if (this.forced) return now < this.forced.end;
    if (this.mode !== Mode.Normal) return false;
    return (now - this.normalStart) % this.normalPeriodMs() < this.typicalMs(this.settingsNow());
  }

  /** Complete whatever conversions have finished by `now`. */
  private update(now: number): void {
    if (this.stuckMeasuring) return;
    if (this.forced && now >= this.forced.end) {
      const c = this.forced;
      this.forced = undefined;
      this.convert(c, c.end);
      this.ctrlMeas &= ~R.CTRL_MEAS_MODE_MASK; // forced mode returns to sleep (3.6.2)
    }
    if (this.mode === Mode.Normal) {
      const c = this.settingsNow();
      const tMeas = this.typicalMs(c);
      const period = this.normalPeriodMs();
      const due = now >= this.normalStart + tMeas ? Math.floor((now - this.normalStart - tMeas) / period) + 1 : 0;
      for (let k = Math.max(this.normalDone, due - MAX_CATCH_UP); k < due; k++) {
        this.convert(c, this.normalStart + k * period + tMeas);
      }
      this.normalDone = due;
    }
  }

  private convert(c: Omit<Conversion, 'end'>, at: number): void {
    this.completed++;
    const next: RawAdc = { adcT: R.SKIPPED_ADC_20, adcP: R.SKIPPED_ADC_20, adcH: R.SKIPPED_ADC_16 };
    if (this.raw) {
      if (c.osrsT) next.adcT = this.raw.adcT;
      if (c.osrsP) next.adcP = this.raw.adcP;
      if (c.osrsH) next.adcH = this.raw.adcH;
      this.data = next;
      return;
    }
    const env = this.environment(at);
    const cal = this.calibration;
    // The counts as a real chip gives them, 0x80000 / 0x8000 included: on most calibrations adc_T
    // 0x80000 is room temperature, and the driver must take it as one.
    const adcT = adcTForTemperature(env.temperatureC, cal);
    const fine = tFine(adcT, cal);
    const coefficient = filterCoefficient(this.config >> R.CONFIG_FILTER_SHIFT);
    if (c.osrsT) next.adcT = this.filter('t', quantise(adcT, c.osrsT, coefficient), coefficient);
    if (c.osrsP) next.adcP = this.filter('p', quantise(adcPForPressure(env.pressurePa, fine, cal), c.osrsP, coefficient), coefficient);
    if (c.osrsH && cal.humidity) next.adcH = adcHForHumidity(env.humidityPct, fine, cal.humidity);
    this.data = next;
  }

  /** IIR: x = (x_prev·(c−1) + sample)/c (3.3.3), starting from the first sample. */
  private filter(which: 't' | 'p', sample: number, coefficient: number): number {
    const previous = this.filtered[which];
    const value = coefficient <= 1 || previous === undefined ? sample : (previous * (coefficient - 1) + sample) / coefficient;
    this.filtered[which] = value;
    return Math.min(ADC20_MAX, Math.round(value));
  }
}

/**
 * Without the filter the output has 16 + (osrs − 1) bits (3.3.2, table 4 / 5): ×1 gives steps of 16
 * counts, ×16 the full 20 bits. With the filter on, the resolution is 20 bits.
 */
function quantise(adc: number, osrs: number, coefficient: number): number {
  if (coefficient > 1) return adc;
  const step = 2 ** Math.max(0, 5 - Math.min(osrs, 5));
  return Math.min(ADC20_MAX - (step - 1), Math.round(adc / step) * step);
}
