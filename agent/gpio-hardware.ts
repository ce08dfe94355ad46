/**
 * The one place that opens a GPIO backend: the simulated one (demo, tests, `--simulate`), or the
 * board's real one.
 */
import type { Clock } from '../drivers/clock.js';
import type { GpioBackend } from '../drivers/gpio/gpio.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import type { AgentConfig } from './config/types.js';

export async function openGpio(config: AgentConfig, clock: Clock): Promise<GpioBackend> {
  if (config.gpio.simulated) return new SimulatedGpio({ clock });
  // MERGE: replace with the onoff backend, loaded lazily so boards without GPIO never load it:
  //   const { createOnoffGpio } = await import('../drivers/gpio/onoff-gpio.js');
  //   return createOnoffGpio(config.board);
  throw new Error('real GPIO backend is wired in at merge');
}
