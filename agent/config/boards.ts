/**
 * What the agent assumes about each board unless the config says otherwise. Sources: the Raspberry
 * Pi documentation (raspi-config, `dtparam=i2c_arm=on`), the BeagleBone Black System Reference
 * Manual's P9 header table (I2C2 on P9_19/P9_20) and UDOO's Neo documentation (the external bus);
 * docs/install.md gives them per board. They depend on the kernel and image, so every one of them
 * can be overridden (`i2c.bus` in the config, EDGE_AGENT_I2C_BUS in the environment).
 */
import type { Board } from './types.js';

export interface BoardProfile {
  board: Board;
  /** Human-readable name for logs and the reference. */
  label: string;
  i2c: {
    /** N of the /dev/i2c-N the sensor header is wired to. */
    defaultBus: number;
    /** Where the bus is on the header, and the caveats. */
    note: string;
  };
  gpio: {
    /** How the config numbers GPIO lines on this board (room for the GPIO backend later). */
    numbering: string;
  };
}

export const BOARD_PROFILES: Readonly<Record<Board, BoardProfile>> = {
  // Raspberry Pi (40-pin header, Pi 5 included): user I2C is /dev/i2c-1, SDA = GPIO2 (pin 3),
  // SCL = GPIO3 (pin 5); enable with raspi-config or dtparam=i2c_arm=on.
  'raspberry-pi': {
    board: 'raspberry-pi',
    label: 'Raspberry Pi',
    i2c: { defaultBus: 1, note: '/dev/i2c-1 on pins 3 (SDA, GPIO2) and 5 (SCL, GPIO3); enable with raspi-config' },
    gpio: { numbering: 'BCM numbers (GPIO17 = pin 11); sysfs base is 512/571 on kernels 6.6+' },
  },
  // BeagleBone Black: user I2C is I2C2 on P9_19 (SCL) / P9_20 (SDA), enabled by default and shared
  // with the cape EEPROMs; /dev/i2c-2 on current kernels (old 3.8 kernels called it /dev/i2c-1).
  'beaglebone-black': {
    board: 'beaglebone-black',
    label: 'BeagleBone Black',
    i2c: { defaultBus: 2, note: 'I2C2 on P9_19 (SCL) / P9_20 (SDA) is /dev/i2c-2 (on 3.8 kernels /dev/i2c-1: set i2c.bus)' },
    gpio: { numbering: 'header names such as P9_12 (= GPIO1_28 = 60 on kernels up to 5.10)' },
  },
  // Udoo Neo: the external bus (Arduino-side SDA/SCL and the Brick connector) is /dev/i2c-1 on
  // UDOObuntu (a BMP180 shows at 0x77 with `i2cdetect -y 1`); the 9-axis sensors sit elsewhere. 3.3 V.
  'udoo-neo': {
    board: 'udoo-neo',
    label: 'Udoo Neo',
    i2c: { defaultBus: 1, note: 'external bus (Arduino-side SDA/SCL, Brick connector) is /dev/i2c-1 on UDOObuntu; 3.3 V' },
    gpio: { numbering: 'i.MX numbers 32 × (bank − 1) + bit, as UDOO documents per header pin' },
  },
  // Anything else with a Linux I2C adapter: bus 1 is the most common guess; set i2c.bus.
  generic: {
    board: 'generic',
    label: 'generic Linux board',
    i2c: { defaultBus: 1, note: 'no known wiring: /dev/i2c-1 unless i2c.bus says otherwise' },
    gpio: { numbering: 'sysfs numbers as the kernel gives them' },
  },
};
