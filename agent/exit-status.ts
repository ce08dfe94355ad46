/**
 * Exit statuses (sysexits(3)): 64 usage, 69 hardware unavailable, 73 the queue directory cannot be
 * used, 78 configuration (systemd's RestartPreventExitStatus=78 stops restart loops on it).
 */
import { HARDWARE_UNAVAILABLE } from '../drivers/errors.js';
import { EXIT_QUEUE_DIR } from './publishing/queue-errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 64, unavailable: 69, queueDir: EXIT_QUEUE_DIR, config: 78 } as const;

/** Codes of a device that is not there or may not be opened (EPERM: the unit's DeviceAllow; ENXIO: no adapter behind the node). */
const UNAVAILABLE_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENXIO', HARDWARE_UNAVAILABLE]);

/**
 * Hardware that is missing or may not be used: a restart later (the bus enabled, the package
 * installed, the unit fixed) may find it. Every I2cOpenError is one (drivers/i2c/linux-bus.ts: the
 * bus could not be opened at all: no device, no permission, the optional i2c-bus package missing
 * or its native addon not built); it is told by its name, so that this module does not load the
 * Linux bus for commands that never open one. The GPIO backend says the same of a missing onoff or
 * its unbuilt addon with the code HARDWARE_UNAVAILABLE (drivers/errors.ts).
 */
export function isHardwareUnavailable(error: unknown): boolean {
  if (error instanceof Error && error.name === 'I2cOpenError') return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE_CODES.has(code);
}
