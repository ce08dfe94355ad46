/**
 * The onoff backend against a fake sysfs tree, in a private mount namespace: this file starts
 * test/namespace/onoff-gpio.sysfs.ts under `unshare -m --propagation private` (it mounts a tmpfs
 * over /sys there) and checks that every test in it ran and passed. CI runs as root, which
 * `unshare -m` and `mount` need; without them this test fails, it does not skip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadOnoff } from '../drivers/gpio/onoff-gpio.js';
import { GpioError } from '../drivers/gpio/gpio.js';

const here = dirname(fileURLToPath(import.meta.url));
const inner = join(here, 'namespace', 'onoff-gpio.sysfs.js');

/** Tests in the inner file: 4 contract runs × 13 cases + 11 sysfs checks. Fewer means some did not run. */
const EXPECTED_TESTS = 4 * 13 + 11;

/** Our environment without NODE_TEST_CONTEXT (it would make the inner run report in the runner's binary protocol). */
function innerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, EDGE_AGENT_HOST_MNTNS: readlinkSync('/proc/self/ns/mnt') };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

describe('onoff backend in a private mount namespace with a fake /sys', () => {
  it(`runs all ${EXPECTED_TESTS} inner tests against the real onoff code and they pass`, () => {
    const run = spawnSync('unshare', ['--mount', '--propagation', 'private', process.execPath, '--test-reporter=tap', inner], {
      encoding: 'utf8',
      env: innerEnv(),
      timeout: 240_000,
    });
    if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
      assert.fail('unshare (util-linux) is not installed: this test needs `unshare -m` and `mount` (as root) to mount a fake sysfs over /sys in a private mount namespace; install util-linux and run as root (CI does)');
    }
    assert.ifError(run.error);
    const output = `${run.stdout}\n${run.stderr}`;
    if (/unshare: .*(Operation not permitted|Permission denied)|mount: .*(must be superuser|permission denied)/i.test(output)) {
      assert.fail(`unshare/mount were refused: this test must run as root (CI does). Output:\n${output}`);
    }
    const count = (what: string): number => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? NaN);
    assert.equal(run.status, 0, `inner tests failed (exit ${run.status}):\n${output.slice(-6000)}`);
    assert.equal(count('fail'), 0, output.slice(-6000));
    assert.equal(count('pass'), EXPECTED_TESTS, `expected ${EXPECTED_TESTS} passing inner tests:\n${output.slice(-3000)}`);
  });
});

describe('loading onoff lazily', () => {
  it('the installed onoff (with its epoll addon built) loads and has a Gpio class', async () => {
    assert.equal(typeof (await loadOnoff()), 'function');
  });

  it('onoff missing: says it is optional, how to install it, and --simulate', async () => {
    const missing = Object.assign(new Error("Cannot find package 'onoff' imported from /app/dist/drivers/gpio/onoff-gpio.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await assert.rejects(loadOnoff(() => Promise.reject(missing)), (e: unknown) => {
      assert.ok(e instanceof GpioError);
      assert.match(e.message, /optional package onoff is missing \(npm install onoff/);
      assert.match(e.message, /--simulate/);
      assert.equal(e.cause, missing);
      // Hardware unavailable, not a fault: the command line exits 69 on this code.
      assert.equal(e.code, 'ERR_HARDWARE_UNAVAILABLE');
      return true;
    });
  });

  it('the epoll addon not built: says npm rebuild epoll', async () => {
    const unbuilt = new Error('Could not locate the bindings file. Tried:\n → /app/node_modules/epoll/build/Release/epoll.node');
    await assert.rejects(loadOnoff(() => Promise.reject(unbuilt)), /native epoll addon could not be loaded .*npm rebuild epoll/s);
    await assert.rejects(loadOnoff(() => Promise.reject(unbuilt)), { code: 'ERR_HARDWARE_UNAVAILABLE' });
  });

  it('a module without a Gpio class is refused', async () => {
    await assert.rejects(loadOnoff(async () => ({ default: {} })), /no Gpio class: onoff 6 is needed/);
  });
});
