/**
 * Udoo Neo (i.MX 6SoloX, Linux on the Cortex-A9): names are the Linux GPIO numbers UDOO prints in
 * the round labels of its pinout images, 32 × (bank − 1) + bit for GPIObank_IObit (UDOO Neo-Docs
 * `04_GPIO.md`; note that PCB pin 24 is GPIO 25). Cross-checked against UDOO's pinout images, the
 * hog list in UDOOboard/linux_kernel `imx6sx-udoo-neo-externalpins.dtsi` and the M4 pin table in
 * Neo-Docs `10_Use_more_digital_pins_on_M4.md`.
 *
 * Each bank is its own gpio-mxc controller; the chip is recognised by the controller's address
 * (imx6sx.dtsi: gpio1 at 0x0209c000, then every 0x4000 up to gpio7 at 0x020b4000, the i.MX6 AIPS-1
 * layout), so a kernel that allocates bases dynamically still maps "106" to GPIO4 line 10.
 */
import type { BoardPinTable, ControllerMatch, PinEntry } from '../pin-table.js';

export const NEO_BANKS: readonly ControllerMatch[] = [1, 2, 3, 4, 5, 6, 7].map((bank) => {
  const address = (0x0209c000 + 0x4000 * (bank - 1)).toString(16);
  return { kind: 'address', address, describe: `i.MX6SX GPIO${bank} (controller ${address}.gpio)` };
});

type Claim = 'i2c4' | 'uart1' | 'i2c2' | 'conflict' | null;

// [linux number, where, bank, bit, claim, note]
const ROWS: ReadonlyArray<readonly [string, number, number, Claim, string?]> = [
  ['J4 pin 16', 4, 10, null, 'PWM3 option'], ['J4 pin 17', 4, 11, null, 'PWM4 option'],
  ['J4 pin 18', 6, 20, null], ['J4 pin 19', 6, 21, null], ['J4 pin 20', 6, 12, null], ['J4 pin 21', 6, 13, null],
  ['J4 pin 22', 6, 22, null],
  ['J4 pin 23', 1, 24, null, 'GPIO1_IO24 per the hog list and the M4 table; UDOO\'s image says 124 and a w1 node says 184 (unverified)'],
  ['J6 pin 24', 1, 25, null], ['J6 pin 25', 1, 22, null],
  ['J6 pin 26', 1, 14, null, 'I2C1 SCL option'], ['J6 pin 27', 1, 15, null, 'I2C1 SDA option'],
  ['J6 pin 28', 1, 16, null], ['J6 pin 29', 1, 17, null], ['J6 pin 30', 1, 18, null], ['J6 pin 31', 1, 19, null],
  ['J6 pin 32', 1, 20, null, 'I2C4 SCL option'], ['J6 pin 33', 1, 21, null, 'I2C4 SDA option'],
  ['J5 pin 34', 7, 11, 'i2c4'], ['J5 pin 35', 7, 10, 'i2c4'],
  ['J5 pin 36', 6, 17, null, 'UDOO also shows I2C2 SCL here; whether it shares the net with /dev/i2c-1 is unverified'],
  ['J5 pin 37', 6, 16, null, 'UDOO also shows I2C2 SDA here; whether it shares the net with /dev/i2c-1 is unverified'],
  ['J5 pin 38', 6, 15, null], ['J5 pin 39', 6, 14, null],
  ['J7 pin 40', 4, 23, null], ['J7 pin 41', 4, 28, null], ['J7 pin 42', 4, 31, null], ['J7 pin 43', 4, 20, null],
  ['J7 pin 44', 1, 7, null, 'UART2 RX option'], ['J7 pin 45', 1, 6, null, 'UART2 TX option'],
  ['J7 pin 46', 1, 5, 'uart1'], ['J7 pin 47', 1, 4, 'uart1'],
  // Inner, Arduino-shaped row: owned by the Cortex-M4 unless reassigned (04_GPIO.md, M4 caveat).
  ['inner pin 2', 4, 8, null, 'M4'], ['inner pin 3', 5, 15, null, 'M4'], ['inner pin 4', 5, 14, null, 'M4'],
  ['inner pin 5', 5, 13, null, 'M4'], ['inner pin 6', 5, 12, null, 'M4'], ['inner pin 7', 5, 21, null, 'M4'],
  ['inner pin 8', 4, 9, null, 'M4'], ['inner pin 9', 5, 20, null, 'M4'], ['inner pin 12', 4, 4, null, 'M4'],
  ['inner pin 13', 4, 6, null, 'M4 (also led1 in the device tree)'],
  ['inner pin 0 (RX)', 6, 18, 'conflict', 'the M4 table says GPIO4_IO10'], ['inner pin 1 (TX)', 6, 19, 'conflict', 'the M4 table says GPIO4_IO11'],
  ['inner pin 10', 5, 18, 'conflict', 'the M4 table says GPIO4_IO5 = 101'], ['inner pin 11', 5, 19, 'conflict', 'the M4 table says GPIO4_IO7 = 103'],
  ['inner SDA', 1, 3, 'i2c2'], ['inner SCL', 1, 2, 'i2c2'],
];

