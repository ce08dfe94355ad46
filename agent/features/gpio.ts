/**
 * The one place that opens a GPIO backend: the simulated one (demo, tests, `--simulate`), or the
 * board's real one.
 */
import type { Clock } from '../../drivers/clock.js';
import type { GpioBackend } from '../../drivers/gpio/gpio.js';
import { pinIssue } from '../../drivers/gpio/pins.js';
import { SimulatedGpio } from '../../drivers/gpio/simulated-gpio.js';
import type { AgentConfig } from '../config/types.js';

export async function openGpio(config: AgentConfig, clock: Clock): Promise<GpioBackend> {
  // The simulated board has the real board's pins: a name the board lacks fails here as on the board.
  if (config.gpio.simulated) return new SimulatedGpio({ clock, exists: (pin) => pinIssue(config.board, pin) === null });
  // Loaded lazily: a board without outputs or inputs never loads onoff or its native epoll addon.
  const { createOnoffGpio } = await import('../../drivers/gpio/onoff-gpio.js');
  return createOnoffGpio(config.board);
}
