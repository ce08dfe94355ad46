/**
 * A fake sysfs GPIO tree and a small "kernel" that plays its part, for running the real onoff code
 * (and chip-base.ts) without GPIO hardware.
 *
 * What it simulates:
 * - `class/gpio/gpiochipN/{base,ngpio,label}` as symlinks into `devices/<controller>/gpio/`, the way
 *   sysfs links class devices to their parent, so a chip's real path names its controller.
 * - export/unexport: writing a number creates/removes `gpioN/{direction,value,edge,active_low}`
 *   (EINVAL outside every chip, EBUSY when already exported, like gpiolib-sysfs export_store).
 * - attribute stores: `direction` "high"/"low" set a raw (physical) output level, `active_low`
 *   inverts `value` while keeping the physical level, `edge` takes none/rising/falling/both.
 * - an input's physical level set from outside, and the edge interrupt that follows it.
 *
 * How it reacts in time: the kernel does all of this inside write(2); onoff writes `export` and at
 * once spins opening `gpioN/value` on the same thread. No out-of-process helper can be relied on to
 * win that race (a FIFO cannot make write(2) wait for its reader; inotify in another process or
 * thread is fast, not guaranteed), so `hookSysfsWrites` wraps the single call onoff uses to store
 * attributes, `fs.writeFileSync`, and runs the store handler synchronously, exactly where the kernel
 * would. Reads, opens and onoff's writes to `value` (through its fd) are plain tmpfs file I/O.
 *
 * What it does not simulate: `value` is an ordinary file, so the kernel's refusal to write an
 * input's value (EPERM) is absent; epoll cannot watch a tmpfs file (epoll_ctl gives EPERM for
 * regular files), so `FakeEpoll` stands in for the epoll addon and is woken by `setInputLevel`
 * when the line's `edge` setting says the kernel would raise an interrupt.
 */