const M4_CAVEAT = 'owned by the Cortex-M4 by default: assign it to the A9 in the Device Tree Editor or run `sudo udoom4ctl disable` and reboot';

function unusable(claim: Exclude<Claim, null>, where: string, note: string | undefined): { reason: string; hint: string } {
  switch (claim) {
    case 'i2c4': return { reason: `${where} is I2C4, the motion-sensor bus (/dev/i2c-3)`, hint: 'pick a free external pin such as 106 (J4 pin 16) or 25 (J6 pin 24)' };
    case 'uart1': return { reason: `${where} is UART1, the debug console`, hint: 'pick a free external pin such as 106 (J4 pin 16) or 25 (J6 pin 24)' };
    case 'i2c2': return { reason: `${where} is I2C2 (/dev/i2c-1), the sensor and Brick bus`, hint: 'keep it for I2C; pick a free external pin such as 106 or 25' };
    case 'conflict': return { reason: `the Linux number of ${where} is not certain (UDOO's image and ${note ?? 'another source'} disagree)`, hint: 'check it with the UDOO pinout for your board and use board "generic" with the kernel number, or pick an external pin' };
  }
}

const pins: PinEntry[] = ROWS.map(([where, bank, bit, claim, note]) => {
  const number = 32 * (bank - 1) + bit;
  const entry: PinEntry = {
    name: String(number),
    where,
    line: `GPIO${bank}_IO${bit}`,
    controller: NEO_BANKS[bank - 1]!,
    offset: bit,
    legacyNumber: number,
  };
  if (claim) entry.unusable = unusable(claim, where, note);
  else if (note?.startsWith('M4')) entry.note = `${M4_CAVEAT}${note.length > 2 ? `; ${note.slice(3)}` : ''}`;
  else if (note) entry.note = note;
  return entry;
});

export const UDOO_NEO_PINS: BoardPinTable = {
  naming: 'Linux GPIO numbers as printed on UDOO\'s pinout (e.g. "106" for J4 pin 16, "25" for J6 pin 24)',
  pins,
  aliases(name) {
    const gpio = /^\s*GPIO\s*([1-7])[_.]IO\s*(\d+)\s*$/i.exec(name);
    if (gpio) {
      const n = 32 * (Number(gpio[1]) - 1) + Number(gpio[2]);
      return pins.some((p) => p.name === String(n)) ? `GPIO${gpio[1]}_IO${Number(gpio[2])} is Linux GPIO ${n}: write "${n}"` : undefined;
    }
    const pcb = /^\s*(?:pin|J[4-7][-_ ]?(?:pin)?)\s*[-_ ]?(\d+)\s*$/i.exec(name);
    if (pcb) {
      const pin = pins.find((p) => p.where.endsWith(` pin ${Number(pcb[1])}`) && !p.where.startsWith('inner'));
      return pin ? `${pin.where} is Linux GPIO ${pin.name}: write "${pin.name}"` : undefined;
    }
    return undefined;
  },
};
