/** What every log line must be, whatever came from the network: one line, no raw unsafe character. */
import assert from 'node:assert/strict';

/** The characters agent/log/logger.ts never writes raw (it says why for each), and lone surrogate halves. */
export const RAW_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Lines as memoryLogger keeps them (the trailing newline trimmed). */
export function assertSafeLines(lines: readonly string[], context = ''): void {
  for (const line of lines) {
    assert.doesNotMatch(line, RAW_UNSAFE, `${context} a raw control or bidi character in: ${JSON.stringify(line)}`);
  }
}
