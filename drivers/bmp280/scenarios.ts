/**
 * Physical scenarios for the simulator, and the mapping from the agent's `simulation` config to a
 * simulated chip. Pressures come from the same barometric formula the driver inverts, so a driver
 * reading a simulated flight should recover the profile's altitude to within the ADC resolution.
 */
import type { SimulationConfig } from '../../agent/config/types.js';
import type { Clock } from '../clock.js';
import { pressureAtAltitudePa, STANDARD_SEA_LEVEL_PA } from './compensation.js';
import { Bmp280Simulator, type Environment } from './simulator.js';

const METRES_PER_FOOT = 0.3048;
/** Standard-atmosphere temperature lapse rate, K/m (ICAO). */
const LAPSE_K_PER_M = 0.0065;

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
  const environment = (nowMs: number) => {
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

/** The simulated chip for a sensor's `simulation` config section. */
export function simulatorFromConfig(sim: SimulationConfig, seaLevelPa: number, clock: Clock): Bmp280Simulator {
  const chip = sim.chip === 'bme280' ? 'BME280' : 'BMP280';
  const common = { chip, calibration: sim.calibration } as const;
  switch (sim.scenario) {
    case 'flight':
      return new Bmp280Simulator(clock, {
        ...common,
        environment: flightProfile({
          groundAltitudeM: sim.groundAltitudeM,
          hoverFt: sim.hoverFt,
          cycleS: sim.cycleS,
          seaLevelPa,
          temperatureC: sim.temperatureC,
          humidityPct: sim.humidityPct,
        }),
      });
    case 'static':
      return new Bmp280Simulator(clock, {
        ...common,
        environment: staticEnvironment({
          temperatureC: sim.temperatureC,
          altitudeM: sim.groundAltitudeM,
          seaLevelPa,
          humidityPct: sim.humidityPct,
        }),
      });
    case 'raw':
      if (!sim.raw) throw new RangeError(`simulation.scenario is 'raw' but simulation.raw ({ adcT, adcP, adcH }) is not set`);
      return new Bmp280Simulator(clock, { ...common, raw: { ...sim.raw } });
    default:
      throw new RangeError(`simulation.scenario '${String(sim.scenario)}' is not one of flight, static, raw`);
  }
}
