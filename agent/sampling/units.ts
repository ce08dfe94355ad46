/**
 * From the canonical units drivers report (°C, Pa, %, m) to the unit a measurement is configured
 * to publish in, and rounding to its configured decimals.
 */
import type { Quantity } from '../../drivers/sensor.js';
import type { Unit } from '../config/types.js';

const FEET_PER_METRE = 1 / 0.3048; // the international foot is exactly 0.3048 m

const CONVERT: Record<Unit, (canonical: number) => number> = {
  '°C': (c) => c,
  '°F': (c) => (c * 9) / 5 + 32,
  Pa: (pa) => pa,
  hPa: (pa) => pa / 100,
  m: (m) => m,
  ft: (m) => m * FEET_PER_METRE,
  '%': (pct) => pct,
};

const QUANTITY_OF_UNIT: Record<Unit, Quantity> = {
  '°C': 'temperature',
  '°F': 'temperature',
  Pa: 'pressure',
  hPa: 'pressure',
  m: 'altitude',
  ft: 'altitude',
  '%': 'humidity',
};

export function convert(quantity: Quantity, canonical: number, unit: Unit): number {
  if (QUANTITY_OF_UNIT[unit] !== quantity) {
    throw new RangeError(`unit ${unit} does not measure ${quantity}`);
  }
  return CONVERT[unit](canonical);
}

/**
 * Round half away from zero at `decimals` places, without binary artefacts like 1.005 → 1.
 * Arithmetic where it cannot be wrong, text where it could: this runs for every reading.
 */
export function round(value: number, decimals: number): number {
  // Infinity rounds to itself; the text path below would make it NaN. Whether a non-finite value
  // may be published is for the caller to refuse (sensor-guard.ts, conditions.ts), not to hide here.
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** decimals;
  const scaled = Math.abs(value) * scale;
  const whole = Math.floor(scaled);
  const fraction = scaled - whole;
  // The product is off by at most an ulp or two (< 1e-6 below 1e9): only a fraction that close to
  // one half can round the wrong way. Quotient and text give the same double: both are the
  // correctly rounded value of whole / 10^decimals (decimals ≤ 22, so 10^decimals is exact).
  if (scaled < 1e9 && decimals <= 22 && Math.abs(fraction - 0.5) > 1e-6) {
    const rounded = ((fraction > 0.5 ? whole + 1 : whole) / scale) * Math.sign(value);
    return Object.is(rounded, -0) ? 0 : rounded;
  }
  return roundExact(value, decimals);
}

/** The same, through the number's shortest decimal text: exact at ties (1.005 is 1.00499999…). */
export function roundExact(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  const text = String(Math.abs(value));
  // Shift the decimal point in the text, not by multiplying: 1.005 × 100 is 100.49999…
  const magnitude = text.includes('e')
    ? Number(Math.abs(value).toFixed(decimals))
    : Number(`${Math.round(Number(`${text}e${decimals}`))}e-${decimals}`);
  const rounded = magnitude * Math.sign(value);
  return Object.is(rounded, -0) ? 0 : rounded;
}
