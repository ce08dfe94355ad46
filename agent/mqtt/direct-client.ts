/**
 * An mqtt.js client for a TCP or TLS broker URL without `mqtt.connect`. On its first call,
 * `mqtt.connect` fills a table of every transport it knows, and so loads the WebSocket builder (the
 * `ws` package and `node:https`), the SOCKS proxy client (`socks`, behind its TCP builder too) and
 * `node:tls`, for a broker at `mqtt://`. The agent's bench measured what that costs a board at
 * start: module loading before the first CONNECT (docs/performance.md, "Where the memory goes").
 *
 * So for `mqtt:`/`tcp:` and `mqtts:`/`ssl:` the session builds mqtt.js's own `MqttClient` with a
 * stream builder that opens the socket as mqtt.js's tcp and tls builders do (same defaults: ports
 * 1883 and 8883, the TLS server name from the host unless it is an IP address, a TLS connection
 * that is not authorized refused), and loads `node:tls` only for a TLS URL. Everything else keeps
 * `mqtt.connect`: WebSocket URLs, credentials in the URL (which `mqtt.connect` turns into
 * username/password), and a SOCKS proxy from MQTTJS_SOCKS_PROXY.
 */
import { createRequire } from 'node:module';
import { createConnection, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IClientOptions, MqttClient } from 'mqtt';

const require = createRequire(import.meta.url);

/** What a direct connection needs from the URL; undefined when `mqtt.connect` must handle it. */
export interface DirectTarget {
  tls: boolean;
  host: string;
  port: number;
}

const PLAIN = ['mqtt:', 'tcp:'];
const SECURE = ['mqtts:', 'ssl:'];

export function directTarget(url: string, env: NodeJS.ProcessEnv = process.env): DirectTarget | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const tls = SECURE.includes(parsed.protocol);
  if (!tls && !PLAIN.includes(parsed.protocol)) return undefined;
  if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '') return undefined;
  if (env.MQTTJS_SOCKS_PROXY) return undefined;
  // WHATWG URLs keep an IPv6 host in brackets; a socket wants it bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  return { tls, host, port: parsed.port === '' ? (tls ? 8883 : 1883) : Number(parsed.port) };
}

/**
 * The stream for one connection attempt (mqtt.js calls it again at every reconnect), with Nagle's
 * algorithm off (TCP_NODELAY; mqtt.js's own builders leave it on).
 *
 * Why: a tick's writes are already whole (one buffer for its QoS 0 readings, one corked write for
 * mqtt.js's packets), and Nagle's algorithm (RFC 896) holds a small write back while an earlier one
 * is unacknowledged. The broker acknowledges a QoS 0 write with a bare TCP ACK, which it delays (RFC
 * 1122 §4.2.3.2; Linux waits 40 ms), so a QoS 1 reading written just after a tick's QoS 0 ones sat
 * 40 ms in the board's kernel, and its PUBACK woke the agent once more every tick: seen with strace
 * on the Raspberry Pi config at 1 Hz, where turning Nagle off took the wake-ups from 4.2 to 3.3–3.5
 * a second and the PUBACK from 40 ms to under one (docs/performance.md).
 */
export function openStream(target: DirectTarget, options: IClientOptions, client: MqttClient): Duplex {
  if (!target.tls) return createConnection({ host: target.host, port: target.port }).setNoDelay(true);
  const tls = require('node:tls') as typeof import('node:tls');
  const rejectUnauthorized = options.rejectUnauthorized !== false;
  const socket = tls.connect({
    host: target.host,
    port: target.port,
    ...(isIP(target.host) === 0 ? { servername: options.servername ?? target.host } : options.servername ? { servername: options.servername } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.cert !== undefined ? { cert: options.cert } : {}),
    ...(options.key !== undefined ? { key: options.key } : {}),
    rejectUnauthorized,
  });
  socket.setNoDelay(true);
  // As mqtt.js's tls builder: a handshake error before the connection is up goes to the client
  // (its 'error' event, which the session explains) and ends the socket.
  const early = (error: Error): void => {
    if (rejectUnauthorized) client.emit('error', error);
    socket.end();
  };
  socket.on('error', early);
  socket.on('secureConnect', () => {
    if (rejectUnauthorized && !socket.authorized) socket.emit('error', new Error('TLS not authorized'));
    else socket.removeListener('error', early);
  });
  return socket;
}

/**
 * A client for `url` with `options`, not yet connected (`manualConnect` is the session's); through
 * `mqtt.connect` when the URL needs it (above).
 */
export function makeClient(url: string, options: IClientOptions, connect: (url: string, options: IClientOptions) => MqttClient): MqttClient {
  const target = directTarget(url);
  if (!target) return connect(url, options);
  const { default: Client } = require('mqtt/lib/client') as { default: new (builder: (client: MqttClient) => Duplex, options: IClientOptions) => MqttClient };
  const client = new Client((c) => openStream(target, options, c), { ...options, protocol: target.tls ? 'mqtts' : 'mqtt', host: target.host, port: target.port });
  // mqtt.connect adds the same: an 'error' with no listener would throw before the session's is on.
  client.on('error', () => undefined);
  return client;
}
