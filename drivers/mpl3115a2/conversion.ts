/**
 * Pure data-format conversions of the MPL3115A2 (datasheet §7.1.3). The chip compensates
 * internally, so there is no calibration: only fixed-point formats, and (for the simulator) the
 * altitude formula the chip is reported to use.
 */

/** Barometer mode: unsigned Q18.2 Pa, left-aligned in 24 bits (low nibble 0): raw24 / 64. */
export function pressurePa(msb: number, csb: number, lsb: number): number {
  return (msb * 65536 + csb * 256 + lsb) / 64;
}

/** Altimeter mode: signed Q16.4 m, left-aligned; the fraction adds (FF FF F0 is −0.0625 m). */
export function altitudeM(msb: number, csb: number, lsb: number): number {
  const raw = msb * 65536 + csb * 256 + lsb;
  return (raw >= 0x800000 ? raw - 0x1000000 : raw) / 256;
}

/** Signed Q8.4 °C, left-aligned in 16 bits (the datasheet calls it Q12.4). */
export function temperatureC(msb: number, lsb: number): number {
  const raw = msb * 256 + lsb;
  return (raw >= 0x8000 ? raw - 0x10000 : raw) / 256;
}

/** BAR_IN for a sea-level pressure: 2 Pa per count, so 101325 Pa → 50662 (0xC5E6). */
export function barIn(seaLevelPa: number): number {
  return Math.min(0xffff, Math.max(0, Math.floor(seaLevelPa / 2)));
}

/** The chip's own altitude formula (unverified constants, as in client code), m. */
export function chipAltitudeM(pressurePa: number, seaLevelPa: number): number {
  return 44330.77 * (1 - Math.pow(pressurePa / seaLevelPa, 0.1902632));
}

/** Encoders for the simulator: the exact inverses of the decoders, rounded to the format's step. */
export function encodePressure(pressurePa: number): Buffer {
  const q = Math.min(0xfffff, Math.max(0, Math.round(pressurePa * 4)));
  return Buffer.of((q >> 12) & 0xff, (q >> 4) & 0xff, (q & 0xf) << 4);
}

export function encodeAltitude(altitudeM: number): Buffer {
  const q = Math.min(0x7ffff, Math.max(-0x80000, Math.round(altitudeM * 16)));
  const raw = (q < 0 ? q + 0x100000 : q) << 4;
  return Buffer.of((raw >> 16) & 0xff, (raw >> 8) & 0xff, raw & 0xff);
}

export function encodeTemperature(temperatureC: number): Buffer {
  const q = Math.min(0x7ff, Math.max(-0x800, Math.round(temperatureC * 16)));
  const raw = (q < 0 ? q + 0x1000 : q) << 4;
  return Buffer.of((raw >> 8) & 0xff, raw & 0xff);
}
