/**
 * Pings the systemd watchdog only while the sampling loop is alive: every scheduler tick calls
 * `beat()`, and every half watchdog interval a ping goes out if the last beat is recent enough.
 * A hung sensor read or a stuck loop stops the pings, and systemd restarts the service
 * (WatchdogSec= with Restart=on-failure). Time comes from the injected clock.
 */
import type { Clock } from '../../drivers/clock.js';

export interface WatchdogOptions {
  clock: Clock;
  /** systemd's watchdog interval (WATCHDOG_USEC), ms; pings go out every half of it. */
  intervalMs: number;
  /**
   * A beat older than this means the loop is stuck. It must exceed the longest sampling
   * interval (a slow sensor beats rarely); null = no sampling loop (a subscriber), so the
   * event loop turning is the only proof of life. A function: a reload may change the sensors.
   */
  staleAfterMs(): number | null;
  ping(): void;
}

export class Watchdog {
  private lastBeat: number;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  pings = 0;
  missed = 0;

  constructor(private readonly options: WatchdogOptions) {
    this.lastBeat = options.clock.now();
  }

  /** The sampling loop is alive (called on every tick). */
  beat(): void {
    this.lastBeat = this.options.clock.now();
  }

  alive(): boolean {
    const staleAfterMs = this.options.staleAfterMs();
    return staleAfterMs === null || this.options.clock.now() - this.lastBeat <= staleAfterMs;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('watchdog stopped'));
    await this.loop;
  }

  private async run(): Promise<void> {
    const { clock, intervalMs } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (this.alive()) {
        this.pings++;
        this.options.ping();
      } else {
        this.missed++;
      }
      try {
        await clock.sleep(intervalMs / 2, signal);
      } catch {
        return;
      }
    }
  }
}
