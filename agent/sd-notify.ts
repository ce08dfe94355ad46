/**
 * The systemd notify protocol (sd_notify(3)): READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1,
 * STATUS=… sent to the datagram socket named by NOTIFY_SOCKET. Does nothing without it.
 *
 * Node cannot open an AF_UNIX datagram socket natively, and a native addon would need a build
 * toolchain on the Pi, so each message is handed to the `systemd-notify` command (part of
 * systemd, so present wherever NOTIFY_SOCKET is). It runs as a child process, hence
 * `NotifyAccess=all` in the unit; since systemd 246 it waits (BARRIER=1) until the manager has
 * processed the message, so the message is not lost when the short-lived sender exits first.
 * Arguments go through execFile, never a shell.
 */
import { execFile } from 'node:child_process';

export type NotifyState = Record<string, string | number>;

export interface Notifier {
  /** True when there is a manager to talk to (NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** Send one message; messages are sent in order. Never rejects: a failure goes to onError. */
  notify(state: NotifyState): Promise<void>;
}

export interface NotifierOptions {
  /** The environment to read NOTIFY_SOCKET from (the entry point passes process.env). */
  env: Record<string, string | undefined>;
  /** The systemd-notify binary. */
  command?: string;
  onError?(error: Error): void;
}

/** `KEY=value` lines as systemd-notify wants them as arguments; newlines would start a new key. */
export function notifyArgs(state: NotifyState): string[] {
  return Object.entries(state).map(([key, value]) => `${key}=${String(value).replace(/[\r\n]+/g, ' ')}`);
}

export function createNotifier(options: NotifierOptions): Notifier {
  const socket = options.env.NOTIFY_SOCKET;
  if (!socket) return { enabled: false, notify: () => Promise.resolve() };
  const command = options.command ?? 'systemd-notify';
  const env = { ...options.env, NOTIFY_SOCKET: socket };
  let queue: Promise<void> = Promise.resolve();
  return {
    enabled: true,
    notify(state) {
      const send = (): Promise<void> =>
        new Promise((resolve) => {
          execFile(command, notifyArgs(state), { env, timeout: 10_000 }, (error, _stdout, stderr) => {
            if (error) options.onError?.(new Error(`${command} ${notifyArgs(state).join(' ')} failed: ${stderr.trim() || error.message}`));
            resolve();
          });
        });
      queue = queue.then(send);
      return queue;
    },
  };
}

/**
 * The watchdog interval systemd asks for (WATCHDOG_USEC, in µs), in ms; null when there is none or
 * it is meant for another process (WATCHDOG_PID).
 */
export function watchdogIntervalMs(env: Record<string, string | undefined>, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return usec / 1000;
}
