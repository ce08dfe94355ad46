/**
 * The docs are part of the product: the README is a front page that opens with the two commands,
 * the configuration reference is the one rendered from the schema, every command and link they
 * name exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { spliceReference } from '../agent/config/readme-reference.js';

const readme = readFileSync('README.md', 'utf8');
const docs = readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f));
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

test('the configuration reference is the one rendered from the schema (npm run docs)', () => {
  const reference = readFileSync('docs/configuration.md', 'utf8');
  assert.equal(spliceReference(reference), reference, 'docs/configuration.md is stale: run `npm run docs` and commit the result');
});

test('the README is a front page: the demo and the test command on its first screen, under 250 lines', () => {
  const firstScreen = readme.split('\n').slice(0, 25).join('\n');
  assert.match(firstScreen, /npm install && npm start/);
  assert.match(firstScreen, /npm test/);
  assert.ok(readme.split('\n').length < 250, `README.md has ${readme.split('\n').length} lines`);
});

test('every npm script the README and the docs name exists, and every link they make leads somewhere', () => {
  for (const file of ['README.md', ...docs]) {
    const text = readFileSync(file, 'utf8');
    for (const [, script] of text.matchAll(/npm run ([a-z][\w:-]*)/g)) {
      assert.ok(script! in pkg.scripts, `${file} mentions npm run ${script}, which package.json does not define`);
    }
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // http(s) links are not checked here
      assert.ok(existsSync(join(dirname(file), target!)), `${file} links to ${target}, which does not exist`);
    }
  }
});
