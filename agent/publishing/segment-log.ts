/**
 * A durable FIFO of byte records on disk: an append-only log cut into segment files, and a cursor
 * that says which records have been consumed. Written for SD cards: appends are sequential, nothing
 * is rewritten in place, a consumed segment is deleted whole, and fsync is a policy (every write, or
 * every N ms) rather than a reflex.
 *
 * Nothing that waits for the device runs on the event loop (an SD card's flush can take tens of
 * milliseconds, past a 50 ms sampling tick): `commit` fdatasyncs, writes the cursor (temp file,
 * fsync, rename, fsync of the directory) and deletes consumed segments with the asynchronous fs
 * calls, which run on libuv's thread pool. Commits run one at a time; one asked for while another
 * runs is shared by every caller until it starts (a group commit). `durable` says how far the
 * records are on the device, for a caller that must not send a record before it is (sync "always").
 * A descriptor a commit may be using is never closed under it: a rolled-over segment's descriptor
 * is retired, and the next commit flushes and closes it.
 *
 * Layout of `dir`:
 *   00000000000000000042.seg   records from index 42 on, each framed [u32 length][u32 crc32][bytes]
 *   cursor                     JSON { next, meta }: the first unconsumed index, and the owner's
 *                              small state (written atomically: temp file, fsync, rename, fsync dir)
 *
 * A torn tail (power cut mid-append) fails its length or CRC check on open; the file is cut back
 * to the last whole record and the loss is reported, never a reason to refuse to start.
 *
 * `maxBytes` holds for every setting: a segment is never larger than a quarter of it (whatever
 * `segmentBytes` says), and the oldest segments are dropped before an append would pass it.
 *
 * A full disk is survived, not fatal: a failed append leaves the log as it was (the partial frame
 * is cut off again) and throws for the caller to count; a failed cursor write leaves the previous
 * cursor, which only means records are delivered again after a restart. Opening needs no free
 * space: a full disk is where a backlog that would free it is most needed.
 */
import {
  close, closeSync, fdatasync, lstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, promises as fsp, readdirSync, readFileSync, readSync,
  renameSync, statSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib'; // Node ≥ 20.15
import { QueueDirError } from './queue-errors.js';

const HEADER = 8;
const SUFFIX = '.seg';
const CURSOR = 'cursor';
/** A record larger than this is a corrupt length field, not a reading. */
const MAX_RECORD = 1 << 20;
/**
 * Bytes read from a segment at a time. A replay after an outage reads records one or a few at a
 * time (as acknowledgements free the window): reading each with its own open/read/close was a
 * quarter of the replay's time in a profile; one read now serves hundreds of records.
 */
const READ_AHEAD = 64 * 1024;

export interface SegmentLogOptions {
  /** Start a new segment file when the current one reaches this size. */
  segmentBytes: number;
  /** Drop the oldest segments while the log is larger than this (never the one being written). */
  maxBytes: number;
}

export interface OpenReport {
  /** Records found on disk and not yet consumed. */
  pending: number;
  /** Bytes cut from torn or corrupt segment tails. */
  tornBytes: number;
  /** Records lost in them: each torn tail holds at least the one record being written. */
  tornRecords: number;
}

/** A record larger than the log can hold under its cap (a quarter of maxBytes). */
export class RecordTooLargeError extends RangeError {
  override readonly name = 'RecordTooLargeError';
}

interface Segment {
  first: number;
  count: number;
  bytes: number;
  path: string;
  /**
   * Byte offset of each record: known for the segment being written (appends add to it) and
   * computed for the one being read; dropped otherwise, so a long outage costs disk, not heap.
   */
  offsets: number[] | undefined;
}

export interface LogRecord {
  index: number;
  data: Buffer;
}

// Looked up at each call (not bound once by promisify), so a test can stand in for a slow device.
const fdatasyncAsync = (fd: number): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
const closeAsync = (fd: number): Promise<void> => new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));

/** A descriptor no longer appended to, left for the next commit to flush (if `dirty`) and close. */
interface Retired {
  fd: number;
  dirty: boolean;
}

function segmentName(first: number): string {
  return String(first).padStart(20, '0') + SUFFIX;
}

