/**
 * One log line per cause per interval. A fault that repeats every tick (a flaky sensor at 20 Hz, a
 * client flooding a topic with garbage) would otherwise write thousands of lines a minute, burying
 * everything else in the journal and wearing the SD card. The first occurrence of a cause is logged
 * at once; later ones within the interval are only counted, and the count rides on the next line
 * written for that cause (`suppressed=N`). Counters elsewhere (health, inbox stats) stay exact:
 * this limits words, never accounting.
 */
import type { Clock } from '../../drivers/clock.js';

export interface LimitedLine {
  /** Occurrences of this cause since its last line that were not written. */
  suppressed: number;
}

/** Causes remembered at most: a hostile peer choosing a new cause per message must not grow the heap. */
const MAX_CAUSES = 256;

export class LogLimiter {
  private readonly causes = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    readonly intervalMs: number,
  ) {}

  /**
   * Call on every occurrence of `cause`. Runs `write` when a line is due for it (the first time, or
   * once `intervalMs` has passed since its last line), with how many were held back meanwhile.
   * Returns whether it wrote.
   */
  hit(cause: string, write: (line: LimitedLine) => void): boolean {
    const now = this.clock.now();
    const known = this.causes.get(cause);
    if (known && now - known.lastAt < this.intervalMs) {
      known.suppressed++;
      return false;
    }
    if (!known && this.causes.size >= MAX_CAUSES) this.forgetOldest(now);
    write({ suppressed: known?.suppressed ?? 0 });
    this.causes.delete(cause); // re-inserted last: the map's order is the order of last lines
    this.causes.set(cause, { lastAt: now, suppressed: 0 });
    return true;
  }

  /** Held-back counts per cause, e.g. to write a closing line at shutdown. */
  pending(): Array<{ cause: string; suppressed: number }> {
    return [...this.causes].filter(([, c]) => c.suppressed > 0).map(([cause, c]) => ({ cause, suppressed: c.suppressed }));
  }

  private forgetOldest(now: number): void {
    // Causes quiet for a whole interval carry nothing worth keeping but their count.
    for (const [cause, c] of this.causes) if (now - c.lastAt >= this.intervalMs && c.suppressed === 0) this.causes.delete(cause);
    if (this.causes.size < MAX_CAUSES) return;
    const oldest = this.causes.keys().next().value;
    if (oldest !== undefined) this.causes.delete(oldest);
  }
}
