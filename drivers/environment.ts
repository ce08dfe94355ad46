/**
 * What a simulated chip senses, whatever the chip: conditions as a function of monotonic time. The
 * flight and static scenarios live here, once, so the same flight profile drives every chip's
 * simulator and the same altitude must come back out of every driver. Pressures come from the
 * barometric formula the drivers invert.
 */
import { pressureAtAltitudePa, STANDARD_SEA_LEVEL_PA } from './barometric.js';

export interface EnvironmentSample {
  temperatureC: number;
  pressurePa: number;
  humidityPct: number;
}

/** Physical conditions at a monotonic time (ms). */
export type Environment = (nowMs: number) => EnvironmentSample;

/** The scenario keys every chip's `simulation` section shares (their options: drivers/shared-options.ts). */
export interface EnvironmentConfig {
  scenario: 'flight' | 'static' | 'raw';
  groundAltitudeM: number;
  hoverFt: number;
  cycleS: number;
  temperatureC: number;
  humidityPct?: number;
}

const METRES_PER_FOOT = 0.3048;
/** Standard-atmosphere temperature lapse rate, K/m (ICAO). */
const LAPSE_K_PER_M = 0.0065;

export const DEFAULT_ENVIRONMENT: Environment = () => ({ temperatureC: 20, pressurePa: STANDARD_SEA_LEVEL_PA, humidityPct: 50 });

export interface FlightOptions {
  /** Ground elevation above sea level, m. */
  groundAltitudeM?: number;
  /** Hover height above ground, ft (default 100 ft). */
  hoverFt?: number;
  /** Length of one cycle (climb, hover, descend, ground), s (default 60). */
  cycleS?: number;
  seaLevelPa?: number;
  /** Temperature on the ground, °C; it falls with the standard lapse rate in the air. */
  temperatureC?: number;
  humidityPct?: number;
}

/** An environment that also tells the altitude it simulates, for tests to compare against. */
export interface FlightEnvironment extends Environment {
  altitudeM(nowMs: number): number;
}

// Phases as fractions of the cycle: climb, hover, descend, ground. The cycle starts with the
// climb so that a demo shows the drone leaving the ground within its first seconds.
const CLIMB = 0.2;
const HOVER = 0.3;

/** 0 → 1 with zero slope at both ends (half a cosine), so vertical speed never jumps. */
function ease(x: number): number {
  return (1 - Math.cos(Math.PI * Math.min(1, Math.max(0, x)))) / 2;
}

/**
 * The classic drone test flight, repeating every cycleS: climb to hoverFt, hover, descend, wait
 * on the ground. With the defaults the peak climb rate is about 4 m/s, smooth at 1–50 Hz.
 */
export function flightProfile(options: FlightOptions = {}): FlightEnvironment {
  const ground = options.groundAltitudeM ?? 0;
  const hoverM = (options.hoverFt ?? 100) * METRES_PER_FOOT;
  const cycleMs = (options.cycleS ?? 60) * 1000;
  if (!(cycleMs > 0)) throw new RangeError(`flight cycleS must be positive, got ${options.cycleS}`);
  const seaLevelPa = options.seaLevelPa ?? STANDARD_SEA_LEVEL_PA;
  const groundC = options.temperatureC ?? 20;
  const humidity = options.humidityPct ?? 50;

  const heightM = (nowMs: number): number => {
    const phase = (((nowMs % cycleMs) + cycleMs) % cycleMs) / cycleMs;
    if (phase < CLIMB) return hoverM * ease(phase / CLIMB);
    if (phase < CLIMB + HOVER) return hoverM;
    if (phase < 2 * CLIMB + HOVER) return hoverM * (1 - ease((phase - CLIMB - HOVER) / CLIMB));
    return 0;
  };
  const altitudeM = (nowMs: number): number => ground + heightM(nowMs);
  const environment = (nowMs: number): EnvironmentSample => {
    const altitude = altitudeM(nowMs);
    return {
      temperatureC: groundC - LAPSE_K_PER_M * (altitude - ground),
      pressurePa: pressureAtAltitudePa(altitude, seaLevelPa),
      humidityPct: humidity,
    };
  };
  return Object.assign(environment, { altitudeM });
}

export interface StaticOptions {
  temperatureC?: number;
  /** Pressure, Pa; or give altitudeM (with seaLevelPa) instead. */
  pressurePa?: number;
  altitudeM?: number;
  seaLevelPa?: number;
  humidityPct?: number;
}

/** Constant conditions (default 20 °C, 101325 Pa, 50 %). */
export function staticEnvironment(options: StaticOptions = {}): Environment {
  const sample = {
    temperatureC: options.temperatureC ?? 20,
    pressurePa: options.pressurePa ?? pressureAtAltitudePa(options.altitudeM ?? 0, options.seaLevelPa ?? STANDARD_SEA_LEVEL_PA),
    humidityPct: options.humidityPct ?? 50,
  };
  return () => ({ ...sample });
}

/** The environment a sensor's `simulation` section describes (flight or static; raw is chip-specific). */
export function environmentFromConfig(sim: EnvironmentConfig, seaLevelPa: number): Environment {
  switch (sim.scenario) {
    case 'flight':
      return flightProfile({
        groundAltitudeM: sim.groundAltitudeM,
        hoverFt: sim.hoverFt,
        cycleS: sim.cycleS,
        seaLevelPa,
        temperatureC: sim.temperatureC,
        ...(sim.humidityPct !== undefined ? { humidityPct: sim.humidityPct } : {}),
      });
    case 'static':
      return staticEnvironment({
        temperatureC: sim.temperatureC,
        altitudeM: sim.groundAltitudeM,
        seaLevelPa,
        ...(sim.humidityPct !== undefined ? { humidityPct: sim.humidityPct } : {}),
      });
    default:
      throw new RangeError(`simulation.scenario '${String(sim.scenario)}' has no environment: use flight or static`);
  }
}