export class SegmentLog<Meta = unknown> {
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  private nextIndex = 0;
  private consumed = 0;
  private dirtySinceSync = false;
  /** Descriptors of segments no longer written, for the next commit to flush and close. */
  private readonly retired: Retired[] = [];
  /** Records below this index are on the device (fdatasync'ed), as far as this process knows. */
  private durableIndex = 0;
  /** The commit running, and the one asked for meanwhile (shared by all who ask until it starts). */
  private committing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private reclaimWanted = false;
  private cursorWanted = false;
  /** The cursor file's content as last written (or read at open). */
  private cursorWritten: string | undefined;
  /** The segment `read` last used: it keeps its offsets, an open descriptor and a read-ahead chunk. */
  private reading: Segment | undefined;
  private readFd: number | undefined;
  /** Bytes [start, start + data.length) of the `reading` segment. Segments are append-only: what is read stays true. */
  private chunk: { start: number; data: Buffer } | undefined;
  meta: Meta | undefined;
  report: OpenReport = { pending: 0, tornBytes: 0, tornRecords: 0 };
  /** Records dropped because the log was over `maxBytes`, over its life. */
  dropped = 0;

  /** Largest segment file: segmentBytes, or a quarter of maxBytes if that is less. */
  readonly segmentLimit: number;

  constructor(
    readonly dir: string,
    private readonly options: SegmentLogOptions,
  ) {
    this.segmentLimit = Math.max(HEADER + 1, Math.min(options.segmentBytes, Math.floor(options.maxBytes / 4)));
  }

  /**
   * Scan the directory, cut torn tails, and open the last segment for appends. Throws QueueDirError
   * if the directory cannot be created or read (read-only, not ours, not a directory).
   */
  open(): OpenReport {
    try {
      return this.openDir();
    } catch (error) {
      throw error instanceof QueueDirError ? error : new QueueDirError(this.dir, error);
    }
  }

  private openDir(): OpenReport {
    makeDirectory(this.dir);
    const names = readdirSync(this.dir).filter((n) => n.endsWith(SUFFIX)).sort();
    const cursor = this.readCursor();
    this.consumed = cursor.next;
    this.meta = cursor.meta;
    let tornBytes = 0;
    let tornRecords = 0;
    for (const name of names) {
      const first = Number(name.slice(0, -SUFFIX.length));
      const path = join(this.dir, name);
      const { count, validBytes, fileBytes } = scanSegment(path);
      if (validBytes < fileBytes) {
        tornBytes += fileBytes - validBytes;
        tornRecords++;
        cutTo(path, validBytes);
      }
      // A segment that ends where the next begins is whole; records past the next one's start
      // would be duplicates of an interrupted roll-over and are not possible with this writer.
      if (count === 0 && validBytes === 0) {
        removeQuietly(path);
        continue;
      }
      this.segments.push({ first, count, bytes: validBytes, path, offsets: undefined });
    }
    const last = this.segments.at(-1);
    this.nextIndex = last ? last.first + last.count : this.consumed;
    if (this.consumed > this.nextIndex) this.consumed = this.nextIndex; // cursor ahead of a cut tail
    const oldest = this.segments[0];
    if (oldest && this.consumed < oldest.first) this.consumed = oldest.first;
    void this.removeConsumedSegments();
    this.durableIndex = this.nextIndex; // what a previous run left is as durable as it will get
    this.report = { pending: this.nextIndex - this.consumed, tornBytes, tornRecords };
    return this.report;
  }

  get pending(): number {
    return this.nextIndex - this.consumed;
  }

  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Index the next append gets. */
  get head(): number {
    return this.nextIndex;
  }

  /** The first index not yet consumed. */
  get tail(): number {
    return this.consumed;
  }

  /** Records below this index have been made durable by a commit (or were found on disk at open). */
  get durable(): number {
    return this.durableIndex;
  }

  /**
   * Append one record (written to the OS at once; durable after `commit`). Returns its index. The
   * oldest records are dropped first if it would not fit under maxBytes (`dropped` counts them).
   * Throws RecordTooLargeError for a record over the segment limit, and the file system's error
   * (ENOSPC…) if it cannot be written; either way the log is as it was, but for drops.
   */
  append(data: Buffer): number {
    const { count, error } = this.appendMany([data]);
    if (count === 0) throw error;
    return this.nextIndex - 1;
  }

