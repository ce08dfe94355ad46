/**
 * Shared set-up for the BMP280 tests: settings with defaults, a simulated chip on a simulated bus,
 * and (re-exported from helpers/drive.ts, shared by every chip's tests) `drive`, `near`, `valueOf`.
 */
export { drive, near, valueOf } from './helpers/drive.js';
import type { Bmp280Settings, OversamplingName } from '../drivers/bmp280/settings.js';
import { Bmp280 } from '../drivers/bmp280/bmp280.js';
import { Bmp280Simulator, type Bmp280SimulatorOptions } from '../drivers/bmp280/simulator.js';
import { ManualClock } from '../drivers/clock.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';

export interface SettingsOverrides extends Partial<Omit<Bmp280Settings, 'oversampling'>> {
  oversampling?: Partial<Record<'temperature' | 'pressure' | 'humidity', OversamplingName>>;
}

/** Weather-monitoring preset (section 3.4) unless overridden: forced, ×1/×1/×1, filter off. */
export function settings(overrides: SettingsOverrides = {}): Bmp280Settings {
  return {
    mode: overrides.mode ?? 'forced',
    oversampling: { temperature: 'x1', pressure: 'x1', humidity: 'x1', ...overrides.oversampling },
    filter: overrides.filter ?? 'off',
    standbyMs: overrides.standbyMs ?? 0.5,
    seaLevelPa: overrides.seaLevelPa ?? 101325,
  };
}

export interface Rig {
  clock: ManualClock;
  bus: SimulatedI2cBus;
  sim: Bmp280Simulator;
  sensor: Bmp280;
}

export function rig(sim: Bmp280SimulatorOptions = {}, overrides: SettingsOverrides = {}, address = 0x76): Rig {
  const clock = new ManualClock();
  const bus = new SimulatedI2cBus();
  const simulator = new Bmp280Simulator(clock, sim);
  bus.attach(0x76, simulator);
  const sensor = new Bmp280(bus, clock, { address, settings: settings(overrides) });
  return { clock, bus, sim: simulator, sensor };
}
