/**
 * A GPIO backend in memory, faithful to the seam's contract so that the agent's outputs, inputs and
 * rules run unchanged on it: a pin is claimed once, `activeLow` inverts the electrical level, an
 * output is at its safe state from the moment it is claimed, and input edges are debounced with
 * the injected clock. Tests and the demo drive input pins from outside with `setLevel`, and read
 * the electrical level of an output with `level`.
 */
import type { Clock } from '../clock.js';
import { GpioError, type Edge, type GpioBackend, type InputOptions, type InputPin, type OutputOptions, type OutputPin, type PinName } from './gpio.js';

interface Line {
  pin: PinName;
  direction: 'in' | 'out';
  activeLow: boolean;
  /** Electrical level: true = high. */
  high: boolean;
  released: boolean;
}

export interface SimulatedGpioOptions {
  clock: Clock;
  /** Which pin names exist on the simulated board (default: every name). */
  exists?: (pin: PinName) => boolean;
}

/** One entry per electrical change of an output: what a logic analyser on the header would show. */
export interface LevelChange {
  pin: PinName;
  high: boolean;
  at: number;
}

export class SimulatedGpio implements GpioBackend {
  private readonly lines = new Map<PinName, Line>();
  private readonly inputLevels = new Map<PinName, boolean>();
  private readonly levelListeners = new Map<PinName, Set<(high: boolean) => void>>();
  readonly history: LevelChange[] = [];

  constructor(private readonly options: SimulatedGpioOptions) {}

  async output(pin: PinName, options: OutputOptions): Promise<OutputPin> {
    const line = this.claim(pin, 'out', options.activeLow);
    // The safe state is set with the direction, as writing "high"/"low" to sysfs `direction` does,
    // so the pin never shows the other level in between.
    this.drive(line, options.initial !== options.activeLow);
    const alive = (): Line => this.alive(line);
    return {
      pin,
      write: async (active) => this.drive(alive(), active !== line.activeLow),
      read: async () => alive().high !== line.activeLow,
    };
  }

  async input(pin: PinName, options: InputOptions): Promise<InputPin> {
    const line = this.claim(pin, 'in', options.activeLow);
    line.high = this.inputLevels.get(pin) ?? false;
    return {
      pin,
      read: async () => this.alive(line).high !== line.activeLow,
      watch: (listener) => this.watch(line, options, listener),
    };
  }

  async close(): Promise<void> {
    for (const line of this.lines.values()) line.released = true;
    this.lines.clear();
    for (const listeners of this.levelListeners.values()) listeners.clear();
  }

  /** Pins claimed now (released pins are gone: the sysfs unexport). */
  claimed(): PinName[] {
    return [...this.lines.keys()];
  }

  /** Electrical level of a pin (outputs: as driven; inputs: as set from outside). */
  level(pin: PinName): boolean | undefined {
    return this.lines.get(pin)?.high ?? this.inputLevels.get(pin);
  }

  /** Drive an input pin's electrical level from outside (a button, a switch, a bouncing contact). */
  setLevel(pin: PinName, high: boolean): void {
    this.inputLevels.set(pin, high);
    const line = this.lines.get(pin);
    if (!line || line.direction !== 'in' || line.high === high) return;
    line.high = high;
    for (const listener of this.levelListeners.get(pin) ?? []) listener(high);
  }

  private claim(pin: PinName, direction: Line['direction'], activeLow: boolean): Line {
    if (this.options.exists && !this.options.exists(pin)) throw new GpioError(`pin ${pin} does not exist on this board`, pin, { code: 'ENOENT' });
    if (this.lines.has(pin)) throw new GpioError(`pin ${pin} is already in use (claimed as an ${this.lines.get(pin)!.direction === 'out' ? 'output' : 'input'})`, pin, { code: 'EBUSY' });
    const line: Line = { pin, direction, activeLow, high: false, released: false };
    this.lines.set(pin, line);
    return line;
  }

  private alive(line: Line): Line {
    if (line.released) throw new GpioError(`pin ${line.pin} was released`, line.pin, { code: 'EINVAL' });
    return line;
  }

  private drive(line: Line, high: boolean): void {
    if (line.high === high && this.history.some((c) => c.pin === line.pin)) return;
    line.high = high;
    this.history.push({ pin: line.pin, high, at: this.options.clock.now() });
  }

  private watch(line: Line, options: InputOptions, listener: (active: boolean) => void): () => void {
    let reported = line.high !== line.activeLow;
    let pending: AbortController | undefined;
    const settle = (): void => {
      const active = line.high !== line.activeLow;
      if (active === reported) return;
      reported = active;
      if (wanted(options.edge, active)) listener(active);
    };
    const onLevel = (): void => {
      pending?.abort();
      if (options.debounceMs <= 0) return settle();
      // Debounce: report only once the level has held for debounceMs since its last change.
      const timer = new AbortController();
      pending = timer;
      this.options.clock.sleep(options.debounceMs, timer.signal).then(settle, () => undefined);
    };
    const listeners = this.levelListeners.get(line.pin) ?? new Set();
    this.levelListeners.set(line.pin, listeners);
    listeners.add(onLevel);
    return () => {
      pending?.abort();
      listeners.delete(onLevel);
    };
  }
}

function wanted(edge: Edge, active: boolean): boolean {
  return edge === 'both' || (edge === 'rising') === active;
}
