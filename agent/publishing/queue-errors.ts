/**
 * The disk queue's failures, as the operator needs them: which path, what the OS said, and what to
 * do. A full or failing disk while running is a degraded state the agent rides out (outbox.ts); a
 * queue directory that cannot be opened at all stops the agent with exit status 73 (EX_CANTCREAT,
 * sysexits.h: "a (user specified) output file cannot be created").
 */

/** Exit status for a queue directory that cannot be created or opened. */
export const EXIT_QUEUE_DIR = 73;

/** Error codes of a disk that is full or has gone bad under us: the agent keeps running without it. */
const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG', 'EMFILE', 'ENFILE']);

export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** An I/O failure of the queue's files that the agent can live through (counted, logged, retried). */
export function isStorageFailure(error: unknown): boolean {
  return STORAGE_CODES.has(codeOf(error));
}

const CAUSES: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'a parent directory does not exist',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EIO: 'the disk reports an I/O error',
};

const HINTS: Record<string, string> = {
  EROFS: 'point queue.dir at a writable place (under systemd the unit\'s StateDirectory, /var/lib/edge-agent, is writable; ProtectSystem=strict makes everything else read-only), or set queue.enabled to false',
  EACCES: 'the service user must own queue.dir (under systemd leave queue.dir empty: StateDirectory creates /var/lib/edge-agent for it)',
  EPERM: 'the service user must own queue.dir (under systemd leave queue.dir empty: StateDirectory creates /var/lib/edge-agent for it)',
  ENOENT: 'create the parent directory, or leave queue.dir empty for the default',
  ENOTDIR: 'queue.dir must name a directory',
  ENOSPC: 'free some space on that file system',
  EDQUOT: 'free some space, or raise the quota',
  EIO: 'the SD card may be failing: check dmesg',
};

/** The queue directory cannot be used at all: the agent stops with EXIT_QUEUE_DIR. */
export class QueueDirError extends Error {
  override readonly name = 'QueueDirError';
  readonly exitCode = EXIT_QUEUE_DIR;
  readonly code: string;
  readonly hint: string;

  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    const code = codeOf(cause);
    super(`queue.dir ${dir} cannot be used: ${CAUSES[code] ?? (cause instanceof Error ? cause.message : String(cause))}${code ? ` (${code})` : ''}`);
    this.code = code;
    this.hint = HINTS[code] ?? 'check queue.dir, or set queue.enabled to false';
  }
}

/** What a storage failure means, for a log line. */
export function describeStorageFailure(error: unknown): { error: string; hint: string } {
  const code = codeOf(error);
  return { error: CAUSES[code] ? `${CAUSES[code]} (${code})` : error instanceof Error ? error.message : String(error), hint: HINTS[code] ?? 'check the disk' };
}
