/**
 * BMP280 / BME280 driver over an I2cBus (datasheet BST-BMP280-DS001, BME280 BST-BME280-DS002).
 * The driver does not own the bus and does not own time: both are handed in. Bus errors propagate
 * as the bus's I2cError, untouched, so a retry policy above can look at `code`.
 */
import type { Clock } from '../clock.js';
import { hex, readRegister, readRegisters, writeRegister, type I2cBus } from '../i2c/i2c-bus.js';
import { SensorResetError, type Measurement, type OperatingRange, type Quantity, type Sensor } from '../sensor.js';
import { altitudeM } from '../barometric.js';
import { ConversionTimeoutError } from '../errors.js';
import { humidityPct, parseCalibration, pressurePa, temperatureC, tFine, type Calibration } from './compensation.js';
import * as R from './registers.js';
import {
  configValue, ctrlHumValue, ctrlMeasValue, maxMeasurementTimeMs, Mode, Oversampling, toRegisterSettings,
  type Bmp280Settings, type RegisterSettings,
} from './settings.js';

const SUPPORTED = 'BMP280 (ID 0x58, samples 0x56/0x57) and BME280 (ID 0x60)';
/** Status polls after the start-up time / the maximum conversion time, 1 ms apart. */
const IM_UPDATE_POLLS = 10;
const MEASURING_POLLS = 10;
const POLL_INTERVAL_MS = 1;

/**
 * BMP280 section 1 / table 1 (BME280 table 1): 300–1100 hPa, −40…+85 °C; humidity 0–100 %RH.
 * Altitude follows from pressure, so it is not checked on its own.
 */
export const BMP280_OPERATING_RANGE: OperatingRange = {
  temperature: { min: -40, max: 85 },
  pressure: { min: 30000, max: 110000 },
  humidity: { min: 0, max: 100 },
};

/** The chip at the address answered an ID this driver does not handle. */
export class UnsupportedChipError extends Error {
  readonly id: number;
  readonly address: number;

  constructor(id: number, address: number) {
    const what = id === R.CHIP_ID_BMP180
      ? `a BMP180/BMP085 (ID 0x55), which uses a different protocol: set "driver": "bmp180" for it`
      : `an unknown chip (ID ${hex(id)})`;
    super(`chip at ${hex(address)} reports ID ${hex(id)} in register 0xD0: ${what}; supported: ${SUPPORTED}`);
    this.name = 'UnsupportedChipError';
    this.id = id;
    this.address = address;
  }
}

/** A status bit that should have cleared did not (im_update after reset, measuring after a conversion). */
export class Bmp280TimeoutError extends ConversionTimeoutError {
  readonly chip: string;

  constructor(chip: string, address: number, what: string, waitedMs: number) {
    super(chip, address, what, waitedMs);
    this.name = 'Bmp280TimeoutError';
    this.chip = chip;
  }
}

export interface Bmp280Options {
  /** 0x76 (SDO to GND) or 0x77 (SDO to VDDIO). */
  address: number;
  settings: Bmp280Settings;
}

export class Bmp280 implements Sensor {
  readonly operatingRange = BMP280_OPERATING_RANGE;
  private readonly bus: I2cBus;
  private readonly clock: Clock;
  private readonly address: number;
  private readonly settings: Bmp280Settings;
  private detected: R.Bmp280Chip | undefined;
  private cal: Calibration | undefined;
  private registers: RegisterSettings | undefined;
  private measured: readonly Quantity[] = [];

  constructor(bus: I2cBus, clock: Clock, options: Bmp280Options) {
    this.bus = bus;
    this.clock = clock;
    this.address = options.address;
    this.settings = options.settings;
  }

  get model(): string {
    return this.detected ?? 'BMP280/BME280';
  }

  get quantities(): readonly Quantity[] {
    return this.measured;
  }

  /** The chip found by init(). */
  get chip(): R.Bmp280Chip {
    if (!this.detected) throw new Error(`BMP280/BME280 at ${hex(this.address)}: call init() first`);
    return this.detected;
  }

  /** The calibration words read by init() (section 3.11.2). */
  get calibration(): Calibration {
    if (!this.cal) throw new Error(`BMP280/BME280 at ${hex(this.address)}: call init() first`);
    return this.cal;
  }

