/**
 * Pure helpers of the benchmark: percentiles, and the kernel's own accounting of a process
 * (/proc/PID/stat for CPU time, /proc/PID/status for resident memory), so a peer written in C and
 * one written in JavaScript are measured the same way, from outside.
 */
import { readFileSync } from 'node:fs';

/** Nearest-rank percentile (p in 0–100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export interface Distribution {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function distribution(samples: readonly number[]): Distribution {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: percentile(samples, 100) };
}

/**
 * utime + stime in clock ticks from the text of /proc/PID/stat. Field 2 (comm) is in parentheses and
 * may itself contain spaces and parentheses, so fields are counted from the last ')' (proc(5)).
 */
export function parseProcStatTicks(text: string): number {
  const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // after[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(after[14 - 3]);
  const stime = Number(after[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a /proc/PID/stat line: ${text.slice(0, 80)}`);
  return utime + stime;
}

/**
 * VmRSS (resident now), VmHWM (peak resident) and RssAnon (the resident memory that is the
 * process's own: heap, stacks; not the shared libraries and the node binary's pages, which a board
 * shares with every other Node.js process and can drop under pressure) in kB, from the text of
 * /proc/PID/status.
 */
export function parseProcStatus(text: string): { rssKb: number; hwmKb: number; anonKb: number } {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!match) throw new Error(`/proc/PID/status has no ${name} line`);
    return Number(match[1]);
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM'), anonKb: field('RssAnon') };
}

/**
 * voluntary_ctxt_switches from the text of /proc/PID/task/TID/status: how many times the thread
 * went to sleep waiting for something (a timer, a socket) and so woke up again. Of the main
 * thread, that is the event loop's wake-ups.
 */
export function parseVoluntarySwitches(text: string): number {
  const match = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(text);
  if (!match) throw new Error('/proc/PID/task/TID/status has no voluntary_ctxt_switches line');
  return Number(match[1]);
}

/** The event loop's wake-ups so far: the main thread's voluntary context switches. */
export function wakeups(pid: number): number {
  return parseVoluntarySwitches(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'));
}

/** USER_HZ: the unit of /proc/PID/stat times. 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_S = 100;

export function cpuMicros(pid: number | 'self'): number {
  return (parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1e6) / CLOCK_TICKS_PER_S;
}

export function memoryKb(pid: number | 'self'): { rssKb: number; hwmKb: number; anonKb: number } {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}
