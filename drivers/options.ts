/**
 * The words a driver describes its options in: each of its `settings` and `simulation` keys is a
 * kind of value, a default and one sentence of documentation. The driver says what is allowed; how
 * a configuration file is read, checked and documented is agent/config's business, which turns
 * these into schema keys, problems with key paths, and rows of the generated reference.
 */

/** One thing wrong with a value: `key` names a part of it (a word of a calibration object). */
export interface OptionIssue {
  key?: string;
  message: string;
  hint: string;
}

/**
 * How a driver's own check quotes the value back to a person: the configuration's escaping, so a
 * hostile file cannot put terminal escapes into a message through a driver.
 */
export interface OptionText {
  /** A value as it is written in JSON ("x64", 8192), escaped and shortened. */
  show(value: unknown): string;
  /** A key from the file, escaped. */
  key(name: string): string;
  /** The path of a sub-key inside the value (`dig_T1`, `["odd key"]`). */
  keyPath(name: string): string;
  /** The candidate nearest to a misspelt word, if one is near enough to suggest. */
  closest(word: string, candidates: readonly string[]): string | undefined;
}

/** One of a fixed list. `what` names it in messages ("BMP388 oversampling"). */
export interface ChoiceKind {
  kind: 'choice';
  what: string;
  values: readonly (string | number)[];
  /** Other spellings accepted, compared case-insensitively: { mbar: 'hPa' }. */
  aliases?: Readonly<Record<string, string | number>>;
}

/** A number from `min` to `max`; `hint` says what it means ("in Pa (QNH), standard atmosphere 101325"). */
export interface NumberKind {
  kind: 'number';
  what: string;
  min: number;
  max: number;
  hint: string;
  integer?: boolean;
  /**
   * A unit people write by mistake, and its factor to the right one: for a pressure in Pa,
   * { unit: 'Pa', mistaken: { unit: 'hPa', factor: 100 } } answers 1013 with "looks like hPa".
   */
  unit?: string;
  mistaken?: { unit: string; factor: number };
}

/** Anything else: the driver checks it itself and says what the reference shows as allowed. */
export interface CheckedKind {
  kind: 'checked';
  allowed: string;
  check(value: unknown, text: OptionText): OptionIssue[];
}

export type OptionKind = ChoiceKind | NumberKind | CheckedKind;

/** One option: a leaf of an option table. `nullable`: null is a value ("not set"), not "missing". */
export interface Option<T = unknown> {
  doc: string;
  type: OptionKind;
  default: T;
  nullable?: boolean;
}

type PlainObject = Record<string, unknown>;

/**
 * The options of a settings type T, key for key: a leaf for each value, or a nested table for an
 * object of several options (`oversampling.temperature`). The compiler holds table and type to
 * each other: a key missing from either, or a default of the wrong type, does not build.
 */
export type OptionTable<T> = { readonly [K in keyof T]-?: OptionEntry<T[K]> };
// An object with an index signature (calibration words by name) is one option, not a table.
type OptionEntry<V> = Option<V> | ([V] extends [PlainObject] ? (string extends keyof V ? never : OptionTable<V>) : never);

export function isOption(entry: unknown): entry is Option {
  return typeof entry === 'object' && entry !== null && Object.prototype.hasOwnProperty.call(entry, 'type') && Object.prototype.hasOwnProperty.call(entry, 'default');
}

/** Every leaf of a table with its dotted path, in declaration order. */
export function optionLeaves(table: object, prefix = ''): Array<[string, Option]> {
  return Object.entries(table).flatMap(([key, entry]): Array<[string, Option]> => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isOption(entry) ? [[path, entry]] : optionLeaves(entry as object, path);
  });
}

/** A choice among the keys of a driver's own table (names to register codes): one list, one source. */
export function choiceOf<K extends string>(what: string, table: Readonly<Record<K, unknown>>): ChoiceKind {
  return { kind: 'choice', what, values: Object.keys(table) };
}
