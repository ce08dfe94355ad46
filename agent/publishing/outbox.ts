/**
 * Store and forward: the window and the resends. Every QoS ≥ 1 message is kept in the store
 * (store.ts: on disk, or with the queue off not at all) before it is published, and consumed only
 * when the broker has acknowledged it; what is kept is sent again oldest first after an outage or a
 * restart, so delivery is at least once and in order. A bounded window of messages is in flight at
 * a time: mqtt.js's own offline queue is never used (nothing is published while disconnected), so
 * the heap holds the window, not the backlog.
 *
 * QoS 0 messages skip the store while the broker is there and nothing is waiting; otherwise they
 * follow `qos0` ("buffer": kept like the rest; "drop": counted and dropped).
 *
 * A message the store cannot keep goes straight out if the broker is there, and is otherwise
 * dropped and counted: `offline` with the queue off, `diskFull` for a full (or failing) disk. A
 * failing disk is a degraded state, not a crash: the backlog already on it is still delivered, and
 * that frees the space. Said once per episode.
 *
 * Accounting is exact at every moment: each message submitted is acknowledged, dropped (for one
 * counted reason), or still to be settled (`backlog` in the store, or in flight straight out).
 * Numbering across restarts is numbering.ts's.
 *
 * Commits (fdatasync, the cursor) run off the event loop (segment-log.ts) and ride on the sampling
 * ticks: a submit starts one when a sync interval has passed since the last, so the agent does not
 * wake for a timer of its own. Only appended data with no tick to carry it arms a backstop timer,
 * which keeps the promise of at most two sync intervals unflushed. With sync "always" every submit
 * that appended starts a commit, and a record is sent only once its commit is done.
 */
import type { Clock } from '../../drivers/clock.js';
import type { Qos, QueueConfig } from '../config/types.js';
import { LogLimiter } from '../log/log-limiter.js';
import type { Logger } from '../log/logger.js';
import type { Qos0Publish } from '../mqtt/publish-packets.js';
import type { OutgoingMessage } from './message.js';
import { currentBootId, Numbering, NUMBERING_RECORD_MS, type SensorNumbering } from './numbering.js';
import { describeStorageFailure, isStorageFailure, QueueDirError } from './queue-errors.js';
import { RecordTooLargeError } from './segment-log.js';
import { NotKeptError, storeFor, type Store, type StoredMessage } from './store.js';

export type { OutgoingMessage };

/** What the outbox needs of a broker session. */
export interface BrokerLink {
  readonly connected: boolean;
  publish(topic: string, payload: Buffer, options: { qos: Qos; retain: boolean }): Promise<void>;
  /** Write QoS 0 messages now, all in one go; false (nothing written) if the connection cannot take them. */
  writeQos0(messages: readonly Qos0Publish[]): boolean;
}

export interface OutboxStats {
  submitted: number;
  /** Handed to the broker session (replays count again). */
  sent: number;
  /** Acknowledged by the broker (QoS ≥ 1), or written to it (QoS 0). */
  acknowledged: number;
  /**
   * queueFull: the cap; expired: maxAgeS; offline: no queue (or QoS 0 "drop"); refused: the broker
   * said no (an ACL, MQTT 5); diskFull: could not be stored (a full or failing disk) while the
   * broker was away.
   */
  dropped: { queueFull: number; expired: number; offline: number; refused: number; diskFull: number };
  /** Records found torn on disk at start (a power cut mid-write): readings taken and lost. */
  lost: number;
}

export interface OpenedQueue {
  /** Last sequence number per sensor that may have been used (numbering resumes after it). */
  lastSeqs: Record<string, number>;
  /**
   * The agent did not stop cleanly last time (SIGKILL, a crash, a power cut): readings numbered
   * after the last sync may have been published (QoS 0 goes out without touching the disk) and
   * then forgotten, so numbering should skip ahead rather than use a number twice.
   */
  unclean: boolean;
}

/** Why a message the store did not keep was dropped, when it could not go straight out either. */
type NotKept = 'offline' | 'diskFull';

/**
 * Closes still running, by queue directory. A stop is bounded (agent.ts), so a reload can start the
 * next run while the last commit of the previous one still waits on a slow card; the next run opens
 * the directory only after it let go (queueReleased), or that commit would write its cursor over the
 * new run's and delete segments the new run still lists.
 */
const closing = new Map<string, Promise<void>>();

