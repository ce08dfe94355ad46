/**
 * The Linux I2C bus (/dev/i2c-N) through fivdi/i2c-bus 5. The native module is loaded lazily, so
 * nothing native is needed unless real hardware is used; an application that opens this bus is
 * the only code that closes it.
 *
 * Concurrency: transfers to different chips may be in flight at once (sensors are read in
 * parallel). i2c-bus opens one descriptor per address (its `peripheral()`), so no transfer can
 * go to another chip's address, and each ioctl or read/write is one transfer that the kernel runs
 * under the adapter's lock (Linux i2c_transfer() and i2c_smbus_xfer()). Nothing here holds the bus
 * between transfers: a driver's conversion wait or a retry's back-off lets other chips talk.
 */
import { open } from 'node:fs/promises';
import type { PromisifiedBus } from 'i2c-bus';
import { accessFacts, modeDenial, type AccessFacts } from '../access-hint.js';
import { HARDWARE_UNAVAILABLE } from '../errors.js';
import { I2cError, checkAddress, hex, type I2cBus } from './i2c-bus.js';

/** What the lazy import must provide. */
export interface I2cBusModule {
  openPromisified(busNumber: number): Promise<PromisifiedBus>;
}

export interface LinuxBusOptions {
  /** Replaces `import('i2c-bus')` (tests); its result or failure is interpreted as the real one's. */
  importModule?: () => Promise<unknown>;
  /** Replaces the check that /dev/i2c-N can be opened for reading and writing (tests). */
  checkDevice?: (path: string) => Promise<void>;
  /** Replaces reading the device's owner, mode and this process's groups for a hint (tests). */
  facts?: (path: string) => AccessFacts | undefined;
}

/** The bus could not be opened at all: module missing, addon not built, device absent or forbidden. */
export class I2cOpenError extends Error {
  readonly code: string;
  readonly busNumber: number;

  constructor(message: string, code: string, busNumber: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'I2cOpenError';
    this.code = code;
    this.busNumber = busNumber;
  }
}

/** readI2cBlock moves at most 32 bytes (the SMBus block limit of the kernel's i2c-dev). */
const BLOCK_MAX = 32;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : 'EIO';
}

const I2C_RULE = 'the udev rule that gives /dev/i2c-* to group i2c with mode 0660 (Raspberry Pi OS: 99-com.rules)';

/** What keeps this process from `path`, by the error of opening it (drivers/access-hint.ts). */
export function deviceHint(code: string, path: string, facts?: AccessFacts): string {
  if (code === 'ENOENT') {
    return `${path} does not exist: enable I2C (Raspberry Pi: raspi-config → Interface Options → I2C, or dtparam=i2c_arm=on in config.txt and reboot; elsewhere: modprobe i2c-dev) or check the bus number (ls /dev/i2c-*)`;
  }
  if (code === 'EPERM') {
    return `${path} is refused by this process's device cgroup (EPERM; file permissions would give EACCES): under systemd the unit's DevicePolicy=closed allows only what DeviceAllow= lists, so it needs DeviceAllow=char-i2c rw, and "i2c" must have been in /proc/devices when the service started (i2c-dev loaded first: after modprobe i2c-dev, systemctl restart edge-agent)`;
  }
  if (code === 'EACCES') {
    return facts ? `permission denied: ${modeDenial(facts, 'i2c', I2C_RULE, 'rw')}` : `permission denied on ${path}: it must belong to group i2c with mode 0660 (${I2C_RULE}), and the user must be in group i2c`;
  }
  if (code === 'ENXIO' || code === 'ENODEV') {
    return `${path} exists but no I2C adapter answers behind it (${code}): the bus's driver is not loaded or the bus is disabled in the device tree (ls /sys/class/i2c-dev; enable the bus and reboot)`;
  }
  return `cannot use ${path} (${code})`;
}

/** Opens and closes the device: unlike access(2), open(2) is what the device cgroup checks. */
export async function openAndClose(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  await handle.close();
}

