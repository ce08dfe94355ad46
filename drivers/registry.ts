/**
 * Every driver the agent has, described (drivers/description.ts). The configuration schema, its
 * generated reference, `probe` and the agent's hardware layer all read this list: a new chip is
 * its folder under drivers/ and one line here. Importing it loads the descriptions only (options,
 * addresses, IDs, timing): each driver's code and simulator load when a sensor needs them.
 */
import { BMP180 } from './bmp180/description.js';
import { BMP280 } from './bmp280/description.js';
import { BMP388 } from './bmp388/description.js';
import type { DriverDescription } from './description.js';
import { MPL3115A2 } from './mpl3115a2/description.js';
import { MS5611 } from './ms5611/description.js';

/** In the order of the `driver` list, the reference and probe's questions. The first is the default. */
export const DRIVERS = [BMP280, BMP388, MS5611, BMP180, MPL3115A2] as const;

type Registered = (typeof DRIVERS)[number];
export type DriverName = Registered['name'];
/** A registered driver's `settings` and `simulation`, by name. */
export type SettingsOf<N extends DriverName> = Extract<Registered, { name: N }> extends DriverDescription<N, infer S, infer _> ? S : never;
export type SimulationOf<N extends DriverName> = Extract<Registered, { name: N }> extends DriverDescription<N, infer _, infer S> ? S : never;

/** Any driver, for code that handles them all alike (settings are the driver's business). */
export type AnyDriver = DriverDescription<string, unknown, unknown>;

export const DEFAULT_DRIVER: DriverName = DRIVERS[0].name;

const BY_NAME: ReadonlyMap<string, AnyDriver> = new Map(DRIVERS.map((d): [string, AnyDriver] => [d.name, d]));

/** The registered driver of this name (not an alias: the configuration resolves those). */
export function driverNamed(name: string): AnyDriver | undefined {
  return BY_NAME.get(name);
}