/** Resolves once no earlier outbox is still closing the queue in `dir`. */
export async function queueReleased(dir: string): Promise<void> {
  for (let pending = closing.get(dir); pending; pending = closing.get(dir)) await pending;
}

/** An error carrying an MQTT reason code ≥ 0x80 is the broker's answer, not a lost connection. */
function refusedByBroker(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 0x80;
}

export class Outbox {
  readonly stats: OutboxStats = { submitted: 0, sent: 0, acknowledged: 0, dropped: { queueFull: 0, expired: 0, offline: 0, refused: 0, diskFull: 0 }, lost: 0 };
  private readonly numbering: Numbering;
  private sendIndex = 0;
  /** Index → the token of its latest send; a settled older send of the same index is ignored. */
  private readonly inFlight = new Map<number, object>();
  /** Settled records past the store's tail (their predecessors are not all settled yet). */
  private readonly acked = new Set<number>();
  /** Records the cap cut from the store while in flight: settled by their answer, not by the cut. */
  private readonly cutInFlight = new Set<number>();
  /** Records in the store not yet settled: acknowledged, expired, refused or dropped by the cap. */
  private unsettled = 0;
  /** Recently appended messages, so a caught-up sender does not read back what it just wrote. */
  private readonly recent = new Map<number, OutgoingMessage>();
  private readonly direct = new Set<Promise<void>>();
  /** When the last commit was started, and the last that rewrote the cursor (clock ms). */
  private lastCommit = 0;
  private lastCursor = 0;
  /** Cancels the backstop commit armed for appends no tick has committed yet. */
  private backstop: AbortController | undefined;
  private dropping = false;
  /** The disk could not store a message or the cursor: said once until it can again. */
  private diskTrouble = false;
  private readonly diskLines: LogLimiter;
  private readonly refusedTopics = new Set<string>();
  private closed = false;

  constructor(
    private readonly link: BrokerLink,
    private readonly config: QueueConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** This boot's id (see QueueMeta.boot); a test gives another to play a power cut. */
    bootId: string = currentBootId(),
    /** Where messages wait: the store queue.* asks for, unless a test gives another. */
    private readonly store: Store = storeFor(config),
  ) {
    this.diskLines = new LogLimiter(clock, 60_000);
    this.numbering = new Numbering(clock, config, bootId);
  }

  /**
   * Open the store: what numbering resumes from (numbering.ts), and whether the last stop was
   * clean. Throws QueueDirError if queue.dir cannot be used (read-only, not ours); a full disk is
   * not a reason. `numbering`: each sensor's interval and whether it has QoS 0 measurements.
   */
  open(numbering: Record<string, SensorNumbering> = {}): OpenedQueue {
    const { store } = this;
    const opened = store.open();
    if (opened.tornBytes > 0) {
      this.stats.lost += opened.tornRecords;
      this.logger.warn('queue: cut a torn record left by a power cut or crash; it is lost', { records: opened.tornRecords, bytes: opened.tornBytes, dir: this.config.dir });
    }
    const { unclean, powerCut } = this.numbering.resume(opened.meta, this.appendedSince(Math.max(opened.meta?.head ?? 0, store.tail)), numbering);
    this.sendIndex = store.tail;
    this.unsettled = store.pending;
    this.lastCommit = this.lastCursor = this.clock.now();
    if (opened.pending > 0) this.logger.info('queue: backlog from before the restart will be sent first', { readings: opened.pending, dir: this.config.dir });
    // "Running": a crash from here on is seen at the next start. A directory we cannot write at
    // all is the operator's to fix; a full disk is ridden out (and may be what the backlog frees).
    try {
      store.commitAtStart(this.numbering.running(store.head));
    } catch (error) {
      if (!isDiskFull(error)) {
        void store.close(this.numbering.running(store.head)).catch(() => undefined);
        throw new QueueDirError(this.config.dir, error);
      }
      this.storageFailed('the queue\'s cursor', error);
    }
    if (unclean) this.logger.warn(powerCut ? 'queue: the agent did not stop cleanly last time (a power cut or reset: unflushed readings may be lost); sequence numbers skip ahead' : 'queue: the agent did not stop cleanly last time; sequence numbers skip ahead', { dir: this.config.dir });
    return { lastSeqs: this.numbering.last, unclean };
  }

