/**
 * One line per event, fit for the journal: `LEVEL [component] message key=value …`. Logs go to
 * stderr so stdout stays clean for `edge-agent read`'s JSON lines.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with the syslog priority prefix (`<3>` …)
 * so `journalctl -p warning` filters properly, and the timestamp is left to the journal.
 */
import type { LogLevel } from '../config/types.js';

export type { LogLevel };

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const SYSLOG_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  child(component: string): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level: LogLevel;
  sink?: LogSink;
  /** Prefix lines with `<N>` syslog priorities and omit timestamps (running under journald). */
  journal?: boolean;
  /** Stamp each line with the wall-clock time (off under journald, which stamps lines itself). */
  now?: () => number;
  /** Text before every line, e.g. a board label in the demo. */
  prefix?: string;
}

/**
 * Characters that never reach a log line raw: C0 controls (ESC starts terminal escape sequences,
 * CR/LF would start a forged line), DEL, C1 controls (0x9B is a one-byte CSI on terminals that
 * take 8-bit controls, ECMA-48 §5.4), U+2028/2029 (line and paragraph separators: a new line to a
 * Unicode-aware viewer), the bidirectional marks, embeddings, overrides and isolates (UAX #9 §2;
 * "Trojan Source", CVE-2021-42574: text shown in another order than it was written), and lone
 * surrogates (not text at all). Each is written as a `\uXXXX` escape instead.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (c: string): string => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every unsafe character escaped (for message text, which is not quoted). */
export function escapeLogText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * `text` as a quoted, escaped log value: `"…"` with `\` and `"` escaped too, so the line reads back
 * unambiguously (it is also a valid JSON string). For text from the network inside a message.
 */
export function quoteLogText(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`).replace(UNSAFE, escapeChar)}"`;
}

/** Left bare only when nothing in it could be misread: no space, quote, `=`, backslash or unsafe character. */
const BARE = /^[^\s"=\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]+$/;

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  return BARE.test(value) ? value : quoteLogText(value);
}

export function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out += ` ${key}=${formatValue(value)}`;
  }
  return out;
}

export function createLogger(options: LoggerOptions, component?: string): Logger {
  const sink = options.sink ?? { write: (line: string) => process.stderr.write(line) };
  const threshold = RANK[options.level];

  const emit = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[level] > threshold) return;
    const head = options.journal
      ? `<${SYSLOG_PRIORITY[level]}>`
      : options.now
        ? `${new Date(options.now()).toISOString()} `
        : '';
    const where = component ? `[${component}] ` : '';
    // Messages may carry text from the network (quoted by whoever put it there, quoteLogText): this
    // keeps the one-line-per-event promise and the terminal safe even where that was forgotten.
    const text = escapeLogText(message);
    sink.write(`${head}${options.prefix ?? ''}${level.toUpperCase().padEnd(5)} ${where}${text}${formatFields(fields)}\n`);
  };

  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    child: (name) => createLogger(options, component ? `${component}/${name}` : name),
    enabled: (level) => RANK[level] <= threshold,
  };
}

/** A logger that keeps lines in memory: for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, sink: { write: (line) => lines.push(line.trimEnd()) } });
  return Object.assign(logger, { lines });
}
