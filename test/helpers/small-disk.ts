/**
 * A small disk for one test: a tmpfs of a few hundred KiB, mounted in a mount namespace of its own
 * (unshare), so nothing on the machine sees it and it vanishes with its holder process, which the
 * kernel kills if the test process dies (setpriv --pdeathsig). The agent runs inside it through
 * nsenter; a full disk, a read-only one, or a file filling it are then real, not simulated.
 * Needs root (CI runs as root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

export interface SmallDisk {
  /** The mount point (as seen inside the namespace). */
  readonly dir: string;
  /** A command prefix that runs a program inside the namespace. */
  readonly prefix: string[];
  /** Run a command inside the namespace; its stdout. */
  exec(command: string[]): string;
  /** Fill the disk with a file, leaving about `leaveKiB` free. */
  fill(name: string, leaveKiB?: number): void;
  freeKiB(): number;
  close(): Promise<void>;
}

export async function mountSmallDisk(options: { sizeKiB: number; readOnly?: boolean }): Promise<SmallDisk> {
  if (process.getuid?.() !== 0) throw new Error('a small-disk test mounts a tmpfs: run the tests as root (as CI does)');
  const dir = tempDir('disk');
  const flags = `size=${options.sizeKiB}k${options.readOnly ? ',ro' : ''}`;
  const holder: ChildProcess = spawn(
    'setpriv',
    ['--pdeathsig', 'SIGKILL', 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o ${flags} edge-agent-test "$0" && echo ready && exec sleep 86400`, dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('ready')) resolve();
    });
    holder.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    holder.once('exit', (code) => reject(new Error(`could not mount a tmpfs (exit ${code}): ${output}`)));
  });
  const prefix = ['nsenter', '-t', String(holder.pid), '-m', '--'];
  const exec = (command: string[]): string => execFileSync(prefix[0]!, [...prefix.slice(1), ...command], { encoding: 'utf8' });
  const freeKiB = (): number => Number(exec(['df', '--output=avail', '-k', dir]).trim().split('\n').pop());
  return {
    dir,
    prefix,
    exec,
    freeKiB,
    fill: (name, leaveKiB = 0) => {
      const count = Math.max(0, freeKiB() - leaveKiB);
      try {
        exec(['dd', 'if=/dev/zero', `of=${join(dir, name)}`, 'bs=1k', `count=${count}`, 'status=none']);
      } catch {
        // "No space left on device" once it is full: what was asked for
      }
    },
    close: async () => {
      if (holder.exitCode === null && holder.signalCode === null) {
        const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
        holder.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
