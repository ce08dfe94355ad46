/**
 * The part of fivdi/i2c-bus 5 that linux-bus.ts uses (the package ships no types). Only types:
 * the module itself is loaded lazily, on real hardware only.
 */
declare module 'i2c-bus' {
  export interface BytesRead {
    bytesRead: number;
    buffer: Buffer;
  }
  export interface BytesWritten {
    bytesWritten: number;
    buffer: Buffer;
  }
  export interface PromisifiedBus {
    i2cRead(address: number, length: number, buffer: Buffer): Promise<BytesRead>;
    i2cWrite(address: number, length: number, buffer: Buffer): Promise<BytesWritten>;
    /** An SMBus-style block read: write `command`, repeated start, read `length` (≤ 32) bytes. */
    readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<BytesRead>;
    close(): Promise<void>;
  }
  export interface OpenOptions {
    forceAccess?: boolean;
  }
  export function openPromisified(busNumber: number, options?: OpenOptions): Promise<PromisifiedBus>;
}
