/**
 * Chip-neutral barometry shared by every pressure driver and simulator: the international
 * barometric formula and its inverse, and the bisection that turns a compensation formula back into
 * raw ADC counts for a simulator. No I/O here.
 */

/** Standard atmosphere sea-level pressure, Pa. */
export const STANDARD_SEA_LEVEL_PA = 101325;

/** International barometric formula: altitude in m for a pressure and a sea-level reference (QNH). */
export function altitudeM(pressure: number, seaLevelPa = STANDARD_SEA_LEVEL_PA): number {
  return 44330 * (1 - Math.pow(pressure / seaLevelPa, 1 / 5.255));
}

/** Inverse of altitudeM. */
export function pressureAtAltitudePa(altitude: number, seaLevelPa = STANDARD_SEA_LEVEL_PA): number {
  return seaLevelPa * Math.pow(1 - altitude / 44330, 5.255);
}

/**
 * The integer x in [lo, hi] whose f(x) is nearest `target`, for f monotonic (either direction,
 * plateaus allowed): log2(hi − lo) bisection steps, 20 for a 20-bit ADC, 24 for a 24-bit one.
 */
export function invertMonotonic(f: (x: number) => number, target: number, lo: number, hi: number): number {
  const increasing = f(hi) >= f(lo);
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    if ((f(m) < target) === increasing) a = m;
    else b = m;
  }
  return Math.abs(f(a) - target) <= Math.abs(f(b) - target) ? a : b;
}
