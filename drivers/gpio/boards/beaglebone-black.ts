/**
 * BeagleBone Black P8/P9 headers: names are header names ("P8_13"). Each pin is GPIOb_n: bank b
 * (one gpio-omap controller per bank) and bit n. All 67 rows agree in five public sources:
 * adafruit-beaglebone-io-python `source/common.c`, bonescript `src/bone.js`, the exploringBB P8/P9
 * header tables, the bb.org-overlays pin lists, and the BeagleBone Black System Reference Manual's
 * connector chapter.
 *
 * The sysfs number 32 × b + n holds only on BeagleBoard.org kernels up to 5.10. Mainline 5.15+
 * probes the banks as GPIO1, GPIO2, GPIO3, GPIO0 (nerves_system_bbb #266/#267, bbb-pin-utils PR
 * #8), and since "gpio: omap: use dynamic allocation of base" (LKML 2023-01-13) the bases are
 * dynamic. The gpio-omap label (`gpio-0-31`) counts in probe order too, so it does not name the
 * bank: the chip is recognised by its controller's address (AM335x Technical Reference Manual,
 * memory map: GPIO0 at 0x44E07000, GPIO1–3 at 0x4804C000, 0x481AC000, 0x481AE000).
 */
import type { BoardPinTable, ControllerMatch, PinEntry } from '../pin-table.js';

const BANK_ADDRESS = ['44e07000', '4804c000', '481ac000', '481ae000'] as const;

export const BBB_BANKS: readonly ControllerMatch[] = BANK_ADDRESS.map((address, bank) => ({
  kind: 'address',
  address,
  describe: `GPIO bank ${bank} of the AM335x (controller ${address}.gpio)`,
}));

type Claim = 'emmc' | 'video' | 'audio' | 'i2c2' | 'led' | null;

// [name, bank, bit, what holds it on BeagleBoard.org images]
const ROWS: ReadonlyArray<readonly [string, number, number, Claim]> = [
  ['P8_3', 1, 6, 'emmc'], ['P8_4', 1, 7, 'emmc'], ['P8_5', 1, 2, 'emmc'], ['P8_6', 1, 3, 'emmc'],
  ['P8_7', 2, 2, null], ['P8_8', 2, 3, null], ['P8_9', 2, 5, null], ['P8_10', 2, 4, null],
  ['P8_11', 1, 13, null], ['P8_12', 1, 12, null], ['P8_13', 0, 23, null], ['P8_14', 0, 26, null],
  ['P8_15', 1, 15, null], ['P8_16', 1, 14, null], ['P8_17', 0, 27, null], ['P8_18', 2, 1, null],
  ['P8_19', 0, 22, null], ['P8_20', 1, 31, 'emmc'], ['P8_21', 1, 30, 'emmc'], ['P8_22', 1, 5, 'emmc'],
  ['P8_23', 1, 4, 'emmc'], ['P8_24', 1, 1, 'emmc'], ['P8_25', 1, 0, 'emmc'], ['P8_26', 1, 29, null],
  ['P8_27', 2, 22, 'video'], ['P8_28', 2, 24, 'video'], ['P8_29', 2, 23, 'video'], ['P8_30', 2, 25, 'video'],
  ['P8_31', 0, 10, 'video'], ['P8_32', 0, 11, 'video'], ['P8_33', 0, 9, 'video'], ['P8_34', 2, 17, 'video'],
  ['P8_35', 0, 8, 'video'], ['P8_36', 2, 16, 'video'], ['P8_37', 2, 14, 'video'], ['P8_38', 2, 15, 'video'],
  ['P8_39', 2, 12, 'video'], ['P8_40', 2, 13, 'video'], ['P8_41', 2, 10, 'video'], ['P8_42', 2, 11, 'video'],
  ['P8_43', 2, 8, 'video'], ['P8_44', 2, 9, 'video'], ['P8_45', 2, 6, 'video'], ['P8_46', 2, 7, 'video'],
  ['P9_11', 0, 30, null], ['P9_12', 1, 28, null], ['P9_13', 0, 31, null], ['P9_14', 1, 18, null],
  ['P9_15', 1, 16, null], ['P9_16', 1, 19, null], ['P9_17', 0, 5, null], ['P9_18', 0, 4, null],
  ['P9_19', 0, 13, 'i2c2'], ['P9_20', 0, 12, 'i2c2'], ['P9_21', 0, 3, null], ['P9_22', 0, 2, null],
  ['P9_23', 1, 17, null], ['P9_24', 0, 15, null], ['P9_25', 3, 21, 'audio'], ['P9_26', 0, 14, null],
  ['P9_27', 3, 19, null], ['P9_28', 3, 17, 'audio'], ['P9_29', 3, 15, 'audio'], ['P9_30', 3, 16, null],
  ['P9_31', 3, 14, 'audio'], ['P9_41', 0, 20, null], ['P9_42', 0, 7, null],
  // User LEDs: not on a header, owned by the gpio-leds driver (BBB SRM; am335x-bone-common.dtsi).
  ['USR0', 1, 21, 'led'], ['USR1', 1, 22, 'led'], ['USR2', 1, 23, 'led'], ['USR3', 1, 24, 'led'],
];