  /** Messages kept from `from` to the head: those appended after the cursor was last written carry later numbers. */
  private *appendedSince(from: number): Generator<OutgoingMessage> {
    while (from < this.store.head) {
      const batch = this.store.read(from, 1000);
      if (batch.length === 0) return;
      for (const { message } of batch) yield message;
      from = batch.at(-1)!.index + 1;
    }
  }

  /** Readings numbered after this long before an unclean stop may have gone out unrecorded. */
  get numberingLagMs(): number {
    return this.numbering.lagMs;
  }

  /** Readings waiting on disk or in flight from it (not yet acknowledged, expired or dropped). */
  get backlog(): number {
    return this.unsettled;
  }

  get queueBytes(): number {
    return this.store.bytes;
  }

  /** Records in the store not yet consumed (from its read position to its head). */
  get queueRecords(): number {
    return this.store.pending;
  }

  get inFlightCount(): number {
    return this.inFlight.size + this.direct.size;
  }

  /**
   * The outbox's ledger: every message submitted is in exactly one of these. A test (and anyone
   * debugging a stall) can check that they add up: submitted = acknowledged + dropped + pending.
   */
  ledger(): { submitted: number; acknowledged: number; dropped: number; pending: number; queueTail: number; queueHead: number; inFlight: number } {
    const d = this.stats.dropped;
    return {
      submitted: this.stats.submitted,
      acknowledged: this.stats.acknowledged,
      dropped: d.queueFull + d.expired + d.offline + d.refused + d.diskFull,
      pending: this.unsettled + this.direct.size,
      queueTail: this.store.tail,
      queueHead: this.store.head,
      inFlight: this.inFlightCount,
    };
  }

  /**
   * All messages of one sample together: one append burst and, with sync "always", one commit;
   * the QoS 0 messages that go straight out are written to the broker in one go. A tick also
   * carries the periodic commit (see the top of this file).
   */
  submit(messages: OutgoingMessage[]): void {
    if (this.closed) return;
    const held: OutgoingMessage[] = [];
    let direct: OutgoingMessage[] = [];
    for (const message of messages) {
      this.stats.submitted++;
      this.numbering.note(message);
      const waiting = this.unsettled > 0 || held.length > 0;
      if (this.link.connected && message.qos === 0 && !waiting) {
        direct.push(message);
        continue;
      }
      // Whatever goes another way goes after the QoS 0 messages sampled before it.
      this.writeDirect(direct, held);
      direct = [];
      held.push(message);
    }
    this.writeDirect(direct, held);
    const appended = this.hold(held);
    this.commitIfDue(appended);
    if (!appended) return;
    this.trimRecent();
    this.pump();
  }

  /**
   * Start a commit if this submit's appends must be durable before they are sent (sync "always"),
   * or a sync interval has (about) passed; otherwise make sure appended data has a backstop. The
   * slack lets a tick that comes a little early carry the commit rather than a timer of its own.
   */
  private commitIfDue(appended: boolean): void {
    if (!this.store.persistent || this.closed) return;
    const interval = this.config.syncIntervalMs;
    const elapsed = this.clock.now() - this.lastCommit;
    if ((appended && this.config.sync === 'always') || elapsed >= interval * 0.9) {
      void this.sync();
      return;
    }
    if (appended && !this.backstop) {
      const backstop = new AbortController();
      this.backstop = backstop;
      // Half an interval past the next one: a tick usually comes first and cancels it, and the
      // data still never waits more than two intervals for its flush (docs/reliability.md).
      this.clock.sleep(Math.max(1, interval * 1.5 - elapsed), backstop.signal).then(
        () => {
          if (this.backstop === backstop) this.backstop = undefined;
          void this.sync();
        },
        () => undefined,
      );
    }
  }