  async init(): Promise<void> {
    const address = this.address;
    if (!R.ADDRESSES.includes(address)) {
      throw new RangeError(
        `BMP280/BME280 address ${Number.isInteger(address) ? hex(address) : String(address)} is not possible: the chip answers only at 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)`,
      );
    }
    this.detected = undefined;
    this.cal = undefined;
    this.measured = [];
    const id = await readRegister(this.bus, address, R.REG_CHIP_ID);
    const chip = R.chipFromId(id);
    if (!chip) throw new UnsupportedChipError(id, address);
    // Check the settings against this chip (standby tables differ) before touching it.
    const regs = toRegisterSettings(chip, this.settings);

    // Soft reset (4.3.2), then wait t_startup and for the NVM copy to finish (im_update, 4.3.3).
    await writeRegister(this.bus, address, R.REG_RESET, R.RESET_COMMAND);
    await this.clock.sleep(R.START_UP_MS);
    await this.waitForStatusClear(chip, R.STATUS_IM_UPDATE, IM_UPDATE_POLLS, R.START_UP_MS, 'im_update bit (status bit 0, NVM copy after reset, 4.3.3)');

    // Calibration in bursts (3.11.2; BME280 table 16).
    const tp = await readRegisters(this.bus, address, R.REG_CALIB_TP, R.CALIB_TP_LENGTH);
    const cal = chip === 'BME280'
      ? parseCalibration(
        tp,
        await readRegisters(this.bus, address, R.REG_CALIB_H1, 1),
        await readRegisters(this.bus, address, R.REG_CALIB_H2, R.CALIB_H_LENGTH),
      )
      : parseCalibration(tp);

    // ctrl_hum first: it only takes effect with the next ctrl_meas write (BME280 5.4.3). config
    // while still in sleep mode, since writes to it may be ignored otherwise (4.3.5).
    if (chip === 'BME280') await writeRegister(this.bus, address, R.REG_CTRL_HUM, ctrlHumValue(regs.osrsH));
    await writeRegister(this.bus, address, R.REG_CONFIG, configValue(regs.standby, regs.filter));
    const initialMode = regs.mode === Mode.Normal ? Mode.Normal : Mode.Sleep;
    await writeRegister(this.bus, address, R.REG_CTRL_MEAS, ctrlMeasValue(regs.osrsT, regs.osrsP, initialMode));
    // In normal mode let the first conversion land so the first read() has data.
    if (regs.mode === Mode.Normal) await this.clock.sleep(Math.ceil(this.maxTimeMs(regs)));

    this.detected = chip;
    this.cal = cal;
    this.registers = regs;
    const quantities: Quantity[] = [];
    if (regs.osrsT !== Oversampling.Skip) quantities.push('temperature');
    if (regs.osrsP !== Oversampling.Skip) quantities.push('pressure');
    if (regs.osrsH !== Oversampling.Skip) quantities.push('humidity');
    if (regs.osrsP !== Oversampling.Skip) quantities.push('altitude');
    this.measured = quantities;
  }

  async read(): Promise<Measurement[]> {
    const chip = this.chip;
    const cal = this.calibration;
    const regs = this.registers!;
    if (regs.mode === Mode.Forced) {
      // One conversion, then the chip returns to sleep (3.6.2). Wait the maximum time (3.8.1)
      // instead of polling the bus from the start, then confirm with the measuring bit.
      await writeRegister(this.bus, this.address, R.REG_CTRL_MEAS, ctrlMeasValue(regs.osrsT, regs.osrsP, Mode.Forced));
      const maxMs = this.maxTimeMs(regs);
      await this.clock.sleep(Math.ceil(maxMs));
      await this.waitForStatusClear(chip, R.STATUS_MEASURING, MEASURING_POLLS, Math.ceil(maxMs), `measuring bit (status bit 3; maximum conversion time ${maxMs.toFixed(2)} ms, 3.8.1)`);
    }
    // All data registers in one burst: shadowing guarantees one conversion's values (3.9, 4.1).
    // The burst starts at the control registers, so the same transaction shows whether the chip
    // still holds our configuration (see checkConfiguration).
    const start = R.stateStart(chip);
    const burst = await readRegisters(this.bus, this.address, start, R.stateLength(chip));
    this.checkConfiguration(chip, regs, (register) => burst[register - start]!);
    const d = burst.subarray(R.REG_DATA_START - start);
    const adcP = (d[0]! << 12) | (d[1]! << 4) | (d[2]! >> 4);
    const adcT = (d[3]! << 12) | (d[4]! << 4) | (d[5]! >> 4);
    const out: Measurement[] = [];
    // A skipped channel reads 0x80000 / 0x8000 (4.3.6, BME280 5.4.9), and so does one not converted
    // yet, but those are also ordinary conversion results: with the published calibrations of real
    // chips in test/bmp280-real-chips.test.ts, adc_T 0x80000 is 22.5–26.5 °C, adc_P 0x80000 59–82 kPa
    // and adc_H 0x8000 43–100 %RH. So the value never decides: this driver chose which channels to
    // skip (init), and it reads only a finished conversion (forced: after the measuring bit clears;
    // normal: init waits for the first one, and data shadowing keeps a finished one after that).
    if (regs.osrsT === Oversampling.Skip) return out;
    const fine = tFine(adcT, cal);
    out.push({ quantity: 'temperature', value: temperatureC(adcT, cal) });
    let pressure: number | undefined;
    if (regs.osrsP !== Oversampling.Skip) {
      pressure = pressurePa(adcP, fine, cal);
      out.push({ quantity: 'pressure', value: pressure });
    }
    if (chip === 'BME280' && cal.humidity && regs.osrsH !== Oversampling.Skip) {
      const adcH = (d[6]! << 8) | d[7]!;
      out.push({ quantity: 'humidity', value: humidityPct(adcH, fine, cal.humidity) });
    }
    if (pressure !== undefined) out.push({ quantity: 'altitude', value: altitudeM(pressure, this.settings.seaLevelPa) });
    return out;
  }

