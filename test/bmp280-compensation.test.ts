import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adcHForHumidity, adcPForPressure, adcTForTemperature, encodeCalibration, EXAMPLE_CALIBRATION, humidityPct,
  parseCalibration, pressurePa, temperatureC, tFine, withCalibrationWords,
} from '../drivers/bmp280/compensation.js';
import { altitudeM, pressureAtAltitudePa } from '../drivers/barometric.js';
import {
  maxMeasurementTimeMs, Oversampling, standbyCode, toRegisterSettings, typicalMeasurementTimeMs,
} from '../drivers/bmp280/settings.js';
import { near, settings } from './bmp280-helpers.js';

const cal = EXAMPLE_CALIBRATION;
const hum = EXAMPLE_CALIBRATION.humidity;

describe('BMP280 compensation: datasheet worked example (section 3.12)', () => {
  it('gives t_fine = 128422 and T = 25.08 °C for adc_T = 519888', () => {
    assert.equal(tFine(519888, cal), 128422);
    near(temperatureC(519888, cal), 25.08, 0.005, 'T');
  });

  it('gives p = 100653.27 Pa for adc_P = 415148 (within 0.1 Pa)', () => {
    near(pressurePa(415148, tFine(519888, cal), cal), 100653.27, 0.1, 'p');
  });

  it('follows the code of 8.1 (integer t_fine, 100653.258 Pa), not the table of 3.12 (unrounded t_fine)', () => {
    // The table's 100653.27 comes out only with t_fine = 128422.287…; the datasheet's C code casts
    // t_fine to BMP280_S32_t first. The README explains why we follow the code.
    near(pressurePa(415148, tFine(519888, cal), cal), 100653.258, 0.001, 'p with t_fine = 128422');
    near(pressurePa(415148, 128422.287, cal), 100653.267, 0.001, 'p with t_fine unrounded');
  });

  it('gives an altitude of about 56.1 m against the standard 101325 Pa', () => {
    near(altitudeM(pressurePa(415148, 128422, cal), 101325), 56.1, 0.1, 'altitude');
  });

  it('returns 0 Pa instead of dividing by zero when dig_P1 is 0 (8.1)', () => {
    assert.equal(pressurePa(415148, 128422, { ...cal, dig_P1: 0 }), 0);
  });
});

describe('barometric formula', () => {
  it('altitudeM and pressureAtAltitudePa are inverses', () => {
    for (const h of [-400, 0, 56.1, 120, 150.48, 1000, 4000, 9000]) {
      near(altitudeM(pressureAtAltitudePa(h, 102000), 102000), h, 1e-6, `altitude ${h}`);
    }
    for (const p of [30000, 70000, 100653.27, 110000]) near(pressureAtAltitudePa(altitudeM(p)), p, 1e-6, `pressure ${p}`);
  });

  it('is 0 m at the reference pressure and about 8.3 m per hPa near sea level', () => {
    assert.equal(altitudeM(101325, 101325), 0);
    near(altitudeM(101225, 101325), 8.3, 0.1, 'altitude for -1 hPa');
  });
});

describe('calibration parsing', () => {
  it('reads the T/P words little-endian with the datasheet signedness', () => {
    const tp = Buffer.alloc(24);
    tp.writeUInt16LE(0xffff, 0); // dig_T1 u16
    tp.writeUInt16LE(0xffff, 2); // dig_T2 s16
    tp.writeUInt16LE(0x8000, 4); // dig_T3 s16
    tp.writeUInt16LE(0x8e7d, 6); // dig_P1 u16 = 36477
    const parsed = parseCalibration(tp);
    assert.equal(parsed.dig_T1, 65535);
    assert.equal(parsed.dig_T2, -1);
    assert.equal(parsed.dig_T3, -32768);
    assert.equal(parsed.dig_P1, 36477);
    assert.equal(parsed.humidity, undefined);
  });

  it('unpacks dig_H4 / dig_H5 sharing 0xE5 (BME280 table 16), with signs', () => {
    // H2 = 362 (0x016A), H3 = 0, H4 = 313 (E4 0x13, E5[3:0] 9), H5 = 50 (E6 0x03, E5[7:4] 2), H6 = 30
    const positive = parseCalibration(Buffer.alloc(24), Buffer.of(75), Buffer.of(0x6a, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1e));
    assert.deepEqual(positive.humidity, { dig_H1: 75, dig_H2: 362, dig_H3: 0, dig_H4: 313, dig_H5: 50, dig_H6: 30 });
    // H1 = 255 (u8), H2 = -2, H3 = 200 (u8), H4 = -5 (0xFFB), H5 = -300 (0xED4), H6 = -30 (s8)
    const negative = parseCalibration(Buffer.alloc(24), Buffer.of(0xff), Buffer.of(0xfe, 0xff, 0xc8, 0xff, 0x4b, 0xed, 0xe2));
    assert.deepEqual(negative.humidity, { dig_H1: 255, dig_H2: -2, dig_H3: 200, dig_H4: -5, dig_H5: -300, dig_H6: -30 });
  });

  it('encodeCalibration is the exact inverse of parseCalibration', () => {
    const edge = withCalibrationWords(cal, { dig_H4: -2048, dig_H5: 2047, dig_H6: -128, dig_T1: 65535, dig_P9: -32768 });
    for (const c of [cal, edge]) {
      const nvm = encodeCalibration(c);
      assert.deepEqual(parseCalibration(nvm.tp, nvm.h1, nvm.h), c);
    }
  });

  it('rejects a short block and unknown or out-of-range override words with the allowed range', () => {
    assert.throws(() => parseCalibration(Buffer.alloc(23)), /24 bytes, got 23/);
    assert.throws(() => withCalibrationWords(cal, { dig_T4: 1 }), /unknown calibration word 'dig_T4'.*dig_T1/);
    assert.throws(() => withCalibrationWords(cal, { dig_T1: -1 }), /dig_T1 = -1 is out of range: u16 allows 0…65535/);
    assert.throws(() => withCalibrationWords(cal, { dig_H4: 2048 }), /s12 allows -2048…2047/);
  });
});

