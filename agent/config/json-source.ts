/**
 * A configuration's JSON text as untrusted input: bytes → text → value, with every problem placed
 * at its key path (or the file's line and column) and nothing left for the engine to throw.
 *
 * - The file is read in bounded chunks: at most MAX_CONFIG_BYTES, so /dev/zero or a huge file is a
 *   problem, not an out-of-memory.
 * - The bytes must be UTF-8 (RFC 8259 §8.1): invalid bytes are named with the key they sit in,
 *   never turned into U+FFFD and accepted. A leading UTF-8 byte-order mark is ignored, which
 *   §8.1 allows a parser to do (Windows editors write one).
 * - Before JSON.parse sees the text, one iterative pass (no recursion, so no stack to overflow)
 *   checks the syntax and the nesting depth, and finds what JSON.parse would let through silently:
 *   numbers that are not finite doubles (1e309 becomes Infinity), strings longer than any setting,
 *   U+0000 and unpaired surrogates in strings, and keys given twice (JSON.parse keeps the last).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { ConfigProblem } from './config-error.js';
import { keyPath, printable } from './printable.js';

/** The examples are about 1 KiB; a board with hundreds of rules stays far below this. */
export const MAX_CONFIG_BYTES = 2 ** 20;
/** The deepest a valid configuration goes is 7 containers: {sensors: [{measurements: {altitude: {filters: [{…}]}}}]}. */
export const MAX_DEPTH = 32;
/**
 * No setting takes a longer string: MQTT strings (topics, client id, user name) are at most 65535
 * bytes (MQTT 3.1.1 §1.5.3), and every other string is far shorter.
 */
export const MAX_STRING_BYTES = 65535;

const SYNTAX_HINT = 'JSON wants double quotes, a comma between entries and none after the last, no comments';

/** Read at most `limit + 1` bytes: enough to know that a file is too large without reading it all. */
export function readBounded(file: string, limit = MAX_CONFIG_BYTES): { bytes: Buffer; tooLarge: boolean } {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(65536, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) return { bytes: Buffer.concat(chunks), tooLarge: true };
    }
    return { bytes: Buffer.concat(chunks), tooLarge: false };
  } finally {
    closeSync(fd);
  }
}

/**
 * Byte offsets where a UTF-8 decoder finds an error, one per U+FFFD the WHATWG decoder would write
 * (Encoding Standard §8.1.1, the UTF-8 decoder), so offsets map onto its lossy output; at most `max`.
 */
export function utf8ErrorOffsets(bytes: Uint8Array, max: number): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  const error = (at: number): void => {
    total++;
    if (offsets.length < max) offsets.push(at);
  };
  let needed = 0;
  let seen = 0;
  let lower = 0x80;
  let upper = 0xbf;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (needed === 0) {
      start = i;
      if (b <= 0x7f) continue;
      if (b >= 0xc2 && b <= 0xdf) needed = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f; // no surrogates
        needed = 2;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f; // nothing above U+10FFFF
        needed = 3;
      } else error(i);
      continue;
    }
    if (b < lower || b > upper) {
      needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      error(start);
      i--; // the byte starts over (the decoder "prepends" it)
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    if (++seen === needed) needed = seen = 0;
  }
  if (needed > 0) error(start);
  return { offsets, total };
}

/** Line and column (1-based, in characters) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export interface JsonScan {
  /** Offset of the first syntax error, or -1, and what was expected there. */
  syntaxErrorAt: number;
  syntaxReason: string;
  /** Where the nesting first went deeper than the limit (the scan stops there). */
  tooDeep: { path: string; offset: number } | null;
  /** Problems JSON.parse would not report (non-finite numbers, long strings, NUL, duplicate keys…). */
  problems: ConfigProblem[];
  /** The key path of the string (key or value) covering each of the offsets asked about. */
  pathsAt: Map<number, string>;
}

