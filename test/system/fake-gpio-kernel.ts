/**
 * Inside the system test's container: a sysfs GPIO tree shaped as the kernel's, and a stand-in
 * for the two actors that change it, the kernel (export/unexport) and udev (the installed rules).
 *
 *   node fake-gpio-kernel.js BOARD-LAYOUT TREE RULES
 *
 * The tree (a tmpfs at TREE) holds class/gpio/{export,unexport,gpiochipN} and the controllers'
 * directories under devices/platform/…; the test bind-mounts TREE/class over /sys/class and
 * TREE/devices/platform over /sys/devices/platform (this machine has no GPIO). gpiochipN and gpioN
 * in class/gpio are symlinks into the controllers' directories, as in sysfs, so a write to
 * /sys/class/gpio/gpioN/value lands under /sys/devices/platform/…: the path the unit must make
 * writable. Attribute files are created root:root 0644 (export/unexport 0200), as the kernel does.
 *
 * Like the kernel, an export creates gpioN (via inotify on `export`, so a moment after the write,
 * which onoff tolerates: it retries opening the new files); like udev, the commands of the
 * installed rules' RUN+= for SUBSYSTEM=="gpio" run then, with %p and $$ substituted as udev does:
 * for every chip at start (coldplug), for every gpioN on export. Not simulated: direction and
 * active_low semantics (`value` is the file onoff writes, so it holds the logical level), edges.
 * Every event is appended to TREE/events.log for the test to read.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Controller {
  /** Path under /sys/devices, e.g. platform/ocp/…/44e07000.gpio. */
  device: string;
  base: number;
  ngpio: number;
  label: string;
}

/** The layouts the system test boots, from test/helpers/gpio-trees.ts (sources cited there). */
export const LAYOUTS: Record<string, Controller[]> = {
  // Raspberry Pi 4, kernel 6.6: the header chip at base 512.
  'raspberry-pi': [
    { device: 'platform/soc/fe200000.gpio', base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
    { device: 'platform/soc/soc:firmware/soc:firmware:gpio', base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
  // BeagleBone Black, mainline kernel: banks probed GPIO1, GPIO2, GPIO3, GPIO0, bases from 512.
  'beaglebone-black': [
    { device: 'platform/ocp/48000000.interconnect/4804c000.target-module/4804c000.gpio', base: 512, ngpio: 32, label: 'gpio-0-31' },
    { device: 'platform/ocp/48000000.interconnect/481ac000.target-module/481ac000.gpio', base: 544, ngpio: 32, label: 'gpio-32-63' },
    { device: 'platform/ocp/48000000.interconnect/481ae000.target-module/481ae000.gpio', base: 576, ngpio: 32, label: 'gpio-64-95' },
    { device: 'platform/ocp/44c00000.interconnect/44e07000.target-module/44e07000.gpio', base: 608, ngpio: 32, label: 'gpio-96-127' },
  ],
  // Udoo Neo (gpio-mxc, base 32 × (bank − 1)). Its vendor kernels put the SoC under
  // /sys/devices/soc0/…; here under platform/, the only part of /sys/devices the test replaces.
  'udoo-neo': [1, 2, 3, 4, 5, 6, 7].map((bank) => {
    const address = (0x0209c000 + 0x4000 * (bank - 1)).toString(16);
    return { device: `platform/soc/2000000.aips-bus/${address}.gpio`, base: 32 * (bank - 1), ngpio: 32, label: `${address}.gpio` };
  }),
};

/** The RUN+= commands of the rules for SUBSYSTEM=="gpio" whose KERNEL== glob matches `kernel`. */
export function udevCommands(rules: string, kernel: string, devpath: string): string[] {
  const commands: string[] = [];
  for (const line of rules.split('\n')) {
    if (line.trimStart().startsWith('#') || !/SUBSYSTEM=="gpio"/.test(line)) continue;
    const glob = /KERNEL=="([^"]*)"/.exec(line)?.[1];
    if (glob === undefined) continue;
    const pattern = new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    if (!pattern.test(kernel)) continue;
    for (const run of line.matchAll(/RUN\+="((?:[^"\\]|\\.)*)"/g)) {
      // udev's formatting: %p the device path, %k the kernel name, $$ and %% themselves.
      commands.push(run[1]!.replace(/%p/g, devpath).replace(/%k/g, kernel).replace(/\$\$/g, '$').replace(/%%/g, '%'));
    }
  }
  return commands;
}

