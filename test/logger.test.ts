/**
 * Log lines are read in terminals and the journal: text from the network must not bring control
 * characters (a raw ESC drives the terminal, a raw newline forges a line), line separators or bidi
 * overrides along. Values are quoted and escaped; message text is escaped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, escapeLogText, formatFields, memoryLogger, quoteLogText } from '../agent/log/logger.js';
import { RAW_UNSAFE } from './helpers/log-lines.js';

/** Every character a log line must never carry raw (agent/log/logger.ts says why for each). */
const UNSAFE_CHARS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
].map((code) => String.fromCharCode(code));

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', sink: { write: (line) => lines.push(line) } }, 'inbox') };
}

test('every unsafe character is escaped in field values, which are then quoted and read back as they were', () => {
  for (const c of UNSAFE_CHARS) {
    const { lines, logger } = capture();
    logger.warn('dropped', { payload: `a${c}b`, topic: `t${c}` });
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.ok(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, `U+${c.charCodeAt(0).toString(16)}: one line`);
    assert.doesNotMatch(line.slice(0, -1), RAW_UNSAFE, `U+${c.charCodeAt(0).toString(16)} escaped`);
    const payload = /payload=("(?:[^"\\]|\\.)*")/.exec(line)?.[1];
    assert.ok(payload, line);
    assert.equal(JSON.parse(payload) as string, `a${c}b`, 'the quoted value is a JSON string of what came');
  }
});

test('message text is escaped too: no raw ESC, CR, LF, NEL, separators or overrides reach the line', () => {
  const { lines, logger } = capture();
  logger.info(`door \u001b[2Jopen\r\nWARN  [inbox] forged\u0085\u2028\u202e`);
  assert.equal(lines.length, 1);
  assert.equal(lines[0], 'INFO  [inbox] door \\u001b[2Jopen\\r\\nWARN  [inbox] forged\\u0085\\u2028\\u202e\n');
});

test('lone surrogates are escaped; real characters outside ASCII are kept', () => {
  assert.equal(escapeLogText('x\ud800y\udc00z'), 'x\\ud800y\\udc00z');
  assert.equal(escapeLogText('°C ✓ 😀'), '°C ✓ 😀');
  assert.equal(formatFields({ unit: '°C' }), ' unit=°C', 'plain text stays bare');
  assert.equal(formatFields({ v: '😀' }), ' v="😀"');
});

test('a value that could be misread is quoted: spaces, quotes, =, backslashes', () => {
  assert.equal(formatFields({ a: 'x y', b: 'k=v', c: 'say "hi"', d: 'C:\\x', e: '', f: 'plain/topic-1', g: 3, h: null }), ' a="x y" b="k=v" c="say \\"hi\\"" d="C:\\\\x" e="" f=plain/topic-1 g=3 h=null');
  assert.equal(quoteLogText('a"b\\c\u001bd'), '"a\\"b\\\\c\\u001bd"');
});

test('memoryLogger lines are the same lines', () => {
  const logger = memoryLogger();
  logger.warn('x', { payload: '\u001b' });
  assert.deepEqual(logger.lines, ['WARN  x payload="\\u001b"']);
});