interface Frame {
  array: boolean;
  /** Path of the container itself. */
  path: string;
  /** Index of the next element (arrays) or the current key (objects). */
  index: number;
  key: string;
  keys: Set<string> | null;
}

/**
 * What no string in a configuration may be, whether from the file or the environment: longer than
 * any setting takes, holding U+0000, or holding half a surrogate pair (no UTF-8 form).
 */
export function stringProblem(value: string, what: 'key' | 'value' = 'value'): { message: string; hint: string } | null {
  // A UTF-16 unit is at most 3 bytes of UTF-8: only a long string can be too long.
  const bytes = value.length > MAX_STRING_BYTES / 3 ? Buffer.byteLength(value, 'utf8') : 0;
  if (what === 'value' && bytes > MAX_STRING_BYTES) {
    return { message: `a string of ${bytes} bytes`, hint: `no setting takes more than ${MAX_STRING_BYTES} bytes, the longest string MQTT has: MQTT 3.1.1 §1.5.3` };
  }
  if (value.includes('\u0000')) {
    return { message: `the ${what} contains U+0000 (NUL)`, hint: 'MQTT forbids U+0000 in topics and names, MQTT 3.1.1 §1.5.3, and a file path cannot hold it: remove the \\u0000' };
  }
  if (LONE_SURROGATE.test(value)) {
    return { message: `the ${what} contains an unpaired surrogate (\\ud800–\\udfff)`, hint: 'half a UTF-16 pair is no character and has no UTF-8 form: write the character itself, or both halves' };
  }
  return null;
}

/** The message of a key given twice (the loader still checks the value JSON.parse keeps). */
export const DUPLICATE_KEY = 'given twice in the same object';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * One pass over JSON text without recursion: syntax, depth, and what JSON.parse lets through.
 * `at` lists character offsets whose key path is wanted (where invalid UTF-8 was).
 */