  /**
   * Append records in order, those that go in the same segment in one write (a tick's readings:
   * one system call, not one each). Stops at the first that cannot be appended: `count` were
   * appended (indices head−count … head−1), and `error` says why the next was not (as `append`
   * throws it); the log is as it was for that one and the rest.
   */
  appendMany(records: readonly Buffer[]): { count: number; error?: unknown } {
    let done = 0;
    while (done < records.length) {
      const firstBytes = HEADER + records[done]!.length;
      if (!this.fits(records[done]!)) return { count: done, error: new RecordTooLargeError(`record of ${records[done]!.length} bytes exceeds the queue's segment limit of ${this.segmentLimit} bytes`) };
      let segment = this.segments.at(-1);
      try {
        if (!segment || this.fd === undefined || (segment.bytes > 0 && segment.bytes + firstBytes > this.segmentLimit)) segment = this.roll(firstBytes);
      } catch (error) {
        return { count: done, error };
      }
      let end = done;
      let bytes = 0;
      while (end < records.length && this.fits(records[end]!) && (end === done || segment.bytes + bytes + HEADER + records[end]!.length <= this.segmentLimit)) bytes += HEADER + records[end++]!.length;
      this.makeRoom(bytes);
      const frames = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (let i = done; i < end; i++) {
        const data = records[i]!;
        frames.writeUInt32LE(data.length, at);
        frames.writeUInt32LE(crc32(data), at + 4);
        data.copy(frames, at + HEADER);
        at += HEADER + data.length;
      }
      try {
        // A full disk can also take part of a write and say so only by the count (tmpfs does).
        const written = writeSync(this.fd!, frames, 0, bytes, segment.bytes);
        if (written < bytes) throw Object.assign(new Error(`short write: ${written} of ${bytes} bytes`), { code: 'ENOSPC' });
      } catch (error) {
        // Part of the frames may be in the file: cut it off, or a restart would read it as torn.
        try {
          ftruncateSync(this.fd!, segment.bytes);
        } catch {
          // The next append overwrites it in place; at worst open() cuts it.
        }
        return { count: done, error };
      }
      for (let i = done; i < end; i++) {
        segment.offsets?.push(segment.bytes);
        segment.bytes += HEADER + records[i]!.length;
      }
      segment.count += end - done;
      this.nextIndex += end - done;
      this.dirtySinceSync = true;
      done = end;
    }
    return { count: done };
  }

  private fits(data: Buffer): boolean {
    return data.length <= MAX_RECORD && HEADER + data.length <= this.segmentLimit;
  }

  /** Up to `max` records from `from` on (from ≥ tail), in order. */
  read(from: number, max: number): LogRecord[] {
    const out: LogRecord[] = [];
    let index = Math.max(from, this.consumed);
    while (out.length < max && index < this.nextIndex) {
      const segment = this.segments.find((s) => index >= s.first && index < s.first + s.count);
      if (!segment) break;
      if (this.reading !== segment) this.startReading(segment);
      segment.offsets ??= recordOffsets(segment.path, segment.count);
      const offsets = segment.offsets;
      for (; out.length < max && index < segment.first + segment.count; index++) {
        const at = offsets[index - segment.first]!;
        const length = this.bytesAt(segment, at, HEADER).readUInt32LE(0);
        out.push({ index, data: this.bytesAt(segment, at + HEADER, length) });
      }
    }
    return out;
  }

  private startReading(segment: Segment): void {
    this.stopReading();
    // Open before adopting it: if the open fails (EMFILE…), the next read tries again.
    this.readFd = openSync(segment.path, 'r');
    this.reading = segment;
  }

  private stopReading(): void {
    const previous = this.reading;
    if (previous && previous !== this.segments.at(-1)) previous.offsets = undefined;
    if (this.readFd !== undefined) closeSync(this.readFd);
    this.reading = undefined;
    this.readFd = undefined;
    this.chunk = undefined;
  }

