/**
 * The systemd notify protocol (sd_notify(3)): READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1,
 * STATUS=… sent to the datagram socket named by NOTIFY_SOCKET. Does nothing without it.
 *
 * Node cannot open an AF_UNIX datagram socket by itself, so there are two ways to send:
 * - in process, through the optional native addon `unix-dgram` (built by node-gyp on install, as
 *   i2c-bus is): one sendmsg(2) per message, a few microseconds, and the sender is the service's
 *   main process, so the unit can say `NotifyAccess=main`;
 * - through the `systemd-notify` command (part of systemd), where the addon is missing or cannot
 *   reach the socket. A child process per message (measured at 26–33 ms of CPU per watchdog ping
 *   on the build machine, plus Node's fork), and the sender is not the main process, so the unit
 *   needs `NotifyAccess=all` (systemd/install.sh writes that drop-in when the addon does not load).
 *   Since systemd 246 it waits (BARRIER=1) until the manager has processed the message, so the
 *   message is not lost when the short-lived sender exits first.
 *
 * unix-dgram copies the socket name with strncpy into a full-length sockaddr_un, so it can reach a
 * socket at a path but not an abstract one (`@name`: the name is cut at its leading NUL, and the
 * manager binds abstract names at their exact length): those go through systemd-notify. systemd
 * itself gives system services a path (/run/systemd/notify).
 * Arguments to systemd-notify go through execFile, never a shell.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { systemClock, type Clock } from '../../drivers/clock.js';

export type NotifyState = Record<string, string | number>;

/** How messages reach the manager. */
export type NotifyTransport = 'none' | 'datagram' | 'systemd-notify';

export interface Notifier {
  /** True when there is a manager to talk to (NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  readonly transport: NotifyTransport;
  /** Why the in-process datagram is not used (transport 'systemd-notify'), for the log. */
  readonly fallbackReason?: string;
  /** Send one message; messages are sent in order. Never rejects: a failure goes to onError. */
  notify(state: NotifyState): Promise<void>;
}

/** The part of unix-dgram 2 we use (lib/unix_dgram.js). */
export interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, callback: (error?: Error) => void): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): void;
}
export interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

export interface NotifierOptions {
  /** The environment to read NOTIFY_SOCKET from (the entry point passes process.env). */
  env: Record<string, string | undefined>;
  /** The systemd-notify binary. */
  command?: string;
  /**
   * Loads unix-dgram (tests replace it); throws when it is missing or its addon does not load.
   * null: never use the addon.
   */
  loadDatagram?: (() => UnixDgramModule) | null;
  onError?(error: Error): void;
  /** For the wait before trying a busy manager again. */
  clock?: Clock;
}

/** `KEY=value` lines as systemd-notify wants them as arguments; newlines would start a new key. */
export function notifyArgs(state: NotifyState): string[] {
  return Object.entries(state).map(([key, value]) => `${key}=${String(value).replace(/[\r\n]+/g, ' ')}`);
}

/** The datagram itself: the same lines, newline-separated (sd_notify(3)). */
export function notifyDatagram(state: NotifyState): Buffer {
  return Buffer.from(notifyArgs(state).join('\n'), 'utf8');
}

const requireHere = createRequire(import.meta.url);

/** unix-dgram, loaded synchronously (a CommonJS addon), only when there is a socket to talk to. */
export function loadUnixDgram(): UnixDgramModule {
  const loaded = requireHere('unix-dgram') as Partial<UnixDgramModule>;
  if (typeof loaded.createSocket !== 'function') throw new Error('the installed unix-dgram has no createSocket()');
  return loaded as UnixDgramModule;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** unix-dgram reports errors as `send -111` with code -111: say ECONNREFUSED instead. */
export function describeDgramError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && code < 0) {
    const name = Object.entries(constants.errno).find(([, n]) => n === -code)?.[0];
    if (name) return `${(error as { syscall?: string }).syscall ?? 'send'} ${name}`;
  }
  return messageOf(error);
}

/** Why a datagram cannot go out in process to `socket`, or null when it can. */
function datagramProblem(socket: string, load: NotifierOptions['loadDatagram']): { reason: string } | { module: UnixDgramModule } {
  if (load === null) return { reason: 'the in-process sender is switched off' };
  if (!socket.startsWith('/')) {
    return { reason: `NOTIFY_SOCKET ${socket} is not a path (an abstract or vsock address), which unix-dgram cannot address` };
  }
  try {
    return { module: (load ?? loadUnixDgram)() };
  } catch (error) {
    const message = messageOf(error).split('\n')[0]!;
    return /Cannot find module 'unix-dgram'/.test(message)
      ? { reason: 'the optional package unix-dgram is not installed (npm install unix-dgram; it builds a native addon, so it needs build-essential and python3)' }
      : { reason: `the unix-dgram addon could not be loaded (${message}): rebuild it with npm rebuild unix-dgram` };
  }
}

export function createNotifier(options: NotifierOptions): Notifier {
  const socket = options.env.NOTIFY_SOCKET;
  if (!socket) return { enabled: false, transport: 'none', notify: () => Promise.resolve() };
  const found = datagramProblem(socket, options.loadDatagram);
  return 'module' in found ? datagramNotifier(socket, found.module, options) : commandNotifier(socket, found.reason, options);
}

/** A full receive queue (net.unix.max_dgram_qlen, 10 by default) is a busy manager: try again. */
const BUSY_RETRIES = 50;
const BUSY_WAIT_MS = 20;

function datagramNotifier(socket: string, module: UnixDgramModule, options: NotifierOptions): Notifier {
  /** Sends one datagram; resolves to the error's description, or null when it went out. */
  const sendOnce = (message: Buffer): string | null => {
    // A socket per message, closed at once: unix-dgram keeps a libuv poll handle on each open
    // socket, which would hold the event loop open; socket, sendmsg and close cost microseconds.
    // Sent to the path each time, so a manager that re-created its socket (daemon-reexec) is
    // still reached. The addon calls back synchronously.
    let problem: string | null = null;
    let sender: UnixDgramSocket | undefined;
    try {
      sender = module.createSocket('unix_dgram');
      sender.on('error', (error) => (problem = describeDgramError(error)));
      sender.send(message, 0, message.length, socket, (error) => {
        if (error) problem = describeDgramError(error);
      });
    } catch (error) {
      problem = describeDgramError(error);
    } finally {
      try {
        sender?.close();
      } catch {
        // the fd is gone either way
      }
    }
    return problem;
  };
  let queue: Promise<void> = Promise.resolve();
  return {
    enabled: true,
    transport: 'datagram',
    notify(state) {
      const message = notifyDatagram(state);
      const send = async (): Promise<void> => {
        let problem = sendOnce(message);
        for (let i = 0; problem !== null && /EAGAIN|EWOULDBLOCK|ENOBUFS/.test(problem) && i < BUSY_RETRIES; i++) {
          await (options.clock ?? systemClock).sleep(BUSY_WAIT_MS);
          problem = sendOnce(message);
        }
        if (problem !== null) options.onError?.(new Error(`notify ${notifyArgs(state).join(' ')} to ${socket} failed: ${problem}`));
      };
      // In order: a message waiting for a busy manager holds back the ones after it.
      queue = queue.then(send);
      return queue;
    },
  };
}

function commandNotifier(socket: string, reason: string, options: NotifierOptions): Notifier {
  const command = options.command ?? 'systemd-notify';
  const env = { ...options.env, NOTIFY_SOCKET: socket };
  let queue: Promise<void> = Promise.resolve();
  return {
    enabled: true,
    transport: 'systemd-notify',
    fallbackReason: reason,
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
