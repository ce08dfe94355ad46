/**
 * The GPIO seam. Pins are named as the user writes them in the config for their board: a BCM
 * number on a Raspberry Pi ("17"), a header name on a BeagleBone Black ("P8_13"), a GPIO number on
 * a Udoo Neo. Translating a name to the kernel's line number (chip bases, banks) is the backend's
 * job, so nothing above this line knows about sysfs numbering.
 *
 * Values are logical: `true` is "active" (on, pressed). A backend applies `activeLow` so that a
 * relay wired active-low is still switched on with `write(true)`.
 */
export type PinName = string;

export type Edge = 'rising' | 'falling' | 'both';

export interface OutputOptions {
  activeLow: boolean;
  /** The safe state, driven as the pin is claimed (never a glitch through the other state). */
  initial: boolean;
}

export interface InputOptions {
  activeLow: boolean;
  edge: Edge;
  /** A change is reported only after the level has been stable this long (0 = off). */
  debounceMs: number;
}

export interface OutputPin {
  readonly pin: PinName;
  write(active: boolean): Promise<void>;
  read(): Promise<boolean>;
}

export interface InputPin {
  readonly pin: PinName;
  read(): Promise<boolean>;
  /** Calls `listener` with the new logical level after each debounced edge; returns an unsubscribe. */
  watch(listener: (active: boolean) => void): () => void;
}

export interface GpioBackend {
  /** Claim a pin as an output. A pin already claimed, or unknown on the board, is an error. */
  output(pin: PinName, options: OutputOptions): Promise<OutputPin>;
  input(pin: PinName, options: InputOptions): Promise<InputPin>;
  /** Release (unexport) every claimed pin. Outputs are left as they are: set safe states first. */
  close(): Promise<void>;
}

/** A GPIO failure with the pin as the user named it and the OS code where there is one. */
export class GpioError extends Error {
  readonly pin: PinName;
  readonly code: string | undefined;

  constructor(message: string, pin: PinName, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GpioError';
    this.pin = pin;
    this.code = options?.code;
  }
}
