/**
 * From a pin name to the number sysfs GPIO (and so onoff) wants: find the pin's controller among
 * `/sys/class/gpio/gpiochip*` and add the pin's offset to that chip's `base`.
 *
 * Why not a formula: Raspberry Pi OS kernels 6.6+ give the header chip a dynamic base (512 on a
 * Pi 4, 571 on a Pi 5), so `export`ing the bare BCM number fails with EINVAL (onoff #197, #199,
 * #200; raspberrypi/linux #6084, where pelwell advises finding the chip rather than assuming 0).
 * BeagleBone mainline kernels probe the four banks in another order with dynamic bases (gpio-omap
 * `base = -1`, LKML 2023-01-13), so 32 × bank + bit is wrong there too.
 *
 * The sysfs root is a parameter (default `/sys`) so tests can point it at a fake tree.
 */
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioError } from './gpio.js';
import type { ControllerMatch } from './pin-table.js';
import { findPin, pinIssue, pinTable, type GpioBoard, type PinEntry } from './pins.js';

export interface GpioChip {
  /** `gpiochip512` */
  name: string;
  base: number;
  ngpio: number;
  label: string;
  /** The chip's real path in sysfs: it runs through the controller's device (`…/44e07000.gpio/…`). */
  devicePath: string;
}

/** A pin translated to the kernel's sysfs number. */
export interface SysfsLine {
  pin: string;
  number: number;
  /** The chip that holds it, when one was found (always, except on a kernel with no chips). */
  chip: GpioChip;
  /** The board table entry (undefined on `generic`). */
  entry?: PinEntry;
}

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

async function readText(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

/** Every GPIO chip sysfs shows, ordered by base. Fails clearly when sysfs GPIO is missing. */
export async function readGpioChips(sysfsRoot = '/sys'): Promise<GpioChip[]> {
  const classDir = join(sysfsRoot, 'class', 'gpio');
  let names: string[];
  try {
    if (!(await stat(classDir)).isDirectory()) throw Object.assign(new Error(`${classDir} is not a directory`), { code: 'ENOTDIR' });
    names = await readdir(classDir);
  } catch (error) {
    const code = codeOf(error) ?? 'EIO';
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new GpioError(
        `sysfs GPIO is not available: ${classDir} does not exist, so this kernel was built without CONFIG_GPIO_SYSFS (the legacy interface onoff drives; deprecated since Linux 4.8 and left out of some newer kernels). ` +
          'Use a kernel with CONFIG_GPIO_SYSFS=y (Raspberry Pi OS, BeagleBoard.org and UDOObuntu images have it), or run with --simulate to use simulated GPIO.',
        '', { code, cause: error },
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new GpioError(`cannot read ${classDir} (${code}): add the service user to the gpio group (Raspberry Pi OS) or install a udev rule that grants it`, '', { code, cause: error });
    }
    throw new GpioError(`cannot read ${classDir} (${code})`, '', { code, cause: error });
  }
  const chips: GpioChip[] = [];
  for (const name of names.filter((n) => /^gpiochip\d+$/.test(n))) {
    const dir = join(classDir, name);
    try {
      const [base, ngpio, label] = await Promise.all([readText(join(dir, 'base')), readText(join(dir, 'ngpio')), readText(join(dir, 'label'))]);
      chips.push({ name, base: Number(base), ngpio: Number(ngpio), label, devicePath: await realpath(dir).catch(() => dir) });
    } catch (error) {
      throw new GpioError(`cannot read ${dir}/{base,ngpio,label} (${codeOf(error) ?? 'EIO'})`, '', { code: codeOf(error), cause: error });
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

export function chipMatches(chip: GpioChip, match: ControllerMatch): boolean {
  if (match.kind === 'label') return match.labels.includes(chip.label);
  // `44e07000.gpio` as a path segment (or as gpio-mxc's label, which is the device name).
  const named = new RegExp(`^0*${match.address}\\.`, 'i');
  return [...chip.devicePath.split('/'), chip.label].some((segment) => named.test(segment));
}

function describeChips(chips: readonly GpioChip[]): string {
  if (chips.length === 0) return 'no gpiochip at all';
  return chips.map((c) => `${c.name} "${c.label}" ${c.base}–${c.base + c.ngpio - 1}`).join(', ');
}

/** Translate a pin name to its sysfs number using the chips read from sysfs. */
export function resolveLine(board: GpioBoard, pin: string, chips: readonly GpioChip[]): SysfsLine {
  const issue = pinIssue(board, pin);
  if (issue) throw new GpioError(`${issue.message} (${issue.hint})`, pin, { code: 'EINVAL' });
  if (board === 'generic') {
    const number = Number(pin);
    const chip = chips.find((c) => number >= c.base && number < c.base + c.ngpio);
    if (!chip) {
      throw new GpioError(
        `no GPIO chip holds line ${number}: the chips are ${describeChips(chips)}. On board "generic" a pin is the kernel's sysfs number (chip base + offset)`,
        pin, { code: 'ENODEV' },
      );
    }
    return { pin, number, chip };
  }
  const entry = findPin(board, pin)!;
  const chip = chips.find((c) => chipMatches(c, entry.controller));
  if (!chip) {
    throw new GpioError(
      `pin "${pin}" is ${entry.line} on ${entry.controller.describe}, but no such chip is in sysfs (found: ${describeChips(chips)}). ` +
        'Check that the board setting matches this board, or use board "generic" with the kernel number',
      pin, { code: 'ENODEV' },
    );
  }
  if (entry.offset >= chip.ngpio) {
    throw new GpioError(`pin "${pin}" is line ${entry.offset} but ${chip.name} ("${chip.label}") has only ${chip.ngpio} lines`, pin, { code: 'ENODEV' });
  }
  return { pin, number: chip.base + entry.offset, chip, entry };
}

/**
 * Fail early when none of the board's GPIO controllers is among the chips (the board setting does
 * not match this board, or its GPIO driver is not loaded). One missing bank is left to the pins on it.
 */
export function checkBoardChips(board: GpioBoard, chips: readonly GpioChip[]): void {
  const table = pinTable(board);
  if (!table) return;
  const controllers = [...new Set(table.pins.map((p) => p.controller))];
  if (controllers.some((controller) => chips.some((chip) => chipMatches(chip, controller)))) return;
  throw new GpioError(
    `board is "${board}" but none of its GPIO controllers is in sysfs (looked for ${controllers.map((c) => c.describe).slice(0, 2).join(', ')}${controllers.length > 2 ? ', …' : ''}; found ${describeChips(chips)}). ` +
      'Check the board setting, or use board "generic" with the kernel numbers',
    '', { code: 'ENODEV' },
  );
}

/** Read the chips under `sysfsRoot` and translate one pin. */
export async function sysfsLineNumber(board: GpioBoard, pin: string, options: { sysfsRoot?: string } = {}): Promise<number> {
  return resolveLine(board, pin, await readGpioChips(options.sysfsRoot)).number;
}
