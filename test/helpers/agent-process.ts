/** Runs the built CLI (`dist/agent/cli.js`) as a separate process, as a user or systemd would. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './temp-dir.js';

export const CLI = resolve('dist/agent/cli.js');

export interface AgentProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** `prefix`: a command the agent runs under (e.g. nsenter into a test's mount namespace). */
export function startAgent(args: string[], env: Record<string, string> = {}, prefix: string[] = []): AgentProcess {
  const [command, ...rest] = [...prefix, process.execPath, CLI, ...args];
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer): void => {
    output += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, timeoutMs = 10_000) =>
      new Promise((resolvePromise, reject) => {
        const check = (): boolean => {
          const match = output.match(pattern);
          if (match) resolvePromise(match[0]);
          return Boolean(match);
        };
        if (check()) return;
        const timer = setTimeout(() => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
        waiters.push(() => {
          if (check()) clearTimeout(timer);
        });
      }),
  };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}, prefix: string[] = []): CliResult {
  const [command, ...rest] = [...prefix, process.execPath, CLI, ...args];
  const result = spawnSync(command!, rest, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function writeTempConfig(config: unknown): string {
  const dir = tempDir('config');
  const file = join(dir, 'agent.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** SIGTERM, as systemd stops the unit; resolves with the exit code. */
export async function stopAgent(agent: AgentProcess): Promise<number | null> {
  if (agent.child.exitCode === null) agent.child.kill('SIGTERM');
  return agent.exited;
}

/**
 * Agents run as their own processes against a test's broker: `run` starts one with `--broker`, and
 * `killAll` (in the suite's `after`) kills whatever a failed test left running.
 */
export function agentsAgainst(brokerUrl: () => string): { run(config: string): AgentProcess; killAll(): void } {
  const running: AgentProcess[] = [];
  return {
    run(config) {
      const agent = startAgent(['run', '--config', config, '--broker', brokerUrl()]);
      running.push(agent);
      return agent;
    },
    killAll() {
      for (const agent of running) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    },
  };
}
