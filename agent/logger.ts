/**
 * One line per event, fit for the journal: `LEVEL [component] message key=value …`. Logs go to
 * stderr so stdout stays clean for `edge-agent read`'s JSON lines.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with the syslog priority prefix (`<3>` …)
 * so `journalctl -p warning` filters properly, and the timestamp is left to the journal.
 */
import type { LogLevel } from './config/types.js';

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

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
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
    // Messages may carry text from the network: keep the one-line-per-event promise.
    const text = message.replace(/[\r\n]+/g, ' ');
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
