/**
 * Temporary directories for tests, removed when the test file's process exits (node --test runs
 * each file in a process of its own), whether its tests passed, failed or threw. `npm test` runs
 * the suite with a TMPDIR of its own and fails if anything is left in it (test/run.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `edge-agent-${name}-`));
  if (made.length === 0) process.once('exit', removeAll);
  made.push(dir);
  return dir;
}

function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
