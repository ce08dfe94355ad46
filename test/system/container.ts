/**
 * A Debian bookworm system booted under systemd-nspawn, for the system test: a real systemd 252
 * (Raspberry Pi OS bookworm's version) as PID 1, driven from outside with nsenter.
 *
 * How (each flag found necessary by trying on this kind of machine):
 * - SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: the container's systemd gets cgroup v2, where device
 *   access is enforced by BPF programs; --capability=CAP_BPF and --system-call-filter=bpf let it
 *   load them (without them DevicePolicy=closed is silently not enforced);
 * - --register=no --keep-unit: no systemd-machined on the host (so no machinectl: stop() kills
 *   the container's PID 1, which ends every process in its PID namespace);
 * - --private-network: the container cannot reach anything but its own loopback (its Mosquitto);
 * - --volatile=overlay: the cached root filesystem is the lower layer of an overlay whose upper
 *   layer is a tmpfs that nspawn removes on exit, so every run starts from the same tree;
 * - this machine's node is bound read-only at /usr/bin/node and the repository at /src;
 * - nspawn runs in a session of its own (detached): on a terminal it would otherwise set the
 *   terminal up and stop the whole process group with SIGTTOU.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class Container {
  private constructor(
    private readonly nspawn: ChildProcess,
    /** The container's PID 1 (systemd), as seen from the host. */
    readonly leader: number,
    private readonly console: () => string,
  ) {}

  static async boot(rootfs: string, source: string): Promise<Container> {
    const args = [
      '-q', '--keep-unit', '--register=no', '--private-network',
      '--capability=CAP_BPF', '--system-call-filter=bpf', '--console=passive',
      '--volatile=overlay', `--bind-ro=${source}:/src`, `--bind-ro=${process.execPath}:/usr/bin/node`,
      '-D', rootfs, '-b',
    ];
    const nspawn = spawn('systemd-nspawn', args, { env: { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    nspawn.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    nspawn.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let leader = 0;
    for (let i = 0; i < 300 && leader === 0; i++) {
      if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited ${nspawn.exitCode}:\n${output}`);
      const children = `/proc/${nspawn.pid}/task/${nspawn.pid}/children`;
      const pid = existsSync(children) ? Number(readFileSync(children, 'utf8').trim().split(' ')[0]) : 0;
      if (pid > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd') leader = pid;
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (leader === 0) {
      nspawn.kill('SIGKILL');
      throw new Error(`no systemd inside the container after 30 s:\n${output}`);
    }
    const container = new Container(nspawn, leader, () => output);
    // A test run ended early (an interrupt, a crash) must not leave the container behind.
    const kill = (): void => {
      try {
        process.kill(leader, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    process.once('exit', kill);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        kill();
        process.exit(130);
      });
    }
    // is-system-running --wait fails at once while PID 1 does not answer yet: ask again.
    let state = '';
    for (const end = Date.now() + 120_000; !/^(running|degraded)/.test(state) && Date.now() < end; ) {
      state = container.sh('systemctl is-system-running --wait', 120_000).stdout.trim();
      if (!/^(running|degraded)/.test(state)) await new Promise((r) => setTimeout(r, 250));
    }
    if (!/^(running|degraded)/.test(state)) {
      const failed = container.sh('systemctl --failed --no-pager').stdout;
      await container.stop();
      throw new Error(`the container did not finish booting (${state}):\n${failed}\n${output.slice(-3000)}`);
    }
    return container;
  }

  /** Runs a bash script inside the container (all its namespaces), as root. */
  sh(script: string, timeoutMs = 60_000): Result {
    const run = spawnSync('nsenter', ['-t', String(this.leader), '-a', '/bin/bash', '-c', script], { encoding: 'utf8', timeout: timeoutMs });
    if (run.error) throw run.error;
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  /** Like sh, but a non-zero status is an error carrying the output. */
  must(script: string, timeoutMs?: number): string {
    const run = this.sh(script, timeoutMs);
    if (run.status !== 0) throw new Error(`in the container, exit ${run.status}: ${script}\n${run.stdout}\n${run.stderr}`);
    return run.stdout;
  }

  /** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
  async until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000, explain: () => string = () => ''): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${explain()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** One property of a unit (systemctl show -P). */
  prop(unit: string, name: string): string {
    return this.sh(`systemctl show -P ${name} ${unit}`).stdout.trim();
  }

  bootLog(): string {
    return this.console();
  }

  /** Kills PID 1 (and with it the container), waits for nspawn to exit and clean up its overlay. */
  async stop(): Promise<void> {
    if (this.nspawn.exitCode !== null || this.nspawn.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.nspawn.once('exit', () => resolve()));
    try {
      process.kill(this.leader, 'SIGKILL');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.nspawn.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}
