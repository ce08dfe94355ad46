/**
 * Pin names per board profile: which names a config may use, what each one is, and why a name is
 * refused. Pure functions over the tables in ./boards/, so the config validation can call them
 * without touching hardware. Finding the kernel's number for a pin is chip-base.ts's job.
 */
import type { BoardPinTable, PinEntry } from './pin-table.js';
import { BEAGLEBONE_BLACK_PINS } from './boards/beaglebone-black.js';
import { RASPBERRY_PI_PINS } from './boards/raspberry-pi.js';
import { UDOO_NEO_PINS } from './boards/udoo-neo.js';

/** Same values as the config's `board` (agent/config/types.ts), kept here so drivers need no agent code. */
export type GpioBoard = 'raspberry-pi' | 'beaglebone-black' | 'udoo-neo' | 'generic';

export type { PinEntry } from './pin-table.js';

const TABLES: Readonly<Record<Exclude<GpioBoard, 'generic'>, BoardPinTable>> = {
  'raspberry-pi': RASPBERRY_PI_PINS,
  'beaglebone-black': BEAGLEBONE_BLACK_PINS,
  'udoo-neo': UDOO_NEO_PINS,
};

/** On `generic` a name is the kernel's own sysfs line number, passed through as written. */
const GENERIC_NUMBER = /^(0|[1-9]\d{0,4})$/;

export interface PinIssue {
  message: string;
  hint: string;
}

export function pinTable(board: GpioBoard): BoardPinTable | undefined {
  return board === 'generic' ? undefined : TABLES[board];
}

/** The table entry for a name exactly as the config writes it (unusable pins included). */
export function findPin(board: GpioBoard, name: string): PinEntry | undefined {
  return pinTable(board)?.pins.find((p) => p.name === name);
}

/** Names that may be claimed as GPIO on the board (empty for `generic`: any kernel number). */
export function knownPins(board: GpioBoard): string[] {
  return pinTable(board)?.pins.filter((p) => !p.unusable).map((p) => p.name) ?? [];
}

function examples(board: GpioBoard): string {
  const names = knownPins(board);
  return [...names.slice(0, 3), names[names.length - 1]].map((n) => `"${n}"`).join(', ');
}

/** Why `name` cannot be a GPIO on `board`, with a hint; null when it can. */
export function pinIssue(board: GpioBoard, name: unknown): PinIssue | null {
  if (typeof name !== 'string' || name.trim() === '') {
    return { message: `pin ${JSON.stringify(name) ?? String(name)} is not a pin name`, hint: `give the pin as a string, e.g. ${board === 'generic' ? '"17"' : examples(board)}` };
  }
  if (board === 'generic') {
    if (GENERIC_NUMBER.test(name)) return null;
    return { message: `"${name}" is not a kernel GPIO number`, hint: 'on board "generic" a pin is the sysfs line number as the kernel gives it (see /sys/kernel/debug/gpio), e.g. "529"; or set board to raspberry-pi, beaglebone-black or udoo-neo to use its pin names' };
  }
  const table = TABLES[board];
  const entry = table.pins.find((p) => p.name === name);
  if (entry?.unusable) return { message: `pin "${name}" (${entry.where}, ${entry.line}) cannot be used as a GPIO: ${entry.unusable.reason}`, hint: entry.unusable.hint };
  if (entry) return null;
  const trimmed = name.trim();
  if (trimmed !== name && table.pins.some((p) => p.name === trimmed)) return { message: `pin "${name}" has spaces around it`, hint: `write "${trimmed}"` };
  const alias = table.aliases?.(name);
  if (alias) return { message: `"${name}" is not a pin name on ${board}`, hint: `${alias}; names are ${table.naming}` };
  return { message: `"${name}" is not a known pin on ${board}`, hint: `names are ${table.naming}; usable here: ${examples(board)} …` };
}

/** `pinIssue` as one line ("message (hint)"), for callers that only need text. */
export function pinProblem(board: GpioBoard, name: unknown): string | null {
  const issue = pinIssue(board, name);
  return issue ? `${issue.message} (${issue.hint})` : null;
}