  /**
   * Send what the window allows; called after submits, acknowledgements and (re)connects. QoS 0
   * records go out as the straight path does (written together, done once written); they do not
   * take a place in the window. If the socket is backed up they wait for the next call: mqtt.js's
   * own QoS 0 publish would wait for a 'drain' that a dropped connection never emits, and the
   * window place it held would be lost for good. Records already settled or in flight (a resend
   * after a lost connection starts from the first unacknowledged one) are stepped over.
   */
  pump(): void {
    const { store } = this;
    if (this.closed || !this.link.connected) return;
    if (this.sendIndex < store.tail) this.sendIndex = store.tail; // the cap dropped what we were about to send
    // With sync "always" a record goes out only once its commit is done (the next pump is then).
    const sendable = this.config.sync === 'always' ? store.durable : store.head;
    while (this.inFlight.size < this.config.window && this.sendIndex < sendable) {
      const batch = this.readFrom(this.sendIndex, Math.min(this.config.window - this.inFlight.size, sendable - this.sendIndex));
      if (batch.length === 0) break;
      // QoS 0 records leave the window's room free, so a batch may hold more than fits in it.
      let run: StoredMessage[] = [];
      for (const record of batch) {
        if (this.acked.has(record.index) || this.inFlight.has(record.index)) {
          if (!this.writeLogged(run)) return;
          run = [];
          this.sendIndex = record.index + 1;
          continue;
        }
        const expired = this.config.maxAgeS > 0 && this.clock.wallNow() - record.message.ts > this.config.maxAgeS * 1000;
        if (record.message.qos === 0 && !expired) {
          run.push(record);
          continue;
        }
        if (!this.writeLogged(run) || this.inFlight.size >= this.config.window) return;
        run = [];
        this.sendIndex = record.index + 1;
        if (expired) {
          if (this.settled(record.index)) this.stats.dropped.expired++;
        } else {
          this.sendLogged(record.index, record.message);
        }
      }
      if (!this.writeLogged(run)) return;
    }
  }

