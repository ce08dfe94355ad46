/**
 * agent/mqtt/direct-client.ts: TCP and TLS broker URLs get mqtt.js's MqttClient with the agent's
 * stream builder, so mqtt.connect's table of transports (ws, socks, https) is never loaded; every
 * other URL keeps mqtt.connect. The TLS path itself is proven end to end in
 * test/broker-security.test.ts (verification, refused certificates, client certificates).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { Socket } from 'node:net';
import { directTarget, makeClient, openStream } from '../agent/mqtt/direct-client.js';
import { useMosquitto } from './helpers/mosquitto.js';

test('TCP and TLS URLs are opened directly, with mqtt.js\'s default ports and a bare IPv6 host', () => {
  assert.deepEqual(directTarget('mqtt://broker.lan', {}), { tls: false, host: 'broker.lan', port: 1883 });
  assert.deepEqual(directTarget('tcp://10.0.0.2:1884', {}), { tls: false, host: '10.0.0.2', port: 1884 });
  assert.deepEqual(directTarget('mqtts://broker.example', {}), { tls: true, host: 'broker.example', port: 8883 });
  assert.deepEqual(directTarget('ssl://[::1]:8884', {}), { tls: true, host: '::1', port: 8884 });
});

test('WebSocket URLs, credentials or a query in the URL, and a SOCKS proxy keep mqtt.connect', () => {
  assert.equal(directTarget('ws://host:9001/mqtt', {}), undefined);
  assert.equal(directTarget('wss://host/mqtt', {}), undefined);
  assert.equal(directTarget('mqtt://user:secret@host', {}), undefined);
  assert.equal(directTarget('mqtt://host?clientId=x', {}), undefined);
  assert.equal(directTarget('mqtt://host', { MQTTJS_SOCKS_PROXY: 'socks5://proxy:1080' }), undefined);
  const sentinel = { made: 'by mqtt.connect' } as unknown as MqttClient;
  const asked: string[] = [];
  const fallback = makeClient('ws://127.0.0.1:9/mqtt', { manualConnect: true }, (url) => {
    asked.push(url);
    return sentinel;
  });
  assert.equal(fallback, sentinel);
  assert.deepEqual(asked, ['ws://127.0.0.1:9/mqtt']);
});

const mosquitto = useMosquitto();

test('a direct client connects and publishes, and the process never loads ws, socks or node:https', async () => {
  const module = fileURLToPath(new URL('../agent/mqtt/direct-client.js', import.meta.url));
  const lib = fileURLToPath(new URL('../agent/mqtt/mqtt-lib.js', import.meta.url));
  const script = `
    import { createRequire } from 'node:module';
    import { makeClient } from ${JSON.stringify(module)};
    import { mqtt } from ${JSON.stringify(lib)};
    const client = makeClient(${JSON.stringify(mosquitto.broker.url)}, { manualConnect: true, reconnectPeriod: 0, clientId: 'direct-test' }, mqtt.connect);
    client.connect();
    await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
    await client.publishAsync('direct/test', 'x', { qos: 1 });
    await client.endAsync();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify({ loaded, https: process.moduleLoadList.filter((m) => /NativeModule (https|tls)$/.test(m)) }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
  const { loaded, https } = JSON.parse(stdout) as { loaded: string[]; https: string[] };
  assert.ok(loaded.some((path) => path.includes('/mqtt/build/lib/client.js')), 'mqtt.js\'s client is used');
  assert.deepEqual(loaded.filter((path) => /\/node_modules\/(ws|socks)\//.test(path) || /\/lib\/connect\/(ws|tcp|tls|socks)\.js$/.test(path)), []);
  assert.deepEqual(https, []);
});

test('both sockets have Nagle\'s algorithm off, so a QoS 1 reading is not held back behind a tick\'s QoS 0 write', async (t) => {
  // setNoDelay is Socket's (a TLSSocket is one); recorded per socket, as called before connecting.
  const calls = new Map<Socket, boolean[]>();
  const original = Socket.prototype.setNoDelay;
  t.after(() => {
    Socket.prototype.setNoDelay = original;
  });
  Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
    calls.set(this, [...(calls.get(this) ?? []), noDelay ?? true]);
    return original.call(this, noDelay);
  };
  const client = { emit: () => true } as unknown as MqttClient;
  const tcp = openStream({ tls: false, host: '127.0.0.1', port: mosquitto.broker.port }, {}, client) as Socket;
  await new Promise((resolve) => tcp.once('connect', resolve));
  // A TLS connection to a plain listener fails its handshake: what matters is how the socket was made.
  const tls = openStream({ tls: true, host: '127.0.0.1', port: mosquitto.broker.port }, { rejectUnauthorized: false }, client) as Socket;
  tls.on('error', () => undefined);
  try {
    assert.deepEqual(calls.get(tcp), [true], 'TCP');
    assert.deepEqual(calls.get(tls), [true], 'TLS');
  } finally {
    tcp.destroy();
    tls.destroy();
  }
});
