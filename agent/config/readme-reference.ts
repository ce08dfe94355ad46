/**
 * Keeps the README's configuration reference in step with the schema: the text between the two
 * markers is `renderConfigReference()`'s output. `npm run docs` rewrites it; a test fails when the
 * README is stale, so the schema stays the one place a setting is described.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { renderConfigReference } from './describe.js';

export const REFERENCE_START = '<!-- config-reference:start -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

/** The README with its reference section replaced; throws if the markers are missing. */
export function spliceReference(readme: string, reference: string = renderConfigReference()): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) {
    throw new Error(`README has no ${REFERENCE_START} … ${REFERENCE_END} section to fill`);
  }
  return `${readme.slice(0, start + REFERENCE_START.length)}\n${reference.trimEnd()}\n${readme.slice(end)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'README.md';
  const before = readFileSync(file, 'utf8');
  const after = spliceReference(before);
  if (after !== before) writeFileSync(file, after);
  process.stdout.write(`${file}: configuration reference ${after === before ? 'already current' : 'updated'}\n`);
}
