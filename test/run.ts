/**
 * `npm test`: the whole suite (or the files given) under node --test, with a TMPDIR of its own.
 * Afterwards anything a test left in it fails the run, by name: tests clean up after themselves.
 * The directory is removed either way, so a failing run leaves nothing behind on the machine.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2);
const tests = files.length > 0 ? files : readdirSync(here).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(here, f));
const root = mkdtempSync(join(tmpdir(), 'edge-agent-tests-'));
// Brokers the tests start drop to their own users (mosquitto, rabbitmq): they must get through.
chmodSync(root, 0o755);
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...tests], { stdio: 'inherit', env: { ...process.env, TMPDIR: root } });
const left = readdirSync(root);
rmSync(root, { recursive: true, force: true });
if (left.length > 0) {
  process.stderr.write(`\nnpm test: the tests left ${left.length} temporary entr${left.length === 1 ? 'y' : 'ies'} behind: ${left.join(' ')}\n`);
  process.exit(run.status === 0 ? 1 : (run.status ?? 1));
}
process.exit(run.status ?? 1);
