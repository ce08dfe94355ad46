/** The README is part of the product: its reference must match the schema, its commands must exist. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { spliceReference } from '../agent/config/readme-reference.js';

const readme = readFileSync('README.md', 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

test('the README configuration reference is the one rendered from the schema (npm run docs)', () => {
  assert.equal(spliceReference(readme), readme, 'README.md is stale: run `npm run docs` and commit the result');
});

test('the README opens with the demo and the test command, and every npm script it names exists', () => {
  const firstScreen = readme.split('\n').slice(0, 25).join('\n');
  assert.match(firstScreen, /npm install && npm start/);
  assert.match(firstScreen, /npm test/);
  for (const [, script] of readme.matchAll(/npm run ([a-z][\w:-]*)/g)) {
    assert.ok(script! in pkg.scripts, `README mentions npm run ${script}, which package.json does not define`);
  }
});
