/** Public API of the BMP280 / BME280 driver family. */
export { Bmp280, BMP280_OPERATING_RANGE, Bmp280TimeoutError, UnsupportedChipError, type Bmp280Options } from './bmp280.js';
export {
  adcHForHumidity, adcPForPressure, adcTForTemperature, encodeCalibration, EXAMPLE_CALIBRATION, humidityPct,
  parseCalibration, pressurePa, temperatureC, tFine, withCalibrationWords,
  type Calibration, type HumidityCalibration, type TpCalibration,
} from './compensation.js';
export { chipFromId, type Bmp280Chip } from './registers.js';
export {
  Filter, maxMeasurementTimeMs, Mode, Oversampling, toRegisterSettings, typicalMeasurementTimeMs, type RegisterSettings,
} from './settings.js';
export { simulatorFromConfig } from './scenarios.js';
export { Bmp280Simulator, type Bmp280SimulatorOptions, type RawAdc } from './simulator.js';