import fs, { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync as realWriteFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface FakeChip {
  base: number;
  ngpio: number;
  label: string;
  /** The controller's device path under `devices/`, e.g. `platform/ocp/44e07000.gpio`. */
  device: string;
}

interface Line {
  direction: 'in' | 'out';
  activeLow: boolean;
  edge: 'none' | 'rising' | 'falling' | 'both';
  /** Electrical level. */
  physical: boolean;
}

const sysError = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${message}`), { code });

export class FakeGpioKernel {
  readonly classDir: string;
  private readonly lines = new Map<number, Line>();
  /** Every attribute store, in order: what a kernel trace would show ("export 588", "gpio588/direction high"). */
  readonly writes: string[] = [];

  /** Lines a kernel driver holds (an LED, a hog): export gives EBUSY. */
  readonly heldByDriver = new Set<number>();
  /** Lines that cannot raise interrupts: exported without an `edge` file (onoff #77). */
  readonly withoutEdge = new Set<number>();
  /** Lines whose direction cannot be set (an input-only line): a direction store gives EIO. */
  readonly fixedDirection = new Set<number>();

  constructor(readonly root: string, readonly chips: readonly FakeChip[], options: { withGpioClass?: boolean } = {}) {
    this.classDir = join(root, 'class', 'gpio');
    // Empty, not removed: in the namespace test the root is a tmpfs mount point.
    mkdirSync(root, { recursive: true });
    for (const entry of readdirSync(root)) rmSync(join(root, entry), { recursive: true, force: true });
    if (options.withGpioClass === false) return; // a kernel without CONFIG_GPIO_SYSFS
    mkdirSync(this.classDir, { recursive: true });
    realWriteFileSync(join(this.classDir, 'export'), '');
    realWriteFileSync(join(this.classDir, 'unexport'), '');
    chips.forEach((chip, index) => {
      // Probe order is the array order, so gpiochipN numbering can differ from base order.
      const name = `gpiochip${chip.base}`;
      const dir = join(root, 'devices', chip.device, 'gpio', name);
      mkdirSync(dir, { recursive: true });
      realWriteFileSync(join(dir, 'base'), `${chip.base}\n`);
      realWriteFileSync(join(dir, 'ngpio'), `${chip.ngpio}\n`);
      realWriteFileSync(join(dir, 'label'), `${chip.label}\n`);
      realWriteFileSync(join(dir, 'probe-order'), `${index}\n`);
      symlinkSync(relative(this.classDir, dir), join(this.classDir, name));
    });
  }

  exported(): number[] {
    return [...this.lines.keys()].sort((a, b) => a - b);
  }

  /** The electrical level of a line, as a meter on the pin would read it. */
  physicalLevel(n: number): boolean {
    const line = this.line(n);
    // onoff writes `value` through its own fd, so the file is the truth for the logical level.
    const logical = readFileSync(this.path(n, 'value'), 'utf8').trim() === '1';
    line.physical = logical !== line.activeLow;
    return line.physical;
  }

  /** Drive an input from outside; resolves once a raised interrupt has been delivered. */
  async setInputLevel(n: number, high: boolean): Promise<void> {
    const line = this.line(n);
    if (line.direction !== 'in') throw new Error(`fake kernel: gpio${n} is an output, it cannot be driven from outside`);
    const before = this.physicalLevel(n) !== line.activeLow;
    line.physical = high;
    const after = high !== line.activeLow;
    realWriteFileSync(this.path(n, 'value'), after ? '1\n' : '0\n');
    // gpiolib-sysfs swaps rising/falling for active-low lines, so edges follow the logical value.
    const raise = before !== after && (line.edge === 'both' || (line.edge === 'rising') === after);
    if (raise) await FakeEpoll.signal(this.path(n, 'value'));
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** The store handler for a path, or undefined when the path is not a GPIO attribute. */
  store(path: string, data: string): boolean {
    const rel = relative(this.classDir, path);
    if (rel.startsWith('..')) return false;
    const text = data.trim();
    if (rel === 'export' || rel === 'unexport') {
      this.writes.push(`${rel} ${text}`);
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      if (rel === 'export') this.export(n);
      else this.unexport(n);
      return true;
    }
    const attr = /^gpio(\d+)\/(direction|active_low|edge)$/.exec(rel);
    if (!attr) return false;
    const n = Number(attr[1]);
    this.writes.push(`gpio${n}/${attr[2]} ${text}`);
    const line = this.line(n);
    const logical = (physical: boolean): string => ((physical !== line.activeLow) ? '1\n' : '0\n');
    if (attr[2] === 'direction') {
      if (this.fixedDirection.has(n)) throw sysError('EIO', `gpio${n}/direction: fixed`);
      if (text === 'high' || text === 'low' || text === 'out') {
        line.direction = 'out';
        line.physical = text === 'high';
        realWriteFileSync(this.path(n, 'value'), logical(line.physical));
      } else if (text === 'in') {
        line.direction = 'in';
      } else throw sysError('EINVAL', `gpio${n}/direction: "${text}"`);
      realWriteFileSync(this.path(n, 'direction'), `${line.direction}\n`);
    } else if (attr[2] === 'active_low') {
      this.physicalLevel(n);
      line.activeLow = text !== '0';
      realWriteFileSync(this.path(n, 'active_low'), line.activeLow ? '1\n' : '0\n');
      realWriteFileSync(this.path(n, 'value'), logical(line.physical));
    } else {
      if (this.withoutEdge.has(n)) throw sysError('EACCES', `gpio${n}/edge does not exist and sysfs files cannot be created`);
      if (!['none', 'rising', 'falling', 'both'].includes(text)) throw sysError('EINVAL', `gpio${n}/edge: "${text}"`);
      line.edge = text as Line['edge'];
      realWriteFileSync(this.path(n, 'edge'), `${text}\n`);
    }
    return true;
  }

  /** Pre-export a line the way BeagleBoard.org's cape-universal helper does at boot. */
  export(n: number): void {
    if (!this.chips.some((c) => n >= c.base && n < c.base + c.ngpio)) throw sysError('EINVAL', `export ${n}: no chip holds it`);
    if (this.lines.has(n) || this.heldByDriver.has(n)) throw sysError('EBUSY', `export ${n}: line busy`);
    const dir = join(this.classDir, `gpio${n}`);
    mkdirSync(dir);
    for (const [file, content] of [['direction', 'in'], ['value', '0'], ['edge', 'none'], ['active_low', '0']] as const) {
      if (file !== 'edge' || !this.withoutEdge.has(n)) realWriteFileSync(join(dir, file), `${content}\n`);
    }
    this.lines.set(n, { direction: 'in', activeLow: false, edge: 'none', physical: false });
  }

  private unexport(n: number): void {
    if (!this.lines.has(n)) throw sysError('EINVAL', `unexport ${n}: not exported`);
    rmSync(join(this.classDir, `gpio${n}`), { recursive: true });
    this.lines.delete(n);
  }

  private line(n: number): Line {
    const line = this.lines.get(n);
    if (!line) throw sysError('ENOENT', `gpio${n} is not exported`);
    return line;
  }

  private path(n: number, file: string): string {
    return join(this.classDir, `gpio${n}`, file);
  }
}

type WriteFileSync = typeof fs.writeFileSync;

/**
 * Route `fs.writeFileSync` calls on GPIO attributes to the fake kernel (see the top of this file).
 * Patches the CommonJS `fs` object that onoff requires; returns the undo.
 */
export function hookSysfsWrites(kernel: () => FakeGpioKernel | undefined): () => void {
  const original: WriteFileSync = fs.writeFileSync;
  const hooked = ((file: Parameters<WriteFileSync>[0], data: Parameters<WriteFileSync>[1], options?: Parameters<WriteFileSync>[2]) => {
    const k = kernel();
    if (k && typeof file === 'string' && k.store(file, typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString())) return;
    original(file, data, options);
  }) as WriteFileSync;
  fs.writeFileSync = hooked;
  return () => {
    fs.writeFileSync = original;
  };
}

type EpollCallback = (err: Error | null, fd: number, events: number) => void;

/**
 * Stands in for the `epoll` addon's Epoll class (the subset onoff 6 uses: constructor(callback),
 * add, remove, close, EPOLLPRI), woken by the fake kernel instead of by epoll_wait.
 */
export class FakeEpoll {
  static readonly EPOLLIN = 0x1;
  static readonly EPOLLPRI = 0x2;
  static readonly EPOLLOUT = 0x4;
  static readonly EPOLLERR = 0x8;
  private static readonly live = new Set<FakeEpoll>();
  private readonly fds = new Map<number, string>();
  private closed = false;

  constructor(private readonly callback: EpollCallback) {
    if (typeof callback !== 'function') throw new Error('First argument to construtor must be a callback');
  }

  add(fd: number, events: number): this {
    if (this.closed) throw new Error("add can't be called after calling close");
    void events;
    this.fds.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    FakeEpoll.live.add(this);
    return this;
  }

  modify(): this {
    return this;
  }

  remove(fd: number): this {
    this.fds.delete(fd);
    if (this.fds.size === 0) FakeEpoll.live.delete(this);
    return this;
  }

  close(): void {
    this.closed = true;
    FakeEpoll.live.delete(this);
  }

  /** Deliver EPOLLPRI to every fd open on `path`, asynchronously like the addon's watcher thread. */
  static async signal(path: string): Promise<void> {
    const due: Array<() => void> = [];
    for (const poller of FakeEpoll.live) {
      for (const [fd, target] of poller.fds) if (target === path) due.push(() => poller.callback(null, fd, FakeEpoll.EPOLLPRI));
    }
    await new Promise((resolve) => setImmediate(resolve));
    due.forEach((deliver) => deliver());
  }
}
