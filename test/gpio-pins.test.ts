import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkBoardChips, readGpioChips, resolveLine, sysfsLineNumber } from '../drivers/gpio/chip-base.js';
import { GpioError } from '../drivers/gpio/gpio.js';
import { findPin, knownPins, pinProblem, type GpioBoard } from '../drivers/gpio/pins.js';
import { FakeGpioKernel, type FakeChip } from './helpers/fake-sysfs.js';
import { BBB_38_CHIPS, BBB_MAINLINE_DYNAMIC_CHIPS, PI4_KERNEL_66_CHIPS, PI5_KERNEL_66_CHIPS, PI_OLD_KERNEL_CHIPS, UDOO_NEO_CHIPS } from './helpers/gpio-trees.js';
import { tempDir } from './helpers/temp-dir.js';

const scratch = tempDir('gpio');
after(() => rmSync(scratch, { recursive: true, force: true }));
let trees = 0;

/** A fresh fake sysfs tree with these chips; returns its root. */
function tree(chips: readonly FakeChip[], options?: { withGpioClass?: boolean }): string {
  const root = join(scratch, `sys${trees++}`);
  new FakeGpioKernel(root, chips, options);
  return root;
}

async function numbers(board: GpioBoard, chips: readonly FakeChip[], pins: string[]): Promise<number[]> {
  const sysfsRoot = tree(chips);
  return Promise.all(pins.map((pin) => sysfsLineNumber(board, pin, { sysfsRoot })));
}

describe('Raspberry Pi: BCM numbers on the header chip, whatever its base', () => {
  it('base 0 (kernels up to 6.1): "17" is gpio17', async () => {
    assert.deepEqual(await numbers('raspberry-pi', PI_OLD_KERNEL_CHIPS, ['17', '27', '4']), [17, 27, 4]);
  });
  it('base 512 (Pi 4, Raspberry Pi OS 6.6+): "17" is gpio529, not the expander at 570', async () => {
    assert.deepEqual(await numbers('raspberry-pi', PI4_KERNEL_66_CHIPS, ['17', '27', '4']), [529, 539, 516]);
  });
  it('base 571 (Pi 5, RP1 after the four brcmstb chips): "17" is gpio588', async () => {
    assert.deepEqual(await numbers('raspberry-pi', PI5_KERNEL_66_CHIPS, ['17', '27', '4']), [588, 598, 575]);
  });
  it('base 458 (mainline top-down allocation, pinctrl-bcm2835) is found by label too', async () => {
    assert.deepEqual(await numbers('raspberry-pi', [{ base: 458, ngpio: 54, label: 'pinctrl-bcm2835', device: 'platform/soc/3f200000.gpio' }], ['17']), [475]);
  });
  it('no header chip (wrong board setting): ENODEV naming the labels looked for and the chips found', async () => {
    const sysfsRoot = tree(UDOO_NEO_CHIPS);
    await assert.rejects(sysfsLineNumber('raspberry-pi', '17', { sysfsRoot }), (e: unknown) => {
      assert.ok(e instanceof GpioError);
      assert.equal(e.code, 'ENODEV');
      assert.match(e.message, /pinctrl-bcm2711/);
      assert.match(e.message, /gpiochip0 "209c000.gpio" 0–31/);
      return true;
    });
  });
});

describe('BeagleBone Black: each bank found by its controller address', () => {
  it('3.8–5.10 kernels (banks in address order, static bases): the 32 × bank + bit numbers', async () => {
    assert.deepEqual(await numbers('beaglebone-black', BBB_38_CHIPS, ['P8_13', 'P9_12', 'P8_10', 'P9_15', 'P9_27']), [23, 60, 68, 48, 115]);
  });
  it('mainline with banks probed GPIO1, GPIO2, GPIO3, GPIO0 and dynamic bases: each pin on its own bank', async () => {
    // GPIO0 (44e07000) probed last at 608; GPIO1 512, GPIO2 544, GPIO3 576.
    assert.deepEqual(await numbers('beaglebone-black', BBB_MAINLINE_DYNAMIC_CHIPS, ['P8_13', 'P9_12', 'P8_10', 'P9_27']), [608 + 23, 512 + 28, 544 + 4, 576 + 19]);
  });
  it('the gpio-omap label counts in probe order, so it is not used: a bank missing from sysfs is an error', async () => {
    const withoutBank0 = BBB_MAINLINE_DYNAMIC_CHIPS.filter((c) => !c.device.includes('44e07000'));
    const sysfsRoot = tree(withoutBank0);
    await assert.rejects(sysfsLineNumber('beaglebone-black', 'P8_13', { sysfsRoot }), /GPIO0_23 on GPIO bank 0 of the AM335x \(controller 44e07000.gpio\)/);
    assert.equal(await sysfsLineNumber('beaglebone-black', 'P9_12', { sysfsRoot }), 540);
  });
});