async function loadI2cBus(busNumber: number, importModule: () => Promise<unknown>): Promise<I2cBusModule> {
  let loaded: Partial<I2cBusModule> & { default?: Partial<I2cBusModule> };
  try {
    loaded = (await importModule()) as typeof loaded;
  } catch (error) {
    const code = codeOf(error);
    const message = (error as Error).message ?? String(error);
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes("'i2c-bus'")) {
      throw new I2cOpenError(
        `I2C support is not installed: the optional package i2c-bus is missing (npm install i2c-bus; it builds a native addon, so it needs build-essential and python3). Run with --simulate to use a simulated bus instead.`,
        HARDWARE_UNAVAILABLE, busNumber, { cause: error },
      );
    }
    throw new I2cOpenError(
      `the i2c-bus native addon could not be loaded (${message}): rebuild it on this board with npm rebuild i2c-bus (needs build-essential and python3)`,
      HARDWARE_UNAVAILABLE, busNumber, { cause: error },
    );
  }
  // A CommonJS module imported from ESM: named exports if Node could detect them, else `default`.
  const found = typeof loaded.openPromisified === 'function' ? loaded : loaded.default;
  if (typeof found?.openPromisified !== 'function') {
    throw new I2cOpenError('the installed i2c-bus has no openPromisified(): i2c-bus 5 or later is needed', 'EINVAL', busNumber);
  }
  return found as I2cBusModule;
}

export async function openLinuxI2cBus(busNumber: number, options: LinuxBusOptions = {}): Promise<I2cBus> {
  if (!Number.isInteger(busNumber) || busNumber < 0) {
    throw new RangeError(`Invalid I2C bus number ${String(busNumber)}: expected a non-negative integer (1 for /dev/i2c-1)`);
  }
  const path = `/dev/i2c-${busNumber}`;
  // i2c-bus opens the device file lazily, at the first transfer; open it now for a clear error.
  const check = options.checkDevice ?? openAndClose;
  try {
    await check(path);
  } catch (error) {
    const code = codeOf(error);
    const facts = code === 'EACCES' ? (options.facts ?? accessFacts)(path) : undefined;
    throw new I2cOpenError(deviceHint(code, path, facts), code, busNumber, { cause: error });
  }
  const module = await loadI2cBus(busNumber, options.importModule ?? (() => import('i2c-bus')));
  const bus = await module.openPromisified(busNumber);
  return new LinuxI2cBus(bus, busNumber);
}

class LinuxI2cBus implements I2cBus {
  private readonly bus: PromisifiedBus;
  private readonly path: string;

  constructor(bus: PromisifiedBus, busNumber: number) {
    this.bus = bus;
    this.path = `/dev/i2c-${busNumber}`;
  }

  async transfer(address: number, write: Uint8Array, readLength: number): Promise<Buffer> {
    checkAddress(address);
    if (!Number.isInteger(readLength) || readLength < 0) throw new RangeError(`Invalid read length ${String(readLength)}`);
    if (write.length === 0 && readLength === 0) throw new RangeError(`I2C transfer at ${hex(address)} with nothing to write or read`);
    let op = 'write';
    try {
      if (readLength === 0) {
        await this.bus.i2cWrite(address, write.length, Buffer.from(write));
        return Buffer.alloc(0);
      }
      const buffer = Buffer.alloc(readLength);
      if (write.length === 1 && readLength <= BLOCK_MAX) {
        // One combined transaction (repeated start) through the SMBus block-read ioctl.
        op = 'block read';
        const { bytesRead } = await this.bus.readI2cBlock(address, write[0]!, readLength, buffer);
        return buffer.subarray(0, bytesRead);
      }
      // Longer transfers: a write, a stop, then a read. Fine for register chips whose pointer
      // survives the stop (BMP280 5.2.2), not a true repeated start.
      if (write.length > 0) await this.bus.i2cWrite(address, write.length, Buffer.from(write));
      op = 'read';
      const { bytesRead } = await this.bus.i2cRead(address, readLength, buffer);
      return buffer.subarray(0, bytesRead);
    } catch (error) {
      const code = codeOf(error);
      const hint = code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' ? `: ${deviceHint(code, this.path, code === 'EACCES' ? accessFacts(this.path) : undefined)}` : '';
      throw new I2cError(`I2C ${op} at ${hex(address)} on ${this.path} failed with ${code}${hint}`, code, address, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.bus.close();
  }
}