describe('humidity (BME280 4.2.3)', () => {
  const fine = tFine(519888, cal);

  it('is plausible and increasing over the ADC range', () => {
    const mid = humidityPct(30000, fine, hum);
    assert.ok(mid > 20 && mid < 80, `humidity for adc_H 30000: ${mid}`);
    assert.ok(humidityPct(31000, fine, hum) > mid);
  });

  it('is clamped to 0…100 %', () => {
    assert.equal(humidityPct(0, fine, hum), 0);
    assert.equal(humidityPct(0xffff, fine, hum), 100);
  });
});

describe('inverses used by the simulator', () => {
  it('adcTForTemperature round-trips over −40…85 °C', () => {
    for (let t = -40; t <= 85; t += 2.5) near(temperatureC(adcTForTemperature(t, cal), cal), t, 0.001, `T ${t}`);
  });

  it('adcPForPressure round-trips over 300…1100 hPa at several temperatures', () => {
    for (const t of [-40, 0, 25, 85]) {
      const fine = tFine(adcTForTemperature(t, cal), cal);
      for (let p = 30000; p <= 110000; p += 5000) near(pressurePa(adcPForPressure(p, fine, cal), fine, cal), p, 0.2, `p ${p} at ${t} °C`);
    }
  });

  it('adcHForHumidity round-trips over 0…100 %', () => {
    for (const t of [0, 25, 60]) {
      const fine = tFine(adcTForTemperature(t, cal), cal);
      for (let h = 0; h <= 100; h += 5) near(humidityPct(adcHForHumidity(h, fine, hum), fine, hum), h, 0.01, `H ${h} at ${t} °C`);
    }
  });
});

describe('settings and measurement time (3.8.1, BME280 9.1)', () => {
  it('matches the datasheet maxima: 6.4, 13.3 and 43.2 ms', () => {
    near(maxMeasurementTimeMs(Oversampling.X1, Oversampling.X1), 6.4, 0.05, 'ultra low power');
    near(maxMeasurementTimeMs(Oversampling.X1, Oversampling.X4), 13.3, 0.05, 'standard');
    near(maxMeasurementTimeMs(Oversampling.X2, Oversampling.X16), 43.2, 0.05, 'ultra high resolution');
    near(maxMeasurementTimeMs(Oversampling.X1, Oversampling.X1, Oversampling.X1), 9.3, 0.01, 'BME280 ×1/×1/×1');
    near(maxMeasurementTimeMs(Oversampling.X1, Oversampling.Skip), 3.55, 0.01, 'pressure skipped');
  });

  it('typical time is below the maximum for every combination', () => {
    for (let t = 0; t <= 5; t++) for (let p = 0; p <= 5; p++) for (let h = 0; h <= 5; h++) {
      assert.ok(typicalMeasurementTimeMs(t, p, h) < maxMeasurementTimeMs(t, p, h));
    }
  });

  it('maps config names to register bits, with the chip-specific standby tables', () => {
    const drone = toRegisterSettings('BMP280', settings({ mode: 'normal', oversampling: { temperature: 'x2', pressure: 'x16' }, filter: 'x16' }));
    assert.deepEqual(drone, { osrsT: 2, osrsP: 5, osrsH: 0, filter: 4, standby: 0, mode: 3 });
    assert.equal(standbyCode('BME280', 10), 6);
    assert.equal(standbyCode('BMP280', 2000), 6);
    assert.throws(() => standbyCode('BMP280', 10), /standby 10 ms is not available on the BMP280: choose one of 0.5, 62.5/);
  });

  it('refuses to skip temperature while pressure needs t_fine', () => {
    assert.throws(() => toRegisterSettings('BMP280', settings({ oversampling: { temperature: 'skip' } })), /t_fine/);
  });
});
