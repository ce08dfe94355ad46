/**
 * The real GPIO backend: fivdi/onoff 6 over the sysfs GPIO interface (/sys/class/gpio).
 *
 * onoff is loaded lazily (it needs the native `epoll` addon), pin names are translated to sysfs
 * numbers through the chips' bases (chip-base.ts), and values stay logical: activeLow is handed
 * to sysfs (`active_low`), which inverts `value` and the edges for us.
 *
 * Field knowledge this relies on:
 * - onoff adds no chip base: `new Gpio(17)` writes "17" to export, which is EINVAL on Raspberry Pi
 *   OS 6.6+ (onoff #197, #199, #200). We pass base + offset.
 * - A safe initial state without a glitch: onoff writes `active_low` first and then `direction`
 *   "high"/"low", which the kernel applies as one raw output level (gpiolib-sysfs direction_store
 *   → gpiod_direction_output_raw). Raw means physical, so the direction word is the physical level
 *   of the logical safe state: for an active-low relay that starts off, "high".
 * - onoff's own path is fixed at /sys/class/gpio, so the sysfs root here is only where the chips
 *   are read; anything but /sys would translate numbers for one tree and export in another.
 */
import fs, { constants, existsSync, realpathSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { accessFacts, modeDenial, type AccessFacts } from '../access-hint.js';
import { systemClock, type Clock } from '../clock.js';
import { HARDWARE_UNAVAILABLE } from '../errors.js';
import { checkBoardChips, readGpioChips, resolveLine, type GpioChip, type SysfsLine } from './chip-base.js';
import { EdgeDebouncer } from './edge-debouncer.js';
import { GpioError, type GpioBackend, type InputOptions, type InputPin, type OutputOptions, type OutputPin, type PinName } from './gpio.js';
import type { GpioBoard } from './pins.js';

/** The part of onoff's `Gpio` we use (onoff.d.ts, 6.0.3). */
export interface OnoffGpio {
  read(): Promise<0 | 1>;
  readSync(): 0 | 1;
  write(value: 0 | 1): Promise<void>;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatch(callback?: (err: Error | null | undefined, value: 0 | 1) => void): void;
  setEdge(edge: 'none' | 'rising' | 'falling' | 'both'): void;
  unexport(): void;
}

export type OnoffGpioClass = new (
  gpio: number,
  direction: 'in' | 'high' | 'low',
  edge?: 'none' | 'rising' | 'falling' | 'both',
  options?: { activeLow?: boolean; reconfigureDirection?: boolean },
) => OnoffGpio;

export interface OnoffGpioOptions {
  /** Where the gpiochips are read; must be /sys for real use (onoff's path is fixed). */
  sysfsRoot?: string;
  /** Debounce timers run on this clock (tests: ManualClock). */
  clock?: Clock;
  /** Replaces `import('onoff')` (tests of the loader's error messages). */
  importModule?: () => Promise<unknown>;
  /** Problems that are not the caller's call to handle (an interrupt error), with the pin. */
  onError?: (error: GpioError) => void;
  /** Replaces reading a file's owner, mode and this process's groups for a hint (tests). */
  facts?: (path: string) => AccessFacts | undefined;
}

/** onoff's fixed path (onoff.js GPIO_ROOT_PATH). */
const SYSFS_GPIO = '/sys/class/gpio';
/** Through the fs object, like onoff's own sysfs writes. */
const writeFileSync = (path: string, data: string): void => fs.writeFileSync(path, data);

const codeOf = (error: unknown): string | undefined => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function loadOnoff(importModule: () => Promise<unknown> = () => import('onoff')): Promise<OnoffGpioClass> {
  let loaded: { Gpio?: unknown; default?: { Gpio?: unknown } };
  try {
    loaded = (await importModule()) as typeof loaded;
  } catch (error) {
    const message = messageOf(error);
    if (/Cannot find (?:module|package) 'onoff'/.test(message)) {
      throw new GpioError('GPIO support is not installed: the optional package onoff is missing (npm install onoff; its epoll addon needs build-essential and python3 to build). Run with --simulate to use simulated GPIO instead.', '', { code: HARDWARE_UNAVAILABLE, cause: error });
    }
    if (/epoll|bindings/i.test(message)) {
      throw new GpioError(`onoff's native epoll addon could not be loaded (${message}): rebuild it on this board with npm rebuild epoll (needs build-essential and python3)`, '', { code: HARDWARE_UNAVAILABLE, cause: error });
    }
    throw new GpioError(`onoff could not be loaded: ${message}`, '', { code: codeOf(error), cause: error });
  }
  const Gpio = typeof loaded.Gpio === 'function' ? loaded.Gpio : loaded.default?.Gpio;
  if (typeof Gpio !== 'function') throw new GpioError('the installed onoff has no Gpio class: onoff 6 is needed', '');
  return Gpio as OnoffGpioClass;
}

const GPIO_RULE = 'the udev rule that gives /sys/class/gpio/export, unexport and each exported gpioN\'s files to group gpio (Raspberry Pi OS: 99-com.rules)';
const READ_ONLY = 'under the systemd unit, ProtectKernelTunables=yes keeps /sys read-only except what the drop-in edge-agent.service.d/gpio-sysfs.conf lists; run sudo systemd/install.sh again with this configuration: it writes that drop-in for /sys/class/gpio and this board\'s GPIO controllers';

/** What keeps this process from writing a sysfs GPIO file (drivers/access-hint.ts), by its error. */
export function sysfsHint(code: string | undefined, path: string, facts: (path: string) => AccessFacts | undefined): string | undefined {
  if (code === 'EROFS') {
    let real = path;
    try {
      real = realpathSync(path);
    } catch {
      // the link's target is what matters, but the path alone still says enough
    }
    return `${real === path ? path : `${path} (really ${real})`} is on a read-only mount (EROFS): ${READ_ONLY}`;
  }
  if (code === 'EACCES' || code === 'EPERM') {
    const found = facts(path);
    return found ? modeDenial(found, 'gpio', GPIO_RULE, 'w') : `${path} is not writable by this process: it must belong to group gpio (${GPIO_RULE}), and the user must be in group gpio`;
  }
  return undefined;
}

/** An OS error from sysfs, said in terms of what to do. */
function claimError(line: SysfsLine, error: unknown, facts: (path: string) => AccessFacts | undefined): GpioError {
  const code = codeOf(error);
  const at = `pin "${line.pin}" (sysfs gpio${line.number}, ${line.chip.name} "${line.chip.label}" base ${line.chip.base})`;
  // onoff opens value first (r+), then writes active_low and direction; the error names its path.
  const path = (error as { path?: unknown } | null)?.path;
  const file = typeof path === 'string' ? path : `${SYSFS_GPIO}/gpio${line.number}/value`;
  const hint =
    sysfsHint(code, file, facts) ??
    (code === 'EBUSY'
      ? 'the line is held by a kernel driver (an LED, a device-tree hog, another program): free it or pick another pin'
      : code === 'EINVAL'
        ? 'the kernel refused this number: the chip bases may have changed; check /sys/class/gpio/gpiochip*/base'
        : 'see the cause');
  return new GpioError(`cannot claim ${at}: ${messageOf(error)} — ${hint}`, line.pin, { code, cause: error });
}

/**
 * The onoff backend for `board`: reads the GPIO chips now (so a kernel without sysfs GPIO, or a
 * board setting that does not match the chips, fails at start), checks that `export` is writable,
 * then loads onoff. Pins are claimed, translated and exported one by one as `output`/`input` ask.
 */
export async function createOnoffGpio(board: GpioBoard, options: OnoffGpioOptions = {}): Promise<GpioBackend> {
  const sysfsRoot = resolve(options.sysfsRoot ?? '/sys');
  if (sysfsRoot !== '/sys') {
    throw new GpioError(`onoff always uses /sys/class/gpio, so the sysfs root must be /sys (got ${sysfsRoot}); tests mount a fake tree over /sys in a private mount namespace`, '');
  }
  const chips = await readGpioChips(sysfsRoot);
  checkBoardChips(board, chips);
  const facts = options.facts ?? accessFacts;
  try {
    await access(`${SYSFS_GPIO}/export`, constants.W_OK);
  } catch (error) {
    const code = codeOf(error);
    const hint = sysfsHint(code, `${SYSFS_GPIO}/export`, facts) ?? 'see the cause';
    throw new GpioError(`cannot write ${SYSFS_GPIO}/export (${code ?? 'error'}): ${hint}; the agent should not run as root`, '', { code, cause: error });
  }
  const Gpio = await loadOnoff(options.importModule);
  return new OnoffBackend(board, chips, Gpio, options.clock ?? systemClock, options.onError, facts);
}

class OnoffBackend implements GpioBackend {
  /** sysfs number → what holds it, so a second claim (by any name) is refused. */
  private readonly claims = new Map<number, { pin: PinName; gpio: OnoffGpio; release: () => void }>();

  constructor(
    private readonly board: GpioBoard,
    private readonly chips: readonly GpioChip[],
    private readonly Gpio: OnoffGpioClass,
    private readonly clock: Clock,
    private readonly onError: ((error: GpioError) => void) | undefined,
    private readonly facts: (path: string) => AccessFacts | undefined,
  ) {}

  private claim(pin: PinName, open: (line: SysfsLine) => OnoffGpio): { line: SysfsLine; gpio: OnoffGpio } {
    const line = resolveLine(this.board, pin, this.chips);
    const held = this.claims.get(line.number);
    if (held) {
      throw new GpioError(`pin "${pin}" is already in use${held.pin === pin ? '' : ` as "${held.pin}" (the same line, sysfs gpio${line.number})`}: each pin can be claimed once`, pin, { code: 'EBUSY' });
    }
    const exportedBefore = existsSync(`${SYSFS_GPIO}/gpio${line.number}`);
    let gpio: OnoffGpio;
    try {
      gpio = open(line);
    } catch (error) {
      // onoff exports first and configures after; when configuring fails it keeps no handle, so
      // release a line we exported ourselves, or it would stay exported after the agent exits.
      if (!exportedBefore && existsSync(`${SYSFS_GPIO}/gpio${line.number}`)) {
        try {
          writeFileSync(`${SYSFS_GPIO}/unexport`, String(line.number));
        } catch {
          // the claim error below is the one worth reporting
        }
      }
      throw claimError(line, error, this.facts);
    }
    this.claims.set(line.number, { pin, gpio, release: () => undefined });
    return { line, gpio };
  }

  async output(pin: PinName, options: OutputOptions): Promise<OutputPin> {
    const physicalHigh = options.initial !== options.activeLow;
    const { gpio } = this.claim(pin, (line) => new this.Gpio(line.number, physicalHigh ? 'high' : 'low', undefined, { activeLow: options.activeLow }));
    return {
      pin,
      write: async (active) => {
        try {
          await gpio.write(active ? 1 : 0);
        } catch (error) {
          throw new GpioError(`cannot write pin "${pin}": ${messageOf(error)}`, pin, { code: codeOf(error), cause: error });
        }
      },
      read: async () => (await this.readPin(pin, gpio)),
    };
  }

  async input(pin: PinName, options: InputOptions): Promise<InputPin> {
    // No edge at claim time: a line that cannot interrupt has no `edge` file (onoff #77), and onoff
    // would wait for one; the edge is set when someone watches.
    const { line, gpio } = this.claim(pin, (l) => new this.Gpio(l.number, 'in', undefined, { activeLow: options.activeLow }));
    const listeners = new Set<(active: boolean) => void>();
    let debouncer: EdgeDebouncer | undefined;
    const onInterrupt = (err: Error | null | undefined, value: 0 | 1): void => {
      if (err) {
        this.onError?.(new GpioError(`interrupt error on pin "${pin}": ${err.message}`, pin, { code: codeOf(err), cause: err }));
        return;
      }
      debouncer?.notify(value === 1);
    };
    const stop = (): void => {
      debouncer?.stop();
      debouncer = undefined;
      try {
        gpio.unwatch(onInterrupt);
      } catch {
        // already unexported: nothing left to stop
      }
    };
    this.claims.get(line.number)!.release = () => {
      listeners.clear();
      stop();
    };
    return {
      pin,
      read: () => this.readPin(pin, gpio),
      watch: (listener) => {
        listeners.add(listener);
        if (!debouncer) {
          debouncer = new EdgeDebouncer({
            clock: this.clock,
            debounceMs: options.debounceMs,
            edge: options.edge,
            initial: gpio.readSync() === 1,
            readLevel: () => gpio.readSync() === 1,
            emit: (active) => [...listeners].forEach((l) => l(active)),
            onError: (error) => this.onError?.(new GpioError(`cannot read pin "${pin}": ${messageOf(error)}`, pin, { code: codeOf(error), cause: error })),
          });
          try {
            if (!existsSync(`${SYSFS_GPIO}/gpio${line.number}/edge`)) {
              throw new GpioError(`pin "${pin}" cannot be watched: sysfs gpio${line.number} has no edge file, so this line cannot raise interrupts (onoff #77); read it instead, or pick a pin that supports interrupts`, pin, { code: 'ENOTSUP' });
            }
            // Always "both" in sysfs: the debouncer needs every change, and filters the edge itself.
            gpio.setEdge('both');
            gpio.watch(onInterrupt);
          } catch (error) {
            listeners.delete(listener);
            debouncer.stop();
            debouncer = undefined;
            if (error instanceof GpioError) throw error;
            throw new GpioError(`cannot watch pin "${pin}" for edges: setting sysfs gpio${line.number}/edge or polling its value file failed (${messageOf(error)}); only sysfs GPIO files of lines that support interrupts can be watched`, pin, { code: codeOf(error), cause: error });
          }
        }
        return () => {
          if (!listeners.delete(listener) || listeners.size > 0) return;
          stop();
        };
      },
    };
  }

  private async readPin(pin: PinName, gpio: OnoffGpio): Promise<boolean> {
    try {
      return (await gpio.read()) === 1;
    } catch (error) {
      throw new GpioError(`cannot read pin "${pin}": ${messageOf(error)}`, pin, { code: codeOf(error), cause: error });
    }
  }

  async close(): Promise<void> {
    const failures: string[] = [];
    for (const [number, held] of this.claims) {
      held.release();
      try {
        // onoff ignores a failing unexport write (BeagleBone cape-universal keeps pins exported).
        held.gpio.unexport();
      } catch (error) {
        failures.push(`"${held.pin}" (gpio${number}): ${messageOf(error)}`);
      }
    }
    this.claims.clear();
    if (failures.length > 0) throw new GpioError(`could not release ${failures.join('; ')}`, '');
  }
}
