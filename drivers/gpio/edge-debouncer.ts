/**
 * Turns raw edge interrupts into debounced, edge-filtered reports, on an injected clock.
 *
 * Why not onoff's own `debounceTimeout`: it runs lodash.debounce on real timers, so it cannot be
 * tested with a ManualClock, and it filters edges against onoff's `edge` setting before
 * debouncing, so a bounce that ends on the other level can be lost. Here the sysfs edge is always
 * "both"; every interrupt restarts the quiet period, and only when the line has been quiet for
 * `debounceMs` is the level read and compared with the last stable level.
 */
import type { Clock } from '../clock.js';
import type { Edge } from './gpio.js';

export interface EdgeDebouncerOptions {
  clock: Clock;
  debounceMs: number;
  edge: Edge;
  /** The stable logical level when watching starts. */
  initial: boolean;
  /** The logical level now (synchronous, so a report follows the quiet period without an I/O turn). */
  readLevel: () => boolean;
  emit: (active: boolean) => void;
  /** A failed read after a quiet period: reported, never thrown into the clock's callback. */
  onError?: (error: unknown) => void;
}

export class EdgeDebouncer {
  private stable: boolean;
  private quiet: AbortController | undefined;
  private stopped = false;

  constructor(private readonly options: EdgeDebouncerOptions) {
    this.stable = options.initial;
  }

  /** An interrupt: the line may have changed. `level` is what the interrupt handler read, if anything. */
  notify(level?: boolean): void {
    if (this.stopped) return;
    if (this.options.debounceMs <= 0) {
      this.settleAt(level ?? this.read());
      return;
    }
    this.quiet?.abort();
    const quiet = new AbortController();
    this.quiet = quiet;
    this.options.clock.sleep(this.options.debounceMs, quiet.signal).then(
      () => {
        if (this.quiet === quiet) this.quiet = undefined;
        if (!this.stopped) this.settleAt(this.read());
      },
      () => undefined, // a newer interrupt restarted the quiet period, or stop()
    );
  }

  stop(): void {
    this.stopped = true;
    this.quiet?.abort();
    this.quiet = undefined;
  }

  private read(): boolean {
    try {
      return this.options.readLevel();
    } catch (error) {
      this.options.onError?.(error);
      return this.stable;
    }
  }

  private settleAt(level: boolean): void {
    if (level === this.stable) return;
    this.stable = level;
    const { edge } = this.options;
    if (edge === 'both' || (edge === 'rising') === level) this.options.emit(level);
  }
}
