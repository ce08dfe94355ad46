/**
 * Raspberry Pi 40-pin header (every 40-pin model, Pi 5 included): names are BCM numbers.
 * Sources: gpiozero `pins/data.py` (PI4_J8; PI5_J8 = PI4_J8),
 * Pinout.xyz `pinout.yaml`, raspberrypi/linux #5719/#6347/#7275 (Pi 5 pinctrl dumps: same BCM
 * numbers on the same header pins through RP1). Line offset on the header chip = BCM number on every model.
 */
import type { BoardPinTable, ControllerMatch, PinEntry } from '../pin-table.js';

/**
 * The header chip is found by label, never by number: its base is 0 on kernels up to 6.1, 512 on a
 * Pi 4 with Raspberry Pi OS 6.6+ (gpiochip512, talkkonnect #129), 458 on some mainline kernels, 399
 * (6.1) or 571 (6.6) on a Pi 5 (raspberrypi/linux #6084, PR #5638, onoff #199/#200).
 */
export const PI_HEADER_CHIP: ControllerMatch = {
  kind: 'label',
  labels: ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'],
  describe: 'the Raspberry Pi header GPIO chip (label pinctrl-bcm2835, pinctrl-bcm2711 or pinctrl-rp1)',
};

/** BCM number → physical header pin (gpiozero PI4_J8, Pinout.xyz; identical in both). */
const HEADER_PIN: Readonly<Record<number, number>> = {
  0: 27, 1: 28, 2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21, 10: 19, 11: 23, 12: 32, 13: 33,
  14: 8, 15: 10, 16: 36, 17: 11, 18: 12, 19: 35, 20: 38, 21: 40, 22: 15, 23: 16, 24: 18, 25: 22, 26: 37, 27: 13,
};

const UNUSABLE: Readonly<Record<number, { reason: string; hint: string }>> = {
  0: { reason: 'BCM 0 (pin 27) is ID_SD, the HAT EEPROM bus (I2C0), reserved by the firmware', hint: 'pick a plain GPIO such as 17, 27, 22, 23, 24, 25, 5, 6, 16 or 26' },
  1: { reason: 'BCM 1 (pin 28) is ID_SC, the HAT EEPROM bus (I2C0), reserved by the firmware', hint: 'pick a plain GPIO such as 17, 27, 22, 23, 24, 25, 5, 6, 16 or 26' },
  2: { reason: 'BCM 2 (pin 3) is I2C1 SDA, the sensor bus /dev/i2c-1, with a fixed 1.8 kΩ pull-up', hint: 'keep it for I2C; pick a plain GPIO such as 17 or 27' },
  3: { reason: 'BCM 3 (pin 5) is I2C1 SCL, the sensor bus /dev/i2c-1, with a fixed 1.8 kΩ pull-up', hint: 'keep it for I2C; pick a plain GPIO such as 17 or 27' },
};

/** Peripherals Raspberry Pi OS puts on a pin when the interface is enabled (gpiozero PI4_GPIOn alt functions, Pinout.xyz). */
const NOTES: Readonly<Record<number, string>> = {
  4: 'GPCLK0 when the 1-Wire or clock overlay is enabled',
  7: 'SPI0 CE1 when SPI is enabled (dtparam=spi=on)',
  8: 'SPI0 CE0 when SPI is enabled (dtparam=spi=on)',
  9: 'SPI0 MISO when SPI is enabled (dtparam=spi=on)',
  10: 'SPI0 MOSI when SPI is enabled (dtparam=spi=on)',
  11: 'SPI0 SCLK when SPI is enabled (dtparam=spi=on)',
  12: 'PWM0 when a PWM overlay is enabled',
  13: 'PWM1 when a PWM overlay is enabled',
  14: 'UART TXD, the serial console if it is enabled (raspi-config → Serial Port)',
  15: 'UART RXD, the serial console if it is enabled (raspi-config → Serial Port)',
  18: 'PCM CLK / PWM0 when audio or PWM overlays are enabled',
  19: 'PCM FS / PWM1 when audio or PWM overlays are enabled',
  20: 'PCM DIN when an I2S audio overlay is enabled',
  21: 'PCM DOUT when an I2S audio overlay is enabled',
};

const pins: PinEntry[] = Object.entries(HEADER_PIN).map(([text, header]) => {
  const bcm = Number(text);
  const entry: PinEntry = {
    name: String(bcm),
    where: `header pin ${header}`,
    line: `GPIO${bcm}`,
    controller: PI_HEADER_CHIP,
    offset: bcm,
    legacyNumber: bcm,
  };
  if (UNUSABLE[bcm]) entry.unusable = UNUSABLE[bcm];
  if (NOTES[bcm]) entry.note = NOTES[bcm];
  return entry;
});

const PHYSICAL_TO_BCM = new Map(Object.entries(HEADER_PIN).map(([bcm, header]) => [header, Number(bcm)]));

export const RASPBERRY_PI_PINS: BoardPinTable = {
  naming: 'BCM numbers as the kernel names the lines, "2"–"27" (GPIO17 on header pin 11 is "17")',
  pins,
  aliases(name) {
    const gpio = /^\s*(?:gpio|bcm)\s*[-_]?\s*(\d+)\s*$/i.exec(name);
    if (gpio) return `write the bare BCM number: "${Number(gpio[1])}"`;
    const header = /^\s*(?:pin|p1|j8)\s*[-_]?\s*(\d+)\s*$/i.exec(name);
    if (header) {
      const bcm = PHYSICAL_TO_BCM.get(Number(header[1]));
      return bcm === undefined
        ? `header pin ${Number(header[1])} is power or ground, not a GPIO`
        : `header pin ${Number(header[1])} is BCM ${bcm}: write "${bcm}"`;
    }
    return undefined;
  },
};
