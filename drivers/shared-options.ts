/**
 * Options several drivers share: the sea-level pressure their altitude is computed from, and the
 * simulated environment (drivers/environment.ts) every chip's simulator can be driven by.
 */
import { STANDARD_SEA_LEVEL_PA } from './barometric.js';
import type { ChoiceKind, Option, OptionTable } from './options.js';

/** QNH for altitude, Pa. People often write hPa (1013): that is told apart from a wrong number. */
export const SEA_LEVEL_PA: Option<number> = {
  doc: 'Sea-level reference pressure (QNH) for altitude, Pa.',
  type: { kind: 'number', what: 'sea-level pressure', min: 85000, max: 110000, hint: 'in Pa (QNH), standard atmosphere 101325', unit: 'Pa', mistaken: { unit: 'hPa', factor: 100 } },
  default: STANDARD_SEA_LEVEL_PA,
};

/** The keys of a flight or static environment (drivers/environment.ts EnvironmentConfig). */
export interface EnvironmentOptions {
  groundAltitudeM: number;
  hoverFt: number;
  cycleS: number;
  temperatureC: number;
}

export const ENVIRONMENT_OPTIONS: OptionTable<EnvironmentOptions> = {
  groundAltitudeM: { doc: 'Altitude of the ground, m above sea level.', type: { kind: 'number', what: 'ground altitude', min: -500, max: 9000, hint: 'metres above sea level' }, default: 0 },
  hoverFt: { doc: 'Hover height above the ground, ft.', type: { kind: 'number', what: 'hover height', min: 1, max: 30000, hint: 'feet above ground' }, default: 100 },
  cycleS: { doc: 'Length of one flight cycle, s.', type: { kind: 'number', what: 'cycle length', min: 5, max: 86400, hint: 'seconds for ground → climb → hover → land' }, default: 60 },
  temperatureC: { doc: 'Simulated temperature, °C.', type: { kind: 'number', what: 'temperature', min: -40, max: 85, hint: 'the BMP280 operating range in °C' }, default: 20 },
};

/** `simulation` of a chip driven by the shared environments: which chip, flight or static, and the environment. */
export interface EnvironmentSimulation<Chip extends string> extends EnvironmentOptions {
  chip: Chip;
  scenario: 'flight' | 'static';
}

/** The `simulation` options of a driver whose simulator takes the shared environments only. */
export function environmentSimulation<Chip extends string>(chips: readonly Chip[]): OptionTable<EnvironmentSimulation<Chip>> {
  const chip: ChoiceKind = { kind: 'choice', what: 'simulated chip', values: chips };
  return {
    chip: { doc: 'Chip the simulator answers as.', type: chip, default: chips[0]! },
    scenario: { doc: 'flight: climb to hoverFt, hover, land, wait on the ground, repeat; static: constant.', type: { kind: 'choice', what: 'scenario', values: ['flight', 'static'] }, default: 'flight' },
    ...ENVIRONMENT_OPTIONS,
  };
}
