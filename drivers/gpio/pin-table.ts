/**
 * The shape of a board's pin table: for each name a user may write, which GPIO controller holds
 * the line and at which offset. The kernel's number for the line is found at run time from the
 * controller's chip in sysfs (chip-base.ts), never from a formula, because the chip bases move
 * between kernels (Raspberry Pi OS 6.6: 512/571; BeagleBone mainline: banks probed in another order).
 */

/** How to recognise a controller among /sys/class/gpio/gpiochip*. */
export type ControllerMatch =
  /** By the chip's `label` (Raspberry Pi: one label per SoC family). */
  | { kind: 'label'; labels: readonly string[]; describe: string }
  /** By the controller's MMIO address in the chip's device path (`44e07000.gpio`). */
  | { kind: 'address'; address: string; describe: string };

export interface PinEntry {
  /** The name as the config writes it: "17", "P8_13", "106". */
  name: string;
  /** Where it is, for messages: "header pin 11", "J4 pin 16". */
  where: string;
  /** The controller name in the SoC's own terms: "GPIO0_23", "GPIO4_IO10", "BCM 17". */
  line: string;
  controller: ControllerMatch;
  offset: number;
  /** The sysfs number on kernels with static bases (documentation and logs only). */
  legacyNumber: number;
  /** Set when the pin must not be claimed as a GPIO: why, and what to do instead. */
  unusable?: { reason: string; hint: string };
  /** A caveat worth logging, that does not stop the pin from being used. */
  note?: string;
}

export interface BoardPinTable {
  /** How names are written on this board, for hints ("BCM numbers 2–27, e.g. \"17\""). */
  naming: string;
  pins: readonly PinEntry[];
  /** Names that are close to but not pin names (physical pin numbers, power pins), with a hint. */
  aliases?: (name: string) => string | undefined;
}