export function scanJson(text: string, options: { maxDepth?: number; at?: readonly number[] } = {}): JsonScan {
  const maxDepth = options.maxDepth ?? MAX_DEPTH;
  const wanted = [...(options.at ?? [])];
  const result: JsonScan = { syntaxErrorAt: -1, syntaxReason: '', tooDeep: null, problems: [], pathsAt: new Map() };
  const stack: Frame[] = [];
  const here = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.array ? `${top.path}[${top.index}]` : keyPath(top.path, top.key);
  };
  const n = text.length;
  let i = 0;
  const ws = (): void => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
    }
  };
  let reason = '';
  /** The string token at i (start and end offsets), or null at a syntax error (i is left there). */
  const string = (): { start: number; end: number; escaped: boolean } | null => {
    const start = i;
    let escaped = false;
    i++;
    for (;;) {
      if (i >= n) {
        reason = 'the string is not closed';
        return null;
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) return { start, end: ++i, escaped };
      if (c < 0x20) {
        reason = c === 0x0a ? 'a line break inside a string (write \\n)' : 'a control character inside a string (write it as \\u00XX)';
        return null;
      }
      if (c === 0x5c) {
        escaped = true;
        const e = text[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && e !== 'u' && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          reason = 'a backslash that starts no escape (write \\\\ for a backslash)';
          return null;
        }
      } else i++;
    }
  };
  const decode = (token: { start: number; end: number; escaped: boolean }): string => (token.escaped ? (JSON.parse(text.slice(token.start, token.end)) as string) : text.slice(token.start + 1, token.end - 1));
  const note = (token: { start: number; end: number }, path: string): void => {
    for (let k = wanted.length - 1; k >= 0; k--) {
      if (wanted[k]! >= token.start && wanted[k]! < token.end) {
        result.pathsAt.set(wanted[k]!, path);
        wanted.splice(k, 1);
      }
    }
  };
  /** What JSON.parse accepts in a string but no setting can use. */
  const checkString = (token: { start: number; end: number; escaped: boolean }, path: string, what: 'key' | 'value'): void => {
    const problem = stringProblem(decode(token), what);
    if (problem) result.problems.push({ path: path || '(top level)', ...problem });
  };
  const fail = (expected?: string): JsonScan => {
    result.syntaxErrorAt = Math.min(i, n);
    result.syntaxReason = i >= n && expected !== undefined ? 'the text ends early' : (expected ?? reason);
    return result;
  };

  // The states of a JSON reader: a value is wanted, a key, a colon, or what follows a value.
  let state: 'value' | 'firstValue' | 'firstKey' | 'key' | 'colon' | 'after' = 'value';
  for (;;) {
    ws();
    switch (state) {
      case 'firstValue':
        if (text[i] === ']') {
          i++;
          stack.pop();
          state = 'after';
        } else state = 'value';
        continue;
      case 'firstKey':
        if (text[i] === '}') {
          i++;
          stack.pop();
          state = 'after';
        } else state = 'key';
        continue;
      case 'key': {
        if (text[i] !== '"') return fail('expected a key in double quotes');
        const token = string();
        if (!token) return fail();
        const top = stack[stack.length - 1]!;
        top.key = decode(token);
        const path = here();
        note(token, path);
        checkString(token, path, 'key');
        if (top.keys!.has(top.key)) result.problems.push({ path, message: DUPLICATE_KEY, hint: 'JSON keeps only the last one, so the first is silently ignored: keep one' });
        else top.keys!.add(top.key);
        state = 'colon';
        continue;
      }
      case 'colon':
        if (text[i] !== ':') return fail('expected : after the key');
        i++;
        state = 'value';
        continue;
      case 'value': {
        const c = text[i];
        if (c === '{' || c === '[') {
          if (stack.length >= maxDepth) {
            // The path down to a depth no setting reaches is enough to find it, and stays short.
            result.tooDeep = { path: `${stack[Math.min(6, stack.length - 1)]!.path}…`, offset: i };
            return result;
          }
          const path = here();
          i++;
          const array = c === '[';
          stack.push({ array, path, index: 0, key: '', keys: array ? null : new Set() });
          state = array ? 'firstValue' : 'firstKey';
          continue;
        }
        if (c === '"') {
          const token = string();
          if (!token) return fail();
          const path = here();
          note(token, path);
          checkString(token, path, 'value');
          state = 'after';
          continue;
        }
        NUMBER.lastIndex = i;
        const number = NUMBER.exec(text);
        if (number) {
          i += number[0].length;
          if (!Number.isFinite(Number(number[0]))) {
            result.problems.push({ path: here() || '(top level)', message: `${printable(number[0], 40)} is not a finite number`, hint: 'it is beyond the range of a double (about 1.8e308); write the number the setting wants' });
          }
          state = 'after';
          continue;
        }
        LITERAL.lastIndex = i;
        const literal = LITERAL.exec(text);
        if (!literal) return fail(c === "'" ? 'single quotes: JSON strings take double quotes' : 'expected a value (an object, array, string, number, true, false or null)');
        i += literal[0].length;
        state = 'after';
        continue;
      }
      case 'after': {
        const top = stack[stack.length - 1];
        if (!top) return i < n ? fail('more text after the end of the configuration') : result;
        const c = text[i];
        if (c === ',') {
          i++;
          if (top.array) {
            top.index++;
            state = 'value';
          } else state = 'key';
        } else if (c === (top.array ? ']' : '}')) {
          i++;
          stack.pop();
        } else return fail(top.array ? 'expected , or ] after an element' : 'expected , or } after a value');
        continue;
      }
    }
  }
}

/** A JSON syntax error as a problem at the file's line and column. */
function syntaxProblem(text: string, offset: number, reason: string, source: string): ConfigProblem {
  const { line, column } = lineColumn(text, offset);
  const near = text.slice(offset, offset + 20).split('\n')[0] ?? '';
  return {
    path: `${source}:${line}:${column}`,
    message: `JSON syntax error at line ${line}, column ${column}: ${reason}`,
    hint: `${near ? `near ${printable(JSON.stringify(near), 40)}; ` : 'the text ends early; '}${SYNTAX_HINT}`,
  };
}

