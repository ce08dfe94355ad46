/**
 * The project stands on its own: no file it ships or tests with cites a path outside the
 * repository (a build machine's absolute path, a sibling folder of notes). Sources are cited as
 * what they are: a datasheet's section, a kernel document, a public repository's file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const OUTSIDE = [/\/work\//, /\.\.\/shared\//, /\bshared\/hardware\//, /\bshared\/STYLE/];

test('no file in the repository cites a path outside it', () => {
  const files = execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n').filter((f) => f && !f.endsWith('package-lock.json'));
  const found: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((line, i) => {
      if (OUTSIDE.some((pattern) => pattern.test(line))) found.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(found, []);
});