  /** Wait (bounded) until nothing is in flight; true if everything sent was acknowledged. */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = this.clock.now() + timeoutMs;
    while (this.inFlightCount > 0 && this.clock.now() < until) await this.clock.sleep(Math.min(20, until - this.clock.now()));
    return this.inFlightCount === 0;
  }

  /**
   * Make what is on disk durable and remember where we are, off the event loop; resolves when
   * done. Never rejects: a failing disk is reported. Records it made durable are sent (sync "always").
   */
  async sync(): Promise<void> {
    const now = this.clock.now();
    this.lastCommit = now;
    this.backstop?.abort();
    this.backstop = undefined;
    // The cursor is rewritten once a minute (with the QoS 0 reservations counted from then), or
    // when it lets delivered segments go, or to say the disk works again: the records kept after
    // it say the rest, so a rename and two fsyncs a second bought nothing but an SD card's wear.
    // One sync interval early, so the write is done before the reservation it replaces runs out.
    const cursor = this.diskTrouble || now - this.lastCursor >= NUMBERING_RECORD_MS - this.config.syncIntervalMs;
    if (cursor) this.lastCursor = now;
    try {
      await this.store.commit(this.numbering.running(this.store.head, cursor), { reclaim: this.diskTrouble, cursor });
      this.diskRecovered();
    } catch (error) {
      this.storageFailed('the queue\'s cursor', error);
    }
    if (this.config.sync === 'always') this.pump();
  }

  /** Commit with the cursor marked clean and let go of the files; resolves when on disk. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.backstop?.abort();
    this.backstop = undefined;
    const done = this.store.close(this.numbering.stopped(this.store.head)).catch((error: unknown) => this.storageFailed('the queue at stop', error));
    const dir = this.config.dir;
    closing.set(dir, done);
    void done.finally(() => {
      if (closing.get(dir) === done) closing.delete(dir);
    });
    await done;
  }

  private readFrom(from: number, max: number): StoredMessage[] {
    const cached = this.recent.get(from);
    if (cached) {
      const out: StoredMessage[] = [];
      for (let i = from; out.length < max; i++) {
        const message = this.recent.get(i);
        if (!message) break;
        out.push({ index: i, message });
      }
      return out;
    }
    try {
      return this.store.read(from, max);
    } catch (error) {
      // A failing card (EIO), a segment gone (ENOENT): pump runs from acknowledgements and commits,
      // where a throw would end the process. Nothing is sent now; the next pump reads again.
      const { error: cause, hint } = describeStorageFailure(error);
      this.diskLines.hit('read', ({ suppressed }) =>
        this.logger.error('queue: cannot read the queued readings; they stay queued and are read again at the next send', { dir: this.config.dir, error: cause, hint, ...(suppressed > 0 ? { suppressed } : {}) }),
      );
      return [];
    }
  }

  /** QoS 0 messages in one write; if the connection cannot take them now, they join `held` instead. */
  private writeDirect(messages: OutgoingMessage[], held: OutgoingMessage[]): void {
    if (messages.length === 0 || this.writeQos0(messages)) return;
    held.push(...messages);
  }

  /** Queued QoS 0 records in one write, done with once written. False if the socket cannot take them now. */
  private writeLogged(run: StoredMessage[]): boolean {
    if (run.length === 0) return true;
    if (!this.link.writeQos0(run.map((r) => r.message))) return false;
    for (const { index } of run) {
      this.stats.sent++;
      if (this.settled(index)) this.stats.acknowledged++;
    }
    this.sendIndex = run.at(-1)!.index + 1;
    return true;
  }

  /** QoS 0 is done with once written: it counts as sent and acknowledged at once. */
  private writeQos0(messages: OutgoingMessage[]): boolean {
    if (!this.link.writeQos0(messages)) return false;
    this.stats.sent += messages.length;
    this.stats.acknowledged += messages.length;
    return true;
  }

  /**
   * Messages that cannot go straight out: into the store, in order and in one append (one write
   * for a tick's readings), or counted as dropped. True if any was kept. What the store cannot keep
   * (the queue off, a full or failing disk) goes straight out after all when the broker is there
   * (ahead of older queued readings: a live reading delivered beats one dropped), else it is
   * dropped and counted.
   */
  private hold(messages: OutgoingMessage[]): boolean {
    const keep = this.config.qos0 === 'drop' ? messages.filter((m) => m.qos !== 0) : messages;
    this.stats.dropped.offline += messages.length - keep.length;
    if (keep.length === 0) return false;
    const { store } = this;
    const tailBefore = store.tail;
    const { count, error } = store.appendMany(keep);
    const first = store.head - count;
    this.unsettled += count;
    if (store.tail > tailBefore) this.cutByCap(tailBefore, store.tail);
    // Only a sender that can send soon reads from memory; kept through an outage, these would
    // live just long enough to be promoted to V8's old space (RSS grew 14 MB per 100,000).
    if (this.link.connected) {
      for (let i = Math.max(first, store.tail) - first; i < count; i++) this.recent.set(first + i, keep[i]!);
    }
    if (count === keep.length) return true;
    this.notKept(keep[count]!, error);
    return this.hold(keep.slice(count + 1)) || count > 0;
  }

  /** The store refused `message` with `error`: dropped, or straight out (see hold). */
  private notKept(message: OutgoingMessage, error: unknown): void {
    if (error instanceof RecordTooLargeError) {
      this.stats.dropped.queueFull++;
      this.logger.warn('queue: a reading too large for the queue was dropped', { topic: message.topic, hint: 'raise queue.maxBytes (a segment is at most a quarter of it)' });
      return;
    }
    if (error instanceof NotKeptError) {
      this.sendNow(message, 'offline');
      return;
    }
    if (!isStorageFailure(error)) throw error;
    this.storageFailed('a reading', error);
    this.sendNow(message, 'diskFull');
  }

  /** A message the store did not keep: straight out if the broker is there, else dropped for `reason`. */
  private sendNow(message: OutgoingMessage, reason: NotKept): void {
    if (!this.link.connected) this.stats.dropped[reason]++;
    else if (message.qos === 0) {
      if (!this.writeQos0([message])) this.stats.dropped[reason]++;
    } else this.sendDirect(message, reason);
  }

  /**
   * The cap dropped records [from, to) from the disk. Those settled already (acknowledged past a
   * gap) were counted then; those in flight are settled by their answer; the rest are dropped.
   */
  private cutByCap(from: number, to: number): void {
    let dropped = 0;
    for (let i = from; i < to; i++) {
      this.recent.delete(i);
      if (this.acked.delete(i)) continue;
      if (this.inFlight.has(i)) this.cutInFlight.add(i);
      else dropped++;
    }
    this.stats.dropped.queueFull += dropped;
    this.unsettled -= dropped;
    if (dropped > 0 && !this.dropping) {
      this.dropping = true;
      this.logger.warn('queue full: dropping the oldest readings until the broker is back', { maxBytes: this.config.maxBytes, dir: this.config.dir });
    }
  }

  private sendLogged(index: number, message: OutgoingMessage): void {
    const token = {};
    this.inFlight.set(index, token);
    this.stats.sent++;
    this.link.publish(message.topic, message.payload, { qos: message.qos, retain: message.retain }).then(
      () => {
        if (this.inFlight.get(index) !== token) return; // an older send; the latest one answers for it
        this.inFlight.delete(index);
        if (this.settled(index)) this.stats.acknowledged++;
        this.pump();
      },
      (error: unknown) => {
        if (this.inFlight.get(index) !== token) return;
        this.inFlight.delete(index);
        if (refusedByBroker(error)) {
          // The broker answered, and said no (MQTT 5 PUBACK ≥ 0x80, e.g. 0x87 Not authorized): sending
          // it again would be refused again, forever. Count it, say so, and let the queue move on.
          if (this.settled(index)) this.refused(message.topic, error);
          this.pump();
          return;
        }
        if (this.cutInFlight.delete(index)) {
          // The cap took it off the disk while it was out: there is nothing to send again.
          this.stats.dropped.queueFull++;
          this.unsettled--;
          return;
        }
        // Connection lost with this message unacknowledged: send it again, and everything after it,
        // so the order at the subscriber holds (duplicates are the price of at-least-once).
        if (index < this.sendIndex) this.sendIndex = Math.max(index, this.store.tail);
        this.logger.debug('publish not acknowledged, will resend', { topic: message.topic, error: error instanceof Error ? error.message : String(error) });
        this.pump();
      },
    );
  }

  private sendDirect(message: OutgoingMessage, onFailure: NotKept): void {
    this.stats.sent++;
    const sent = this.link
      .publish(message.topic, message.payload, { qos: message.qos, retain: message.retain })
      .then(
        () => {
          this.stats.acknowledged++;
        },
        (error: unknown) => {
          if (refusedByBroker(error)) {
            this.refused(message.topic, error);
            return;
          }
          this.stats.dropped[onFailure]++;
          this.logger.debug('publish failed', { topic: message.topic, error: error instanceof Error ? error.message : String(error) });
        },
      )
      .finally(() => this.direct.delete(sent));
    this.direct.add(sent);
  }

  /** Logged once per topic: a denied topic stays denied, and every sample would say so again. */
  private refused(topic: string, error: unknown): void {
    this.stats.dropped.refused++;
    const fields = { topic, error: error instanceof Error ? error.message : String(error), hint: 'refused by the broker (its ACL?); dropped, not retried' };
    if (this.refusedTopics.has(topic)) this.logger.debug('publish failed', fields);
    else this.logger.warn('publish failed', fields);
    this.refusedTopics.add(topic);
  }

  /**
   * A kept message is done with (acknowledged, expired or refused): consume the store up to the
   * first gap. False if it was settled before (the caller then counts nothing).
   */
  private settled(index: number): boolean {
    const { store } = this;
    this.recent.delete(index);
    if (this.cutInFlight.delete(index)) {
      this.unsettled--; // already off the disk
      return true;
    }
    if (index < store.tail || this.acked.has(index)) return false;
    this.unsettled--;
    this.acked.add(index);
    let tail = store.tail;
    while (this.acked.delete(tail)) tail++;
    store.consume(tail);
    if (this.dropping && this.unsettled === 0) {
      this.dropping = false;
      this.logger.info('queue drained', { droppedWhileFull: this.stats.dropped.queueFull });
    }
    return true;
  }

  private trimRecent(): void {
    const limit = this.config.window * 4;
    for (const index of this.recent.keys()) {
      if (this.recent.size <= limit && index >= this.store.tail) break;
      this.recent.delete(index);
    }
  }

  /**
   * The disk let us down: say so once per episode (each failure is counted where it is dropped).
   * An episode ends when a sync writes the cursor again; a nearly full disk can take a small
   * record and not the next, so episodes are also held to one ERROR line a minute.
   */
  private storageFailed(what: string, error: unknown): void {
    if (this.diskTrouble) return;
    this.diskTrouble = true;
    const { error: cause, hint } = describeStorageFailure(error);
    this.diskLines.hit('disk', ({ suppressed }) =>
      this.logger.error(`queue: cannot write ${what}; readings that cannot be stored go straight out while the broker is there, and are dropped and counted while it is not`, {
        dir: this.config.dir, error: cause, hint, ...(suppressed > 0 ? { episodesSince: suppressed } : {}),
      }),
    );
  }

  private diskRecovered(): void {
    if (!this.diskTrouble) return;
    this.diskTrouble = false;
    this.diskLines.hit('recovered', () => this.logger.info('queue: the disk takes writes again', { dir: this.config.dir, droppedWhileFull: this.stats.dropped.diskFull }));
  }
}

/** A disk that is full (or over quota): ridden out. Anything else at open is the operator's to fix. */
function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