describe('Udoo Neo: i.MX6SX banks by controller address', () => {
  it('static bases (32 × (bank − 1)): the numbers UDOO prints', async () => {
    assert.deepEqual(await numbers('udoo-neo', UDOO_NEO_CHIPS, ['106', '25', '180', '124']), [106, 25, 180, 124]);
  });
  it('dynamic bases: "106" is still GPIO4 line 10', async () => {
    const dynamic = UDOO_NEO_CHIPS.map((c, i) => ({ ...c, base: 512 + 32 * ((i + 3) % 7) }));
    const gpio4 = dynamic[3]!.base;
    assert.deepEqual(await numbers('udoo-neo', dynamic, ['106']), [gpio4 + 10]);
  });
});

describe('checkBoardChips: a board setting that does not match the chips fails at start', () => {
  it('a Udoo Neo tree with board raspberry-pi: ENODEV naming what was looked for and found', async () => {
    const chips = await readGpioChips(tree(UDOO_NEO_CHIPS));
    assert.throws(() => checkBoardChips('raspberry-pi', chips), (e: unknown) => {
      assert.ok(e instanceof GpioError);
      assert.equal(e.code, 'ENODEV');
      assert.match(e.message, /board is "raspberry-pi" but none of its GPIO controllers/);
      assert.match(e.message, /found gpiochip0 "209c000.gpio"/);
      return true;
    });
  });
  it('matching trees pass, also a BBB with one bank missing; generic always passes', async () => {
    checkBoardChips('raspberry-pi', await readGpioChips(tree(PI5_KERNEL_66_CHIPS)));
    checkBoardChips('beaglebone-black', await readGpioChips(tree(BBB_MAINLINE_DYNAMIC_CHIPS.slice(1))));
    checkBoardChips('udoo-neo', await readGpioChips(tree(UDOO_NEO_CHIPS)));
    checkBoardChips('generic', []);
    assert.throws(() => checkBoardChips('beaglebone-black', []), /found no gpiochip at all/);
  });
});

describe('generic: kernel numbers as written, checked against the chips', () => {
  it('a number inside a chip passes through', async () => {
    assert.deepEqual(await numbers('generic', PI4_KERNEL_66_CHIPS, ['529']), [529]);
  });
  it('a number no chip holds (a bare BCM number on a 6.6 kernel): ENODEV listing the chip ranges', async () => {
    const chips = await readGpioChips(tree(PI4_KERNEL_66_CHIPS));
    assert.throws(() => resolveLine('generic', '17', chips), (e: unknown) => {
      assert.ok(e instanceof GpioError);
      assert.equal(e.code, 'ENODEV');
      assert.match(e.message, /gpiochip512 "pinctrl-bcm2711" 512–569/);
      return true;
    });
  });
});

describe('sysfs GPIO missing or unreadable', () => {
  it('no /sys/class/gpio: says CONFIG_GPIO_SYSFS and what to do', async () => {
    const sysfsRoot = tree([], { withGpioClass: false });
    await assert.rejects(readGpioChips(sysfsRoot), (e: unknown) => {
      assert.ok(e instanceof GpioError);
      assert.equal(e.code, 'ENOENT');
      assert.match(e.message, /CONFIG_GPIO_SYSFS/);
      assert.match(e.message, /--simulate/);
      return true;
    });
  });
  it('chips are listed in base order with label, ngpio and the controller in their real path', async () => {
    const chips = await readGpioChips(tree(BBB_MAINLINE_DYNAMIC_CHIPS));
    assert.deepEqual(chips.map((c) => [c.name, c.base, c.ngpio, c.label]), [
      ['gpiochip512', 512, 32, 'gpio-0-31'], ['gpiochip544', 544, 32, 'gpio-32-63'], ['gpiochip576', 576, 32, 'gpio-64-95'], ['gpiochip608', 608, 32, 'gpio-96-127'],
    ]);
    assert.match(chips[3]!.devicePath, /\/44e07000\.gpio\/gpio\/gpiochip608$/);
  });
});

