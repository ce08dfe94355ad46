/**
 * The onoff backend, running the real onoff 6 code against a fake sysfs GPIO tree. This file must
 * run in a private mount namespace (test/onoff-gpio.test.ts starts it with `unshare -m
 * --propagation private`): it mounts a tmpfs over /sys, because onoff's path /sys/class/gpio is
 * fixed, and builds the tree there. See test/helpers/fake-sysfs.ts for what the fake kernel does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../drivers/clock.js';
import { readGpioChips, resolveLine } from '../../drivers/gpio/chip-base.js';
import { GpioError } from '../../drivers/gpio/gpio.js';
import { createOnoffGpio } from '../../drivers/gpio/onoff-gpio.js';
import type { GpioBoard } from '../../drivers/gpio/pins.js';
import { gpioBackendContract, type GpioHarness } from '../gpio-contract.js';
import { FakeEpoll, FakeGpioKernel, hookSysfsWrites, type FakeChip } from '../helpers/fake-sysfs.js';
import { BBB_MAINLINE_DYNAMIC_CHIPS, PI4_KERNEL_66_CHIPS, PI5_KERNEL_66_CHIPS, UDOO_NEO_CHIPS } from '../helpers/gpio-trees.js';

// Never mount over the host's /sys: the parent passes its own mount namespace, and ours must differ.
const hostNamespace = process.env.EDGE_AGENT_HOST_MNTNS;
const ownNamespace = readlinkSync('/proc/self/ns/mnt');
if (!hostNamespace || hostNamespace === ownNamespace) {
  console.error(`refusing to run: not in a private mount namespace (host ${hostNamespace ?? 'unknown'}, this process ${ownNamespace}); start it through test/onoff-gpio.test.ts`);
  process.exit(2);
}
execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'edge-agent-fake-sysfs', '/sys']);

const require = createRequire(import.meta.url);
const epollPath = createRequire(require.resolve('onoff')).resolve('epoll');
const RealEpoll = (require(epollPath) as { Epoll: new (cb: () => void) => { add(fd: number, events: number): void; close(): void }; }).Epoll;
// onoff requires 'epoll' when it is first imported (lazily, by createOnoffGpio): give it the fake.
require.cache[epollPath] = { id: epollPath, filename: epollPath, loaded: true, exports: { Epoll: FakeEpoll } } as unknown as NodeJS.Module;

let kernel: FakeGpioKernel | undefined;
const unhook = hookSysfsWrites(() => kernel);
after(unhook);

async function harness(board: GpioBoard, chips: readonly FakeChip[], pins: GpioHarness['pins']): Promise<GpioHarness & { kernel: FakeGpioKernel }> {
  const k = new FakeGpioKernel('/sys', chips);
  kernel = k;
  const clock = new ManualClock();
  const backend = await createOnoffGpio(board, { clock });
  const lineChips = await readGpioChips('/sys');
  const number = (pin: string): number => resolveLine(board, pin, lineChips).number;
  const names = new Map([pins.a, pins.b, pins.c].map((p) => [number(p), p]));
  return {
    kernel: k,
    backend,
    clock,
    pins,
    setInputLevel: (pin, high) => k.setInputLevel(number(pin), high),
    outputLevel: async (pin) => k.physicalLevel(number(pin)),
    heldPins: async () => k.exported().map((n) => names.get(n) ?? `gpio${n}`),
  };
}

gpioBackendContract('onoff on a Raspberry Pi 5 tree (RP1 at base 571)', () => harness('raspberry-pi', PI5_KERNEL_66_CHIPS, { a: '17', b: '27', c: '22', unknown: '40' }));
gpioBackendContract('onoff on a Raspberry Pi 4 tree, kernel 6.6 (base 512)', () => harness('raspberry-pi', PI4_KERNEL_66_CHIPS, { a: '17', b: '23', c: '24', unknown: 'GPIO17' }));
gpioBackendContract('onoff on a BeagleBone Black mainline tree (banks rotated, dynamic bases)', () => harness('beaglebone-black', BBB_MAINLINE_DYNAMIC_CHIPS, { a: 'P8_13', b: 'P9_12', c: 'P9_27', unknown: 'P8_99' }));
gpioBackendContract('onoff on a Udoo Neo tree', () => harness('udoo-neo', UDOO_NEO_CHIPS, { a: '106', b: '25', c: '180', unknown: '999' }));

describe('onoff backend: what reaches sysfs', () => {
  it('Pi 5: "17" is exported as 588; an active-low output that starts off gets active_low, then one raw "high", never "out"', async () => {
    const h = await harness('raspberry-pi', PI5_KERNEL_66_CHIPS, { a: '17', b: '27', c: '22', unknown: '40' });
    await h.backend.output('17', { activeLow: true, initial: false });
    assert.deepEqual(h.kernel.writes, ['export 588', 'gpio588/active_low 1', 'gpio588/direction high']);
    await h.backend.close();
    assert.deepEqual(h.kernel.writes.slice(3), ['unexport 588']);
  });

  it('an input is exported with its active_low as an input; watching sets edge "both" for the debouncer', async () => {
    const h = await harness('raspberry-pi', PI4_KERNEL_66_CHIPS, { a: '17', b: '27', c: '22', unknown: '40' });
    const input = await h.backend.input('27', { activeLow: true, edge: 'falling', debounceMs: 5 });
    assert.deepEqual(h.kernel.writes, ['export 539', 'gpio539/active_low 1', 'gpio539/direction in']);
    input.watch(() => undefined);
    assert.deepEqual(h.kernel.writes.slice(3), ['gpio539/edge both']);
    await h.backend.close();
  });

  it('a line that cannot interrupt (no edge file): claimed and read as an input; watch says why it cannot', async () => {
    const h = await harness('raspberry-pi', PI4_KERNEL_66_CHIPS, { a: '17', b: '27', c: '22', unknown: '40' });
    h.kernel.withoutEdge.add(529);
    const input = await h.backend.input('17', { activeLow: false, edge: 'both', debounceMs: 0 });
    await h.kernel.setInputLevel(529, true);
    assert.equal(await input.read(), true);
    assert.throws(() => input.watch(() => undefined), (e: unknown) => e instanceof GpioError && e.code === 'ENOTSUP' && /no edge file/.test(e.message));
    await h.backend.close();
    assert.deepEqual(h.kernel.exported(), []);
  });

  it('a pin already exported at boot (BeagleBoard.org cape-universal) is taken over and configured', async () => {
    const h = await harness('beaglebone-black', BBB_MAINLINE_DYNAMIC_CHIPS, { a: 'P8_13', b: 'P9_12', c: 'P9_27', unknown: 'P8_99' });
    h.kernel.export(631);
    const out = await h.backend.output('P8_13', { activeLow: false, initial: true });
    assert.deepEqual(h.kernel.writes, ['gpio631/active_low 0', 'gpio631/direction high']);
    assert.equal(h.kernel.physicalLevel(631), true);
    await out.write(false);
    assert.equal(h.kernel.physicalLevel(631), false);
    await h.backend.close();
  });

  it('a line held by a kernel driver: GpioError EBUSY with the sysfs number and what to do', async () => {
    const h = await harness('raspberry-pi', PI5_KERNEL_66_CHIPS, { a: '17', b: '27', c: '22', unknown: '40' });
    h.kernel.heldByDriver.add(588);
    await assert.rejects(h.backend.output('17', { activeLow: false, initial: false }), (e: unknown) => {
      assert.ok(e instanceof GpioError);
      assert.equal(e.code, 'EBUSY');
      assert.match(e.message, /sysfs gpio588, gpiochip571 "pinctrl-rp1" base 571/);
      assert.match(e.message, /held by a kernel driver/);
      return true;
    });
    assert.deepEqual(h.kernel.exported(), []);
    // The failed claim is not counted: after the driver lets go, the pin can be claimed.
    h.kernel.heldByDriver.delete(588);
    await h.backend.output('17', { activeLow: false, initial: false });
    await h.backend.close();
  });

  it('configuring fails after the export: the line is unexported again, and the error names it', async () => {
    const h = await harness('raspberry-pi', PI5_KERNEL_66_CHIPS, { a: '17', b: '27', c: '22', unknown: '40' });
    h.kernel.fixedDirection.add(598);
    await assert.rejects(h.backend.output('27', { activeLow: false, initial: false }), (e: unknown) => e instanceof GpioError && e.code === 'EIO' && /gpio598/.test(e.message));
    assert.deepEqual(h.kernel.writes, ['export 598', 'gpio598/active_low 0', 'gpio598/direction low', 'unexport 598']);
    assert.deepEqual(h.kernel.exported(), []);
  });

  it('no /sys/class/gpio (kernel without CONFIG_GPIO_SYSFS): createOnoffGpio fails saying so', async () => {
    kernel = new FakeGpioKernel('/sys', [], { withGpioClass: false });
    await assert.rejects(createOnoffGpio('raspberry-pi'), /CONFIG_GPIO_SYSFS/);
  });

  it('the board setting does not match the chips: createOnoffGpio fails at start, before any export', async () => {
    kernel = new FakeGpioKernel('/sys', PI5_KERNEL_66_CHIPS);
    await assert.rejects(createOnoffGpio('beaglebone-black'), /board is "beaglebone-black" but none of its GPIO controllers/);
    assert.deepEqual(kernel.writes, []);
  });

  it('a read-only /sys (the unit\'s ProtectKernelTunables=yes): EROFS, naming the unit setting and the drop-in, not a group', async () => {
    kernel = new FakeGpioKernel('/sys', UDOO_NEO_CHIPS);
    execFileSync('mount', ['-o', 'remount,ro', '/sys']);
    try {
      await assert.rejects(createOnoffGpio('udoo-neo'), (error: unknown) => {
        assert.ok(error instanceof GpioError);
        assert.equal(error.code, 'EROFS');
        assert.match(error.message, /^cannot write \/sys\/class\/gpio\/export \(EROFS\): \/sys\/class\/gpio\/export is on a read-only mount \(EROFS\): under the systemd unit, ProtectKernelTunables=yes .*edge-agent\.service\.d\/gpio-sysfs\.conf .*install\.sh again/);
        assert.doesNotMatch(error.message, /usermod|gpio group/);
        return true;
      });
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', '/sys']);
    }
    assert.deepEqual(kernel.writes, []);
  });

  it('a sysfs root other than /sys is refused: onoff would export in /sys anyway', async () => {
    await assert.rejects(createOnoffGpio('generic', { sysfsRoot: '/tmp/elsewhere' }), /onoff always uses \/sys\/class\/gpio/);
  });

  it('why FakeEpoll: the real epoll addon refuses a tmpfs file (epoll_ctl EPERM), unlike a sysfs value file', () => {
    kernel = new FakeGpioKernel('/sys', PI4_KERNEL_66_CHIPS);
    writeFileSync('/sys/plain-file', '0');
    const fd = openSync('/sys/plain-file', 'r+');
    const poller = new RealEpoll(() => undefined);
    try {
      assert.throws(() => poller.add(fd, FakeEpoll.EPOLLPRI), /Operation not permitted/);
    } finally {
      poller.close();
      closeSync(fd);
    }
  });
});