  /** Sleep mode (3.6.1): the lowest power state; the bus stays open for its owner to close. */
  async halt(): Promise<void> {
    const regs = this.registers;
    if (!this.detected || !regs) return;
    await writeRegister(this.bus, this.address, R.REG_CTRL_MEAS, ctrlMeasValue(regs.osrsT, regs.osrsP, Mode.Sleep));
  }

  /**
   * A power glitch or a reset behind our back puts every register back at its default (4.3.2):
   * config 0 (filter off), ctrl_hum 0 (a BME280 silently stops measuring humidity), ctrl_meas 0 (in
   * normal mode the chip is asleep and the data is stale). Compare what the burst shows with what
   * init() wrote. In forced mode ctrl_meas is rewritten before every conversion and its mode bits
   * return to sleep afterwards (3.6.2), so only its oversampling bits are compared. A reset that
   * leaves every compared register equal to what we wrote is invisible here, and also harmless:
   * the chip then measures exactly as configured.
   */
  private checkConfiguration(chip: R.Bmp280Chip, regs: RegisterSettings, register: (address: number) => number): void {
    const found: string[] = [];
    const compare = (name: string, actual: number, expected: number): void => {
      if (actual !== expected) found.push(`${name} ${hex(actual)}, expected ${hex(expected)}`);
    };
    if (register(R.REG_STATUS) & R.STATUS_IM_UPDATE) found.push('im_update set (NVM copy after a reset, 4.3.3)');
    const ctrlMeas = ctrlMeasValue(regs.osrsT, regs.osrsP, regs.mode);
    const ignoreMode = regs.mode === Mode.Forced ? ~R.CTRL_MEAS_MODE_MASK & 0xff : 0xff;
    compare('ctrl_meas', register(R.REG_CTRL_MEAS) & ignoreMode, ctrlMeas & ignoreMode);
    compare('config', register(R.REG_CONFIG) & R.CONFIG_SETTINGS_MASK, configValue(regs.standby, regs.filter) & R.CONFIG_SETTINGS_MASK);
    if (chip === 'BME280') compare('ctrl_hum', register(R.REG_CTRL_HUM) & R.CTRL_HUM_OSRS_H_MASK, ctrlHumValue(regs.osrsH));
    if (found.length > 0) {
      throw new SensorResetError(
        `${chip} at ${hex(this.address)} lost its configuration (${found.join('; ')}): it was reset or lost power behind the driver's back; init() must run again`,
      );
    }
  }

  private maxTimeMs(regs: RegisterSettings): number {
    return maxMeasurementTimeMs(regs.osrsT, regs.osrsP, regs.osrsH);
  }

  private async waitForStatusClear(chip: string, bit: number, polls: number, alreadyWaitedMs: number, what: string): Promise<void> {
    for (let i = 0; ; i++) {
      const status = await readRegister(this.bus, this.address, R.REG_STATUS);
      if ((status & bit) === 0) return;
      if (i + 1 >= polls) {
        const waited = alreadyWaitedMs + i * POLL_INTERVAL_MS;
        throw new Bmp280TimeoutError(chip, this.address, `${what} still set (${polls} status reads)`, waited);
      }
      await this.clock.sleep(POLL_INTERVAL_MS);
    }
  }
}
