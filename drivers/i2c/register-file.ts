/**
 * How a simulated register-file chip (Bosch style) takes one I2C transaction: the bytes written
 * are (register, value) pairs, a lone trailing byte sets the register pointer, and the read
 * auto-increments from the pointer (BMP280 §5.2.1; the BMP388 and BMP180 alike).
 */
export interface RegisterTransaction {
  data: Buffer;
  /** The register the read started at. */
  start: number;
  /** The pointer after the transaction. */
  pointer: number;
}

export function registerTransaction(
  pointer: number,
  write: Uint8Array,
  readLength: number,
  writeRegister: (register: number, value: number) => void,
  readRegister: (register: number) => number,
): RegisterTransaction {
  let i = 0;
  for (; i + 1 < write.length; i += 2) writeRegister(write[i]!, write[i + 1]!);
  const start = i < write.length ? write[i]! : pointer;
  const data = Buffer.alloc(readLength);
  for (let k = 0; k < readLength; k++) data[k] = readRegister((start + k) & 0xff);
  return { data, start, pointer: (start + readLength) & 0xff };
}