function main(): void {
  const [layoutName, tree, rulesFile] = process.argv.slice(2);
  const layout = LAYOUTS[layoutName ?? ''];
  if (!layout || !tree || !rulesFile) {
    console.error('usage: fake-gpio-kernel BOARD TREE RULES');
    process.exit(64);
  }
  const log = (line: string): void => appendFileSync(join(tree, 'events.log'), `${line}\n`);
  const classDir = join(tree, 'class', 'gpio');
  const udev = (kernel: string, devpath: string): void => {
    if (!existsSync(rulesFile)) return; // not installed yet: SIGUSR1 replays the events later
    for (const command of udevCommands(readFileSync(rulesFile, 'utf8'), kernel, devpath)) {
      try {
        // udev splits RUN+= into argv itself, honouring quotes; the shell does the same here.
        execFileSync('/bin/sh', ['-c', command], { stdio: 'pipe' });
        log(`udev ${kernel} ok`);
      } catch (error) {
        log(`udev ${kernel} failed: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error)}`);
      }
    }
  };

  mkdirSync(classDir, { recursive: true });
  for (const file of ['export', 'unexport']) {
    writeFileSync(join(classDir, file), '');
    chmodSync(join(classDir, file), 0o200);
  }
  const chipDir = (c: Controller): string => join(tree, 'devices', c.device, 'gpio', `gpiochip${c.base}`);
  for (const c of layout) {
    mkdirSync(chipDir(c), { recursive: true });
    writeFileSync(join(chipDir(c), 'base'), `${c.base}\n`);
    writeFileSync(join(chipDir(c), 'ngpio'), `${c.ngpio}\n`);
    writeFileSync(join(chipDir(c), 'label'), `${c.label}\n`);
    symlinkSync(relative(classDir, chipDir(c)), join(classDir, `gpiochip${c.base}`));
  }
  for (const c of layout) udev(`gpiochip${c.base}`, `/devices/${c.device}/gpio/gpiochip${c.base}`);

  // gpioN lives under the controller (newer kernels add a gpiochipM/ level; the unit's
  // ReadWritePaths= names the controller, which covers both).
  const lineDir = (c: Controller, n: number): string => join(tree, 'devices', c.device, `gpiochip${c.base}`, 'gpio', `gpio${n}`);
  const exported = new Set<number>();
  const handle = (file: 'export' | 'unexport'): void => {
    const text = readFileSync(join(classDir, file), 'utf8').trim();
    if (text === '') return;
    writeFileSync(join(classDir, file), ''); // sysfs keeps nothing; our own write sends an empty event
    const n = Number(text);
    const c = layout.find((chip) => n >= chip.base && n < chip.base + chip.ngpio);
    log(`${file} ${text}${c ? '' : ' (no chip holds it)'}`);
    if (!c || !Number.isInteger(n)) return;
    if (file === 'export' && !exported.has(n)) {
      const dir = lineDir(c, n);
      mkdirSync(dir, { recursive: true });
      for (const [name, content] of [['direction', 'in'], ['value', '0'], ['edge', 'none'], ['active_low', '0']]) {
        writeFileSync(join(dir, name!), `${content}\n`);
        chmodSync(join(dir, name!), 0o644);
      }
      symlinkSync(relative(classDir, dir), join(classDir, `gpio${n}`));
      exported.add(n);
      udev(`gpio${n}`, `/devices/${c.device}/gpiochip${c.base}/gpio/gpio${n}`);
    } else if (file === 'unexport' && exported.delete(n)) {
      rmSync(join(classDir, `gpio${n}`));
      rmSync(lineDir(c, n), { recursive: true });
    }
  };
  for (const file of ['export', 'unexport'] as const) watch(join(classDir, file), () => handle(file));
  // SIGUSR1: what `udevadm trigger --action=add` does, every device's add event again.
  process.on('SIGUSR1', () => {
    log('trigger');
    for (const c of layout) udev(`gpiochip${c.base}`, `/devices/${c.device}/gpio/gpiochip${c.base}`);
    for (const n of exported) {
      const c = layout.find((chip) => n >= chip.base && n < chip.base + chip.ngpio)!;
      udev(`gpio${n}`, `/devices/${c.device}/gpiochip${c.base}/gpio/gpio${n}`);
    }
  });
  log('ready');
}

if (process.argv[1]?.endsWith('fake-gpio-kernel.js')) main();
