/**
 * The whole I2C contract is one transaction: at `address`, write some bytes, then read some bytes
 * (a repeated start between the two where the adapter can do it). Register reads, bursts and
 * writes are helpers on top, so every implementation (Linux, simulator, playback, recorder) has
 * exactly one method to get right.
 */
export interface I2cBus {
  transfer(address: number, write: Uint8Array, readLength: number): Promise<Buffer>;
  /** Only the code that opened the bus closes it; drivers never do. */
  close(): Promise<void>;
}

/**
 * A bus failure with the OS code kept (EIO, EREMOTEIO, ETIMEDOUT, ENXIO…), the address it
 * happened at, and the original error as `cause`, so retry policies can look at `code` instead of
 * parsing message text.
 */
export class I2cError extends Error {
  readonly code: string;
  readonly address: number;

  constructor(message: string, code: string, address: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'I2cError';
    this.code = code;
    this.address = address;
  }
}

export function hex(value: number, digits = 2): string {
  return '0x' + value.toString(16).padStart(digits, '0');
}

/** 7-bit addresses 0x03–0x77; the rest are reserved by the I2C specification. */
export function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0x03 || address > 0x77) {
    throw new RangeError(`Invalid I2C address ${String(address)}: expected a 7-bit address 0x03–0x77`);
  }
}

export async function readRegisters(bus: I2cBus, address: number, register: number, length: number): Promise<Buffer> {
  const data = await bus.transfer(address, Uint8Array.of(register), length);
  if (data.length !== length) {
    throw new I2cError(
      `short read at ${hex(address)} register ${hex(register)}: ${data.length} of ${length} bytes`,
      'EIO',
      address,
    );
  }
  return data;
}

export async function readRegister(bus: I2cBus, address: number, register: number): Promise<number> {
  const data = await readRegisters(bus, address, register, 1);
  return data[0]!;
}

export async function writeRegister(bus: I2cBus, address: number, register: number, value: number): Promise<void> {
  await bus.transfer(address, Uint8Array.of(register, value & 0xff), 0);
}