/** Decode bytes as UTF-8 (a leading BOM dropped); invalid bytes become problems at their key paths. */
export function decodeConfig(bytes: Uint8Array, source: string): { text: string } | { problems: ConfigProblem[] } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // fall through: find and name the invalid bytes
  }
  const hint = 'save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 FILE > FILE.new); the agent does not guess encodings';
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problems: [{ path: source, message: 'the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8', hint }] };
  }
  const lossy = new TextDecoder('utf-8');
  const { offsets, total } = utf8ErrorOffsets(bytes, 20);
  const at = offsets.map((byte) => ({ byte, char: lossy.decode(bytes.subarray(0, byte)).length }));
  const text = lossy.decode(bytes);
  const { pathsAt } = scanJson(text, { at: at.map((a) => a.char) });
  const problems: ConfigProblem[] = [];
  const named = new Set<string>();
  for (const { byte, char } of at) {
    const path = pathsAt.get(char) ?? null;
    if (path !== null && named.has(path)) continue;
    const { line, column } = lineColumn(text, char);
    const value = bytes[byte]!.toString(16).toUpperCase().padStart(2, '0');
    problems.push({ path: path || `${source}:${line}:${column}`, message: `not valid UTF-8: byte 0x${value} at line ${line}, column ${column}`, hint });
    if (path !== null) named.add(path);
  }
  if (total > offsets.length) problems.push({ path: source, message: `${total - offsets.length} more invalid UTF-8 sequences`, hint });
  return { problems };
}

/**
 * Parse configuration text: the scan first (syntax, depth, values JSON.parse lets through), then
 * JSON.parse on text the scan accepted. `problems` may come with a value: they are about single
 * keys, and the loader checks the rest too.
 */
export function parseConfigText(text: string, source: string): { value: unknown; problems: ConfigProblem[] } | { value?: undefined; problems: ConfigProblem[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { value: {}, problems: [] };
  const scan = scanJson(body);
  if (scan.tooDeep) {
    const { line, column } = lineColumn(body, scan.tooDeep.offset);
    return {
      problems: [{
        path: scan.tooDeep.path === '…' ? source : scan.tooDeep.path,
        message: `nested deeper than ${MAX_DEPTH} levels (at line ${line}, column ${column})`,
        hint: 'no setting is nested more than 7 levels deep: this is not a configuration',
      }],
    };
  }
  if (scan.syntaxErrorAt >= 0) return { problems: [syntaxProblem(body, scan.syntaxErrorAt, scan.syntaxReason, source)] };
  try {
    return { value: JSON.parse(body) as unknown, problems: scan.problems };
  } catch {
    // The scan accepts exactly JSON's grammar; this is only reached if the two ever disagree.
    return { problems: [{ path: source, message: 'could not be parsed as JSON', hint: SYNTAX_HINT }] };
  }
}

/** Read and parse a configuration file; file-level problems (not found, too large, not UTF-8) included. */
export function readConfigFile(file: string): { value: unknown; problems: ConfigProblem[] } | { value?: undefined; problems: ConfigProblem[] } {
  let read: { bytes: Buffer; tooLarge: boolean };
  try {
    read = readBounded(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const message = code === 'ENOENT' ? 'file not found'
      : code === 'EISDIR' ? 'is a directory, not a file'
        : code === 'EACCES' ? 'permission denied'
          : `cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
    return { problems: [{ path: file, message, hint: `check the path (relative paths start at ${process.cwd()}); example configurations are in config/` }] };
  }
  if (read.tooLarge) {
    return { problems: [{ path: file, message: `larger than ${MAX_CONFIG_BYTES / 2 ** 20} MiB`, hint: 'a configuration is a few KiB: check that this is the right file' }] };
  }
  const decoded = decodeConfig(read.bytes, file);
  if ('problems' in decoded) return { problems: decoded.problems };
  return parseConfigText(decoded.text, file);
}