describe('pin names: config validation', () => {
  it('usable pins give no problem on each board', () => {
    for (const [board, pin] of [['raspberry-pi', '17'], ['beaglebone-black', 'P8_13'], ['udoo-neo', '106'], ['generic', '529']] as const) {
      assert.equal(pinProblem(board, pin), null, `${board} ${pin}`);
    }
  });
  it('pins that cannot be GPIO are refused with the reason', () => {
    assert.match(pinProblem('raspberry-pi', '2')!, /I2C1 SDA, the sensor bus \/dev\/i2c-1/);
    assert.match(pinProblem('raspberry-pi', '0')!, /HAT EEPROM/);
    assert.match(pinProblem('beaglebone-black', 'P8_3')!, /eMMC/);
    assert.match(pinProblem('beaglebone-black', 'P8_45')!, /HDMI video/);
    assert.match(pinProblem('beaglebone-black', 'P9_19')!, /I2C2/);
    assert.match(pinProblem('beaglebone-black', 'USR0')!, /gpio-leds.*\/sys\/class\/leds\/beaglebone:green:usr0/);
    assert.match(pinProblem('beaglebone-black', 'P9_33')!, /analog \(ADC\)/);
    assert.match(pinProblem('beaglebone-black', 'P9_1')!, /ground or 3.3 V/);
    assert.match(pinProblem('udoo-neo', '203')!, /I2C4, the motion-sensor bus/);
    assert.match(pinProblem('udoo-neo', '4')!, /UART1, the debug console/);
    assert.match(pinProblem('udoo-neo', '178')!, /not certain/);
  });
  it('near misses get a "write it as" hint', () => {
    assert.match(pinProblem('raspberry-pi', 'GPIO17')!, /write the bare BCM number: "17"/);
    assert.match(pinProblem('raspberry-pi', 'pin 11')!, /header pin 11 is BCM 17: write "17"/);
    assert.match(pinProblem('raspberry-pi', 'pin 1')!, /power or ground/);
    assert.match(pinProblem('beaglebone-black', 'p8.13')!, /write it as "P8_13"/);
    assert.match(pinProblem('beaglebone-black', 'GPIO1_28')!, /GPIO1_28 is P9_12: write "P9_12"/);
    assert.match(pinProblem('udoo-neo', 'GPIO4_IO10')!, /Linux GPIO 106: write "106"/);
    assert.match(pinProblem('udoo-neo', 'J4 pin 16')!, /write "106"/);
    assert.match(pinProblem('beaglebone-black', ' P8_13')!, /spaces/);
  });
  it('unknown names say how names are written on the board', () => {
    assert.match(pinProblem('raspberry-pi', '28')!, /not a known pin on raspberry-pi.*BCM numbers/);
    assert.match(pinProblem('beaglebone-black', 'P10_1')!, /header names P8_3–P8_46/);
    assert.match(pinProblem('generic', 'P8_13')!, /sysfs line number/);
    assert.match(pinProblem('raspberry-pi', 17)!, /give the pin as a string/);
  });
  it('knownPins lists only usable pins, and every table entry has a distinct name and line', () => {
    assert.ok(knownPins('raspberry-pi').includes('17') && !knownPins('raspberry-pi').includes('2'));
    assert.equal(knownPins('raspberry-pi').length, 24);
    assert.equal(knownPins('beaglebone-black').length, 67 - 10 - 20 - 4 - 2);
    assert.deepEqual(knownPins('generic'), []);
    for (const board of ['raspberry-pi', 'beaglebone-black', 'udoo-neo'] as const) {
      const names = knownPins(board);
      assert.equal(new Set(names).size, names.length, board);
    }
    assert.equal(findPin('beaglebone-black', 'P9_12')!.line, 'GPIO1_28');
    assert.equal(findPin('udoo-neo', '25')!.where, 'J6 pin 24');
    // The caveats the tables keep for a usable pin.
    assert.match(findPin('raspberry-pi', '14')!.note!, /serial console/);
    assert.match(findPin('udoo-neo', '104')!.note!, /Cortex-M4.*udoom4ctl disable/);
    assert.equal(findPin('raspberry-pi', '17')!.note, undefined);
  });
});