const UNUSABLE: Readonly<Record<Exclude<Claim, null>, (pin: string) => { reason: string; hint: string }>> = {
  emmc: (pin) => ({ reason: `${pin} carries the on-board eMMC`, hint: 'only usable when booting from microSD with disable_uboot_overlay_emmc=1 in /boot/uEnv.txt; pick a free pin such as P8_13 or P9_12' }),
  video: (pin) => ({ reason: `${pin} carries the HDMI video (LCD) signals`, hint: 'set disable_uboot_overlay_video=1 in /boot/uEnv.txt to free it, or pick a free pin such as P8_13 or P9_12' }),
  audio: (pin) => ({ reason: `${pin} carries the HDMI audio (McASP0) signals`, hint: 'set disable_uboot_overlay_audio=1 in /boot/uEnv.txt to free it, or pick a free pin such as P9_27 or P9_30' }),
  i2c2: (pin) => ({ reason: `${pin} is I2C2 (/dev/i2c-2), the sensor bus and the cape EEPROM bus`, hint: 'keep it for I2C; pick a free pin such as P9_12 or P9_15' }),
  led: (pin) => ({ reason: `${pin} is a user LED owned by the gpio-leds driver (sysfs export is refused)`, hint: `drive it through /sys/class/leds/beaglebone:green:${pin.toLowerCase()}/brightness, or pick a header pin` }),
};

const NOTES: Readonly<Record<string, string>> = {
  P9_17: 'I2C1 SCL when switched with config-pin P9_17 i2c',
  P9_18: 'I2C1 SDA when switched with config-pin P9_18 i2c',
  P9_24: 'UART1 TXD / I2C1 SCL alternative',
  P9_26: 'UART1 RXD / I2C1 SDA alternative',
  P9_27: 'exploringBB marks it McASP0; current device trees leave it free',
  P9_30: 'exploringBB marks it McASP0; current device trees leave it free',
  P9_41: 'shares the header pin with GPIO3_20: keep that one an input',
  P9_42: 'shares the header pin with GPIO3_18: keep that one an input',
};

const pins: PinEntry[] = ROWS.map(([name, bank, bit, claim]) => {
  const entry: PinEntry = {
    name,
    where: name.startsWith('USR') ? `user LED ${name}` : `header ${name.slice(0, 2)} pin ${name.slice(3)}`,
    line: `GPIO${bank}_${bit}`,
    controller: BBB_BANKS[bank]!,
    offset: bit,
    legacyNumber: 32 * bank + bit,
  };
  if (claim) entry.unusable = UNUSABLE[claim](name);
  if (NOTES[name]) entry.note = NOTES[name];
  return entry;
});

const byLine = new Map(pins.map((p) => [p.line, p.name]));

export const BEAGLEBONE_BLACK_PINS: BoardPinTable = {
  naming: 'header names P8_3–P8_46 and P9_11–P9_31, P9_41, P9_42 (e.g. "P8_13")',
  pins,
  aliases(name) {
    const header = /^\s*P([89])[-_.\s]?(\d+)\s*$/i.exec(name);
    if (header) {
      const connector = `P${header[1]}`;
      const n = Number(header[2]);
      if (connector === 'P9' && n >= 1 && n <= 4) return `${connector}_${n} is ground or 3.3 V, not a GPIO`;
      if (connector === 'P9' && n >= 5 && n <= 10) return `${connector}_${n} is power, reset or ground, not a GPIO`;
      if (connector === 'P9' && n >= 32 && n <= 40) return `${connector}_${n} is an analog (ADC) pin or its reference, not a GPIO`;
      if (connector === 'P9' && n >= 43 && n <= 46) return `${connector}_${n} is ground, not a GPIO`;
      if (connector === 'P8' && (n === 1 || n === 2)) return `${connector}_${n} is ground, not a GPIO`;
      if (pins.some((p) => p.name === `${connector}_${n}`)) return `write it as "${connector}_${n}"`;
      return undefined;
    }
    const gpio = /^\s*GPIO\s*([0-3])[_.](\d+)\s*$/i.exec(name);
    if (gpio) {
      const pin = byLine.get(`GPIO${gpio[1]}_${Number(gpio[2])}`);
      return pin ? `GPIO${gpio[1]}_${Number(gpio[2])} is ${pin}: write "${pin}"` : `GPIO${gpio[1]}_${Number(gpio[2])} is not on the P8/P9 headers`;
    }
    return undefined;
  },
};
