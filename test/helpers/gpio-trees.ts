/**
 * GPIO chip layouts of real kernels, for the fake sysfs tree. Numbers as these public reports show
 * them: talkkonnect issue #129 (Pi 4, kernel 6.6: `GPIOs 512-569 … pinctrl-bcm2711`),
 * raspberrypi/linux issue #6037 (Pi 5: brcmstb chips from 512 up, RP1 at 571), nerves_system_bbb
 * issues #266 and #267 (BeagleBone Black, mainline probe order GPIO1, GPIO2, GPIO3, GPIO0).
 */
import type { FakeChip } from './fake-sysfs.js';

export const PI_OLD_KERNEL_CHIPS: readonly FakeChip[] = [
  { base: 0, ngpio: 58, label: 'pinctrl-bcm2711', device: 'platform/soc/fe200000.gpio' },
  { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio', device: 'platform/soc/soc:firmware/soc:firmware:gpio' },
];

export const PI4_KERNEL_66_CHIPS: readonly FakeChip[] = [
  { base: 512, ngpio: 58, label: 'pinctrl-bcm2711', device: 'platform/soc/fe200000.gpio' },
  { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio', device: 'platform/soc/soc:firmware/soc:firmware:gpio' },
];

export const PI5_KERNEL_66_CHIPS: readonly FakeChip[] = [
  { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500', device: 'platform/soc/107d508500.gpio' },
  { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520', device: 'platform/soc/107d508500.gpio' },
  { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00', device: 'platform/soc/107d517c00.gpio' },
  { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20', device: 'platform/soc/107d517c00.gpio' },
  { base: 571, ngpio: 54, label: 'pinctrl-rp1', device: 'platform/axi/1000120000.pcie/1f000d0000.gpio' },
];

export const BBB_38_CHIPS: readonly FakeChip[] = [
  { base: 0, ngpio: 32, label: 'gpio-0-31', device: 'ocp.3/44e07000.gpio' },
  { base: 32, ngpio: 32, label: 'gpio-32-63', device: 'ocp.3/4804c000.gpio' },
  { base: 64, ngpio: 32, label: 'gpio-64-95', device: 'ocp.3/481ac000.gpio' },
  { base: 96, ngpio: 32, label: 'gpio-96-127', device: 'ocp.3/481ae000.gpio' },
];

/** Probe order GPIO1, GPIO2, GPIO3, GPIO0, bases allocated from 512 in that order. */
export const BBB_MAINLINE_DYNAMIC_CHIPS: readonly FakeChip[] = [
  { base: 512, ngpio: 32, label: 'gpio-0-31', device: 'platform/ocp/48000000.interconnect/4804c000.target-module/4804c000.gpio' },
  { base: 544, ngpio: 32, label: 'gpio-32-63', device: 'platform/ocp/48000000.interconnect/481ac000.target-module/481ac000.gpio' },
  { base: 576, ngpio: 32, label: 'gpio-64-95', device: 'platform/ocp/48000000.interconnect/481ae000.target-module/481ae000.gpio' },
  { base: 608, ngpio: 32, label: 'gpio-96-127', device: 'platform/ocp/44c00000.interconnect/44e07000.target-module/44e07000.gpio' },
];

/** gpio-mxc: one chip per bank, labelled with the device name, base = 32 × (bank − 1). */
export const UDOO_NEO_CHIPS: readonly FakeChip[] = [1, 2, 3, 4, 5, 6, 7].map((bank) => {
  const address = (0x0209c000 + 0x4000 * (bank - 1)).toString(16);
  return { base: 32 * (bank - 1), ngpio: 32, label: `${address}.gpio`, device: `soc0/soc/2000000.aips-bus/${address}.gpio` };
});
