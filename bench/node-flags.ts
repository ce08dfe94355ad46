/**
 * The Node.js flags the agent ships with, read from the shebang of the CLI (`#!/usr/bin/env -S
 * node FLAGS`), so the bench runs the agent exactly as `edge-agent` starts (and fails loudly if
 * the shebang changes shape). The naive peer and the floor run with none: what a user would write.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function shebangFlags(firstLine: string): string[] {
  const match = /^#!\/usr\/bin\/env(?: -S)? node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(firstLine);
  if (!match) throw new Error(`cannot read node flags from the CLI's first line: ${firstLine}`);
  return match[1]!.trim().split(/\s+/).filter(Boolean);
}

export function agentNodeFlags(): string[] {
  const cli = fileURLToPath(new URL('../agent/cli.js', import.meta.url));
  return shebangFlags(readFileSync(cli, 'utf8').split('\n', 1)[0]!);
}
