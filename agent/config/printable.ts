/**
 * Text from a configuration shown back to a person: in problems, on a terminal, in the journal.
 * The file is untrusted, so what it holds is escaped (control characters, terminal escapes,
 * line and bidirectional-override characters), shortened, and never taken for the message itself.
 * A leaf module: formats, actions, filters and the loader all use it.
 */

/**
 * C0 and C1 control characters (an ESC or a C1 CSI can drive a terminal), DEL, the line and paragraph
 * separators, bidirectional overrides and isolates (they reorder what a reader sees), the BOM, and
 * unpaired surrogates (no UTF-8 form).
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with unprintable characters escaped, cut to about `max` characters with "…". */
export function printable(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replace(UNPRINTABLE, escape);
}

/** A value as it appears in a message: JSON, shortened, escaped. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'number' && !Number.isFinite(value)) text = String(value); // JSON would say null
  else {
    try {
      text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value);
    } catch {
      text = typeof value; // JSON.stringify throws only on cycles and BigInt: no config value has either
    }
  }
  return printable(text.length > 60 ? `${text.slice(0, 57)}...` : text, 80);
}

/** A key that reads well after a dot: what every schema key looks like. */
const PLAIN_KEY = /^[A-Za-z_$][\w$-]{0,63}$/;

/**
 * The path of `key` inside `prefix`, as problems name it: `mqtt.url`, `sensors[0].name`; a key that
 * is not plain (a dot, a space, a control character, very long) is quoted: `mqtt["u.rl"]`.
 */
export function keyPath(prefix: string, key: string): string {
  if (PLAIN_KEY.test(key)) return prefix ? `${prefix}.${key}` : key;
  const shown = key.length > 40 ? `${key.slice(0, 39)}…` : key;
  return `${prefix}[${printable(JSON.stringify(shown), 60)}]`;
}

/** A key as it appears inside a message (unknown key '…'). */
export function showKey(key: string): string {
  return PLAIN_KEY.test(key) ? key : printable(JSON.stringify(key.length > 40 ? `${key.slice(0, 39)}…` : key), 60);
}
