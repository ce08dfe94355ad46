/**
 * What systemd sees of `edge-agent run`: the notify protocol (against a fake NOTIFY_SOCKET, with
 * the real systemd-notify), the watchdog tied to the sampling loop (manual clock), reloads on
 * SIGHUP, and journal priority prefixes (JOURNAL_STREAM).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { settle, ManualClock } from '../drivers/clock.js';
import { createNotifier, notifyArgs, notifyDatagram, watchdogIntervalMs } from '../agent/service/sd-notify.js';
import { Watchdog } from '../agent/service/watchdog.js';
import { startAgent, writeTempConfig } from './helpers/agent-process.js';
import { startFakeNotifySocket, type FakeNotifySocket } from './helpers/fake-notify-socket.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { watch } from './helpers/mqtt-watch.js';

function config(deviceId: string): Record<string, unknown> {
  return {
    board: 'raspberry-pi',
    deviceId,
    i2c: { simulated: true },
    mqtt: { reconnectPeriodMs: 200 },
    sensors: [{ name: 'altimeter', intervalMs: 100, measurements: { altitude: { unit: 'ft' } }, simulation: { scenario: 'static', groundAltitudeM: 30.48 } }],
  };
}

describe('the watchdog (manual clock)', () => {
  it('pings every half interval while the loop beats, and stops when the beats stop', async () => {
    const clock = new ManualClock();
    const pings: number[] = [];
    const dog = new Watchdog({ clock, intervalMs: 1000, staleAfterMs: () => 3000, ping: () => pings.push(clock.now()) });
    dog.start();
    for (let t = 0; t < 4000; t += 100) {
      dog.beat();
      await clock.advance(100);
    }
    assert.deepEqual(pings, [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000]);
    // the loop hangs: no more beats; pings go on until the last beat is 3 s old, then stop
    await clock.advance(6000);
    assert.equal(pings.at(-1), 6500, "the last beat was at 3900: alive until 6900");
    assert.ok(dog.missed > 0);
    const before = pings.length;
    await clock.advance(5000);
    assert.equal(pings.length, before, 'no pings while stuck: systemd will restart the service');
    dog.beat();
    await clock.advance(500);
    assert.equal(pings.length, before + 1, 'a beat brings the pings back');
    await dog.stop();
  });

  it('without a sampling loop (a subscriber) pings while the event loop turns', async () => {
    const clock = new ManualClock();
    let pings = 0;
    const dog = new Watchdog({ clock, intervalMs: 1000, staleAfterMs: () => null, ping: () => pings++ });
    dog.start();
    await clock.advance(10_000);
    assert.equal(pings, 21);
    await dog.stop();
    await settle();
  });
});

describe('sd_notify plumbing', () => {
  it('does nothing without NOTIFY_SOCKET', async () => {
    const errors: Error[] = [];
    const notifier = createNotifier({ env: {}, command: '/nonexistent/systemd-notify', onError: (e) => errors.push(e) });
    assert.equal(notifier.enabled, false);
    await notifier.notify({ READY: 1 });
    assert.deepEqual(errors, []);
  });

  it('reports a failing systemd-notify instead of throwing', async () => {
    const errors: Error[] = [];
    const notifier = createNotifier({ env: { NOTIFY_SOCKET: '/nonexistent.sock' }, command: '/nonexistent/systemd-notify', loadDatagram: null, onError: (e) => errors.push(e) });
    assert.equal(notifier.transport, 'systemd-notify');
    await notifier.notify({ READY: 1 });
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /READY=1/);
  });

  it('sends in process when unix-dgram loads: one datagram per message, from this process, in order', async () => {
    const socket = await startFakeNotifySocket();
    try {
      const errors: Error[] = [];
      const notifier = createNotifier({ env: { NOTIFY_SOCKET: socket.path }, command: '/nonexistent/systemd-notify', onError: (e) => errors.push(e) });
      assert.equal(notifier.transport, 'datagram', notifier.fallbackReason);
      await notifier.notify({ READY: 1, STATUS: 'up\nand running' });
      for (let i = 0; i < 20; i++) void notifier.notify({ WATCHDOG: 1, STATUS: `ping ${i}` });
      await notifier.notify({ STOPPING: 1 });
      await socket.waitFor((m) => m.includes('STOPPING=1'), 'STOPPING=1');
      assert.deepEqual(errors, []);
      const received = socket.received();
      assert.deepEqual(received.map((r) => r.data), ['READY=1\nSTATUS=up and running', ...Array.from({ length: 20 }, (_, i) => `WATCHDOG=1\nSTATUS=ping ${i}`), 'STOPPING=1']);
      // The manager attributes a datagram to the pid in its credentials: NotifyAccess=main holds.
      assert.deepEqual([...new Set(received.map((r) => r.pid))], [process.pid]);
    } finally {
      socket.close();
    }
  });

  it('a busy manager (its queue full) gets every message late, in order, none lost', async () => {
    const socket = await startFakeNotifySocket();
    try {
      const errors: Error[] = [];
      const notifier = createNotifier({ env: { NOTIFY_SOCKET: socket.path }, onError: (e) => errors.push(e) });
      await notifier.notify({ STATUS: 'first' });
      await socket.waitFor((m) => m.length === 1, 'the first message');
      socket.pause();
      // More than net.unix.max_dgram_qlen (10 by default): the rest meet EAGAIN until it reads.
      const sent = Array.from({ length: 40 }, (_, i) => notifier.notify({ WATCHDOG: 1, STATUS: `busy ${i}` }));
      await new Promise((r) => setTimeout(r, 200));
      socket.resume();
      await Promise.all(sent);
      await socket.waitFor((m) => m.length === 41, '41 messages');
      assert.deepEqual(errors, []);
      assert.deepEqual(socket.messages().slice(1), Array.from({ length: 40 }, (_, i) => `WATCHDOG=1\nSTATUS=busy ${i}`));
    } finally {
      socket.resume();
      socket.close();
    }
  });

  it('a datagram that cannot be delivered is reported with its errno name, never thrown', async () => {
    const errors: Error[] = [];
    const notifier = createNotifier({ env: { NOTIFY_SOCKET: '/nonexistent/notify.sock' }, onError: (e) => errors.push(e) });
    assert.equal(notifier.transport, 'datagram');
    await notifier.notify({ WATCHDOG: 1 });
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /^notify WATCHDOG=1 to \/nonexistent\/notify\.sock failed: send ENOENT$/);
  });

  it('falls back to systemd-notify, saying why, without the addon or for an abstract socket', () => {
    const missing = createNotifier({ env: { NOTIFY_SOCKET: '/run/systemd/notify' }, loadDatagram: () => { throw new Error("Cannot find module 'unix-dgram'\nRequire stack: ..."); } });
    assert.equal(missing.transport, 'systemd-notify');
    assert.match(missing.fallbackReason!, /unix-dgram is not installed \(npm install unix-dgram/);
    const broken = createNotifier({ env: { NOTIFY_SOCKET: '/run/systemd/notify' }, loadDatagram: () => { throw new Error('unix_dgram.node: invalid ELF header'); } });
    assert.match(broken.fallbackReason!, /could not be loaded \(unix_dgram\.node: invalid ELF header\): rebuild it with npm rebuild unix-dgram/);
    for (const socket of ['@/org/freedesktop/systemd1/notify', 'vsock:2:1234', 'relative/notify']) {
      let loaded = false;
      const notifier = createNotifier({ env: { NOTIFY_SOCKET: socket }, loadDatagram: () => { loaded = true; throw new Error('not reached'); } });
      assert.equal(notifier.transport, 'systemd-notify', socket);
      assert.match(notifier.fallbackReason!, /is not a path/);
      assert.equal(loaded, false, 'the addon is not even loaded for a socket it cannot reach');
    }
  });

  it('an abstract socket (@name) is reached through systemd-notify', async () => {
    const socket = await startFakeNotifySocket({ abstract: true });
    try {
      const errors: Error[] = [];
      const notifier = createNotifier({ env: { NOTIFY_SOCKET: socket.path }, onError: (e) => errors.push(e) });
      await notifier.notify({ READY: 1, STATUS: 'abstract' });
      await socket.waitFor((m) => m.includes('READY=1\nSTATUS=abstract'), 'READY over the abstract socket');
      assert.deepEqual(errors, []);
      assert.equal(notifier.transport, 'systemd-notify');
      // (No pid check here: systemd-notify run by root claims its parent's pid in the credentials;
      // run by the unprivileged service user it cannot, which is why that path needs
      // NotifyAccess=all. The system test shows it under a real systemd.)
    } finally {
      socket.close();
    }
  });

  it('keeps one message per key and reads WATCHDOG_USEC for this process only', () => {
    assert.deepEqual(notifyArgs({ READY: 1, STATUS: 'two\nlines' }), ['READY=1', 'STATUS=two lines']);
    assert.equal(notifyDatagram({ READY: 1, STATUS: 'two\r\nlines' }).toString(), 'READY=1\nSTATUS=two lines');
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42), 30_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42), null);
    assert.equal(watchdogIntervalMs({}, 42), null);
  });
});

describe('edge-agent run under a (fake) service manager', () => {
  let broker: Mosquitto;
  let socket: FakeNotifySocket;
  before(async () => {
    broker = await startMosquitto();
    socket = await startFakeNotifySocket();
  });
  after(async () => {
    socket?.close();
    await broker?.stop();
  });

  it('READY after the broker session, WATCHDOG while sampling, reloads on SIGHUP, STOPPING on SIGTERM', async () => {
    const file = writeTempConfig(config('svc01'));
    // No systemd-notify on its PATH: every message must go out in process.
    const agent = startAgent(['run', '--config', file, '--broker', broker.url], { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000', PATH: '/nonexistent-no-systemd-notify' });
    const index = (m: string[], p: RegExp, from = 0): number => m.findIndex((x, i) => i >= from && p.test(x));
    try {
      let m = await socket.waitFor((m) => m.filter((x) => x === 'WATCHDOG=1').length >= 3, 'three WATCHDOG=1');
      const ready = index(m, /^READY=1\nSTATUS=running: svc01 connected to mqtt:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(ready >= 0, JSON.stringify(m));
      assert.ok(ready < index(m, /^WATCHDOG=1$/), 'READY comes first');
      assert.match(agent.output(), /\[mqtt\] connected/);
      // In process (unix-dgram): every message comes from the service's main process.
      assert.deepEqual([...new Set(socket.received().map((r) => r.pid))], [agent.child.pid]);
      assert.doesNotMatch(agent.output(), /systemd-notify command/);

      // A valid new configuration is applied in the same process.
      writeFileSync(file, JSON.stringify(config('svc02')));
      const live = watch({ port: broker.port, topics: ['sensors/svc02/altitude'], count: 1 });
      await new Promise((r) => setTimeout(r, 300));
      agent.child.kill('SIGHUP');
      assert.equal((await live)[0]!.payload, '100');
      await agent.waitFor(/configuration reloaded deviceId=svc02/);
      m = await socket.waitFor((m) => index(m, /^READY=1\nSTATUS=running: svc02/) >= 0, 'READY for svc02');
      const reloading = index(m, /^RELOADING=1/);
      assert.ok(reloading > ready && reloading < index(m, /^READY=1\nSTATUS=running: svc02/));

      // A valid one that cannot start (no such I2C bus) falls back to the running configuration.
      writeFileSync(file, JSON.stringify({ ...config('svc04'), i2c: { simulated: false, bus: 99 } }));
      agent.child.kill('SIGHUP');
      await agent.waitFor(/new configuration failed to start, going back to the previous one/);
      await agent.waitFor(/previous configuration restarted deviceId=svc02/);

      // An invalid one is refused with every problem, and the running agent carries on.
      writeFileSync(file, JSON.stringify({ deviceId: 'svc03', sensors: [{ name: 'a', address: '0x99' }], loglevel: 'debug' }));
      agent.child.kill('SIGHUP');
      await agent.waitFor(/new configuration refused, keeping the running one/);
      await agent.waitFor(/configuration problem path=loglevel/);
      await agent.waitFor(/configuration problem path=sensors\[0\]\.address/);
      await socket.waitFor((m) => index(m, /last reload refused/) >= 0, 'READY after the refused reload');
      const still = await watch({ port: broker.port, topics: ['sensors/svc02/altitude'], count: 1 });
      assert.equal(still[0]!.payload, '100', 'still publishing as svc02');
      assert.equal(agent.child.exitCode, null);

      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0);
      m = await socket.waitFor((m) => index(m, /^STOPPING=1/) >= 0, 'STOPPING=1');
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      await agent.exited;
    }
  });
});

describe('edge-agent run with a list of servers, under a (fake) service manager', () => {
  it('the status line names the server connected to, and the new one after a failover', async () => {
    const [first, second] = [await startMosquitto(), await startMosquitto()];
    const socket = await startFakeNotifySocket();
    const file = writeTempConfig({ ...config('fail01'), mqtt: { url: `${first.url},${second.url}`, reconnectPeriodMs: 200 } });
    const agent = startAgent(['run', '--config', file], { NOTIFY_SOCKET: socket.path, PATH: '/nonexistent-no-systemd-notify' });
    try {
      await socket.waitFor((m) => m.includes(`READY=1\nSTATUS=running: fail01 connected to ${first.url}`), 'READY naming the first server');
      await first.kill();
      await socket.waitFor((m) => m.includes(`STATUS=running: fail01 connected to ${second.url}`), 'STATUS naming the second server');
      await agent.waitFor(new RegExp(`\\[mqtt\\] connected url=${second.url.replace(/[.]/g, '\\.')} protocol="MQTT 3\\.1\\.1"`));
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0);
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      await agent.exited;
      socket.close();
      await first.stop();
      await second.stop();
    }
  });
});

describe('edge-agent run under a (fake) service manager, broker unreachable', () => {
  const unreachable = (deviceId: string, connectTimeoutMs: number): string => writeTempConfig({ ...config(deviceId), mqtt: { url: 'mqtt://127.0.0.1:1', connectTimeoutMs } });

  it('says READY after mqtt.connectTimeoutMs anyway, with a status that says why', async () => {
    const socket = await startFakeNotifySocket();
    const agent = startAgent(['run', '--config', unreachable('late01', 300)], { NOTIFY_SOCKET: socket.path });
    try {
      const m = await socket.waitFor((m) => m.some((x) => x.startsWith('READY=1')), 'READY=1');
      assert.ok(m.includes('READY=1\nSTATUS=running: late01, broker mqtt://127.0.0.1:1 not reachable yet (retrying)'), JSON.stringify(m));
    } finally {
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0);
      socket.close();
    }
  });

  it('a SIGTERM while waiting for the broker stops at once, without a READY', async () => {
    const socket = await startFakeNotifySocket();
    const agent = startAgent(['run', '--config', unreachable('late02', 600_000)], { NOTIFY_SOCKET: socket.path });
    try {
      await agent.waitFor(/broker connection error/);
      agent.child.kill('SIGTERM');
      // Bounded so a regression fails instead of hanging for the 10-minute connect timeout.
      const code = await Promise.race([agent.exited, new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000).unref())]);
      assert.equal(code, 0);
      const m = await socket.waitFor((m) => m.some((x) => x.startsWith('STOPPING=1')), 'STOPPING=1');
      assert.ok(!m.some((x) => x.startsWith('READY=1')), JSON.stringify(m));
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      socket.close();
    }
  });
});

describe('logs under the journal', () => {
  it('every line carries its syslog priority and no timestamp when JOURNAL_STREAM is set', async () => {
    const file = writeTempConfig(config('journal01'));
    const agent = startAgent(['run', '--config', file, '--broker', 'mqtt://127.0.0.1:1', '--log-level', 'debug'], { JOURNAL_STREAM: '8:12345' });
    try {
      await agent.waitFor(/<3>ERROR/);
      await agent.waitFor(/<4>WARN/);
      await agent.waitFor(/<7>DEBUG/);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
    const lines = agent.output().split('\n').filter(Boolean);
    for (const line of lines) assert.match(line, /^<[3467]>(ERROR|WARN |INFO |DEBUG) /, line);
    assert.match(lines[0]!, /^<6>INFO  starting deviceId=journal01/);
    assert.ok(lines.some((l) => /^<3>ERROR \[mqtt\] broker connection error .*ECONNREFUSED/.test(l)));
    assert.ok(lines.some((l) => /^<4>WARN  \[mqtt\] broker unreachable, will retry/.test(l)));
    assert.ok(!lines.some((l) => /\d{4}-\d\d-\d\dT\d\d:/.test(l.slice(0, 30))), 'journald stamps lines itself');
  });

  it('outside systemd lines start with a timestamp instead, and --log-level filters', async () => {
    const agent = startAgent(['run', '--config', writeTempConfig(config('journal02')), '--broker', 'mqtt://127.0.0.1:1', '--log-level', 'warn'], { JOURNAL_STREAM: '' });
    try {
      await agent.waitFor(/ERROR/);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
    const lines = agent.output().split('\n').filter(Boolean);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN ) /, line);
  });
});
