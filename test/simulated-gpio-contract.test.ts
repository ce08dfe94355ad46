/** The simulated GPIO passes the same contract suite as the onoff backend on a fake sysfs tree. */
import { ManualClock } from '../drivers/clock.js';
import { pinIssue } from '../drivers/gpio/pins.js';
import { SimulatedGpio } from '../drivers/gpio/simulated-gpio.js';
import { gpioBackendContract } from './gpio-contract.js';

gpioBackendContract('SimulatedGpio (a BeagleBone Black)', async () => {
  const clock = new ManualClock();
  const gpio = new SimulatedGpio({ clock, exists: (pin) => pinIssue('beaglebone-black', pin) === null });
  return {
    backend: gpio,
    clock,
    setInputLevel: async (pin, high) => gpio.setLevel(pin, high),
    outputLevel: async (pin) => gpio.level(pin) ?? false,
    heldPins: async () => gpio.claimed(),
    pins: { a: 'P8_13', b: 'P8_14', c: 'P9_12', unknown: 'P8_99' },
  };
});