  /** `length` bytes at `at` in the segment being read, from the read-ahead chunk (refilled as needed). */
  private bytesAt(segment: Segment, at: number, length: number): Buffer {
    let chunk = this.chunk;
    if (!chunk || at < chunk.start || at + length > chunk.start + chunk.data.length) {
      const size = Math.max(length, Math.min(READ_AHEAD, segment.bytes - at));
      const data = Buffer.allocUnsafe(size);
      const got = readSync(this.readFd!, data, 0, size, at);
      if (got < length) throw new Error(`queue segment ${segment.path} ends at ${at + got}, a record needs ${at + length}`);
      chunk = this.chunk = { start: at, data: data.subarray(0, got) };
    }
    return chunk.data.subarray(at - chunk.start, at - chunk.start + length);
  }

  /** Everything before `index` is consumed; whole consumed segments are deleted at the next `sync`. */
  consume(index: number): void {
    if (index > this.consumed) this.consumed = Math.min(index, this.nextIndex);
  }

  /**
   * Make appends durable (fdatasync) and persist the cursor, off the event loop; then delete
   * consumed segments. The cursor is written after the records it counts are durable and before
   * any file is deleted, so a crash in between leaves records that are re-delivered. Consumed
   * segments are deleted even if the cursor could not be written (a full disk): open() starts from
   * the oldest segment left when the cursor points before it, and the space they free may be what
   * the next cursor write needs. `reclaim` (a full disk) deletes the segment being written too once
   * all of it is consumed. `cursor` false: the cursor is written only if that lets a consumed
   * segment go (a lagging cursor costs re-deliveries after a crash, never a loss: the records it
   * has not counted are still in the segments, which are deleted only after it counts them).
   * Rejects with the first failure.
   */
  commit(meta?: Meta, options: { reclaim?: boolean; cursor?: boolean } = {}): Promise<void> {
    if (meta !== undefined) this.meta = meta;
    if (options.reclaim) this.reclaimWanted = true;
    if (options.cursor ?? true) this.cursorWanted = true;
    if (!this.committing) return this.startCommit();
    this.queued ??= this.committing.then(noop, noop).then(() => {
      this.queued = undefined;
      // A caller that committed from the previous commit's own continuation may have started one
      // already: one commit at a time, so follow it instead of running beside it.
      return this.committing ? this.commitAfter(this.committing) : this.startCommit();
    });
    return this.queued;
  }

  private commitAfter(running: Promise<void>): Promise<void> {
    return running.then(noop, noop).then(() => (this.committing ? this.commitAfter(this.committing) : this.startCommit()));
  }

  private startCommit(): Promise<void> {
    const run: Promise<void> = this.runCommit().finally(() => {
      if (this.committing === run) this.committing = undefined;
    });
    this.committing = run;
    return run;
  }

  private async runCommit(): Promise<void> {
    // Appends are in the OS already (append writes at once); what this commit makes durable is
    // everything up to here, and the cursor says so only for what it has made durable.
    const head = this.nextIndex;
    const consumed = this.consumed;
    const text = JSON.stringify({ next: consumed, meta: this.meta });
    const reclaim = this.reclaimWanted;
    this.reclaimWanted = false;
    const oldest = this.segments[0];
    const freesSegment = oldest !== undefined && oldest.first + oldest.count <= consumed && (reclaim || this.segments.length > 1);
    const cursor = this.cursorWanted || freesSegment;
    this.cursorWanted = false;
    let failure: unknown;
    try {
      await this.flushData();
      if (head > this.durableIndex) this.durableIndex = head;
    } catch (error) {
      failure = error;
    }
    // On a full disk even the segment being written goes once all of it is delivered (before the
    // cursor, whose new file may need the space). Otherwise it stays: recreating a file at every
    // sync would cost an SD card a metadata write a second.
    if (reclaim) await this.removeConsumedSegments(true, consumed);
    if (cursor) {
      try {
        await this.writeCursor(text);
      } catch (error) {
        failure ??= error;
      }
    }
    await this.removeConsumedSegments(false, consumed);
    if (failure !== undefined) throw failure;
  }

