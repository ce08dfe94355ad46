import { ManualClock } from '../drivers/clock.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { gpioBackendContract } from './gpio-backend-contract.js';

gpioBackendContract('SimulatedGpio', async () => {
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock });
  return {
    backend: gpio,
    pins: ['P8_13', 'P9_15'],
    level: async (pin) => gpio.level(pin) ?? false,
    drive: async (pin, high) => gpio.setLevel(pin, high),
    pass: (ms) => clock.advance(ms),
  };
});