  /**
   * fdatasync what was written: retired segments (then closed) and the one being written. What to
   * flush is taken before the first await: an append during a flush may roll the segment being
   * written into `retired`, and the records this commit counts as durable (up to its `head`) must
   * all be in what it flushed. A flush that fails leaves its file dirty for the next commit.
   */
  private async flushData(): Promise<void> {
    const retired = this.retired.splice(0);
    const fd = this.fd;
    const current = fd !== undefined && this.dirtySinceSync;
    if (current) this.dirtySinceSync = false;
    let failure: unknown;
    for (const segment of retired) {
      try {
        if (segment.dirty) await fdatasyncAsync(segment.fd);
      } catch (error) {
        failure ??= error;
      } finally {
        // Even if the flush failed (a full or failing disk), this segment is done with: its records
        // stay readable, and appends go on in the next one.
        await closeAsync(segment.fd).catch(noop);
      }
    }
    if (current) {
      try {
        await fdatasyncAsync(fd); // the descriptor stays open: roll() and close() retire it instead
      } catch (error) {
        // Dirty again, wherever the file is now: still being written, or retired by a roll meanwhile.
        if (this.fd === fd) this.dirtySinceSync = true;
        else {
          const moved = this.retired.find((r) => r.fd === fd);
          if (moved) moved.dirty = true;
        }
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Record `meta` at start-up, before any sampling: synchronous, so that a queue directory that
   * cannot be written is known (and the agent exits 73) before it goes on. Throws the failure.
   */
  commitAtStart(meta: Meta): void {
    this.meta = meta;
    const text = JSON.stringify({ next: this.consumed, meta: this.meta });
    if (text === this.cursorWritten) return;
    const path = join(this.dir, CURSOR);
    const temp = `${path}.tmp`;
    try {
      writeFileSync(temp, text);
      const fd = openSync(temp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    } catch (error) {
      try {
        unlinkSync(temp); // a partial temp file would hold space on a disk that has none
      } catch {
        // not there
      }
      throw error;
    }
    const dir = openSync(this.dir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.cursorWritten = text;
  }

  /** Commit (see there: it may reject) and release every descriptor, whatever happens. */
  async close(meta?: Meta): Promise<void> {
    try {
      await this.commit(meta);
    } finally {
      await this.committing?.catch(noop);
      this.stopReading();
      if (this.fd !== undefined) this.retired.push({ fd: this.fd, dirty: false });
      this.fd = undefined;
      for (const { fd } of this.retired.splice(0)) await closeAsync(fd).catch(noop);
    }
  }

  /** The segment the next frame of `frameBytes` goes into: the last one if it has room, else a new one. */
  private roll(frameBytes: number): Segment {
    const last = this.segments.at(-1);
    if (this.fd !== undefined) {
      // Flushed and closed by the next commit, off the event loop (a commit may be using it now).
      this.retired.push({ fd: this.fd, dirty: this.dirtySinceSync });
      this.dirtySinceSync = false;
      this.fd = undefined;
      if (last && last !== this.reading) last.offsets = undefined;
    }
    // Reopen the last segment (after a restart, or a failed append) if the frame still fits.
    if (last && (last.count === 0 || last.bytes + frameBytes <= this.segmentLimit)) {
      this.fd = openSync(last.path, 'r+');
      last.offsets ??= recordOffsets(last.path, last.count);
      return last;
    }
    const segment: Segment = { first: this.nextIndex, count: 0, bytes: 0, path: join(this.dir, segmentName(this.nextIndex)), offsets: [] };
    this.fd = openSync(segment.path, 'w');
    this.segments.push(segment);
    return segment;
  }

  /** Drop the oldest segments (never the one being written) until `frameBytes` more fit under maxBytes. */
  private makeRoom(frameBytes: number): void {
    while (this.segments.length > 1 && this.bytes + frameBytes > this.options.maxBytes) {
      const oldest = this.segments.shift()!;
      const end = oldest.first + oldest.count;
      if (end > this.consumed) {
        this.dropped += end - Math.max(this.consumed, oldest.first);
        this.consumed = end;
      }
      if (this.reading === oldest) this.stopReading();
      // At once, not off the loop: the cap holds on disk too (an unlink waits for no flush).
      removeQuietly(oldest.path);
    }
  }

  /**
   * Delete the segments wholly consumed below `upTo` (default: all consumed); the one being written
   * too if `includeCurrent` and it is all consumed. The files go off the event loop (a deletion is
   * a metadata write, which an SD card may make wait); one that cannot be deleted is left for open.
   */
  private async removeConsumedSegments(includeCurrent = false, upTo = this.consumed): Promise<void> {
    const keep = includeCurrent ? 0 : 1;
    const doomed: string[] = [];
    while (this.segments.length > keep && this.segments[0]!.first + this.segments[0]!.count <= upTo) {
      const done = this.segments.shift()!;
      if (this.reading === done) this.stopReading();
      if (this.segments.length === 0 && this.fd !== undefined) {
        this.retired.push({ fd: this.fd, dirty: false }); // all of it delivered: nothing to flush
        this.fd = undefined;
        this.dirtySinceSync = false;
      }
      doomed.push(done.path);
    }
    for (const path of doomed) await fsp.unlink(path).catch(noop);
  }

  private readCursor(): { next: number; meta: Meta | undefined } {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, CURSOR), 'utf8')) as { next?: unknown; meta?: Meta };
      return { next: typeof parsed.next === 'number' && parsed.next >= 0 ? parsed.next : 0, meta: parsed.meta };
    } catch {
      return { next: 0, meta: undefined }; // none yet, or torn: segments still hold every record
    }
  }

  /**
   * Written only when it changed: an idle agent (QoS 0 going straight out, nothing queued) would
   * otherwise create, fsync and rename a file every sync interval, forever — an SD card's wear and
   * the largest share of the agent's idle CPU in a profile.
   */
  private async writeCursor(text: string): Promise<void> {
    if (text === this.cursorWritten) return;
    const path = join(this.dir, CURSOR);
    const temp = `${path}.tmp`;
    try {
      await fsp.writeFile(temp, text);
      const file = await fsp.open(temp, 'r');
      try {
        await file.sync();
      } finally {
        await file.close();
      }
      await fsp.rename(temp, path);
    } catch (error) {
      await fsp.unlink(temp).catch(noop); // a partial temp file would hold space on a disk that has none
      throw error;
    }
    // The rename itself is durable only once the directory is: without this, a power cut soon
    // after could bring back the previous cursor (one that said "stopped cleanly", say).
    const dir = await fsp.open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.cursorWritten = text;
  }
}

function noop(): void {}

/**
 * mkdir -p that fails with the real cause. Node's recursive mkdir reports ENOENT when a missing
 * directory cannot be created on a read-only file system (or without permission); the operator
 * needs to hear "read-only", so the first missing component is created alone to find out why.
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    let existing = resolve(dir);
    const missing: string[] = [];
    while (!present(existing) && dirname(existing) !== existing) {
      missing.unshift(basename(existing));
      existing = dirname(existing);
    }
    if (missing.length > 0) mkdirSync(join(existing, missing[0]!)); // throws EROFS, EACCES…, or ENOENT for a dangling link
    throw error;
  }
}

/** Whether a path exists itself (a dangling symbolic link does). */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Cut a segment file back to its whole records (a torn tail), durably. */
function cutTo(path: string, bytes: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Delete a file, or leave it for the next try (a read-only remount, say): never fatal. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // left for the next sync or open
  }
}

/** Count the whole records of a segment file and where the valid part ends. */
function scanSegment(path: string): { count: number; validBytes: number; fileBytes: number } {
  const buffer = readFileSync(path);
  let offset = 0;
  let count = 0;
  while (offset + HEADER <= buffer.length) {
    const length = buffer.readUInt32LE(offset);
    if (length > MAX_RECORD || offset + HEADER + length > buffer.length) break;
    const data = buffer.subarray(offset + HEADER, offset + HEADER + length);
    if (crc32(data) !== buffer.readUInt32LE(offset + 4)) break;
    offset += HEADER + length;
    count++;
  }
  return { count, validBytes: offset, fileBytes: statSync(path).size };
}

function recordOffsets(path: string, count: number): number[] {
  const buffer = readFileSync(path);
  const offsets: number[] = [];
  let offset = 0;
  while (offsets.length < count && offset + HEADER <= buffer.length) {
    offsets.push(offset);
    offset += HEADER + buffer.readUInt32LE(offset);
  }
  return offsets;
}
