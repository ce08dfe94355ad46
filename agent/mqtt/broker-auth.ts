/**
 * The security part of the broker connection: the config's TLS files and credentials turned into
 * mqtt.js options, and the broker's refusals turned into words a person can act on.
 *
 * Server certificate and host name are verified unless `mqtt.tls.insecureSkipVerify` says
 * otherwise (Node's tls.connect does both; mqtt.js passes the URL's host as the SNI/servername
 * unless it is an IP address, and Node then checks the IP against the certificate's IP SANs).
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { brokerUrls, TLS_SCHEMES } from '../config/formats.js';
import type { MqttConfig } from '../config/types.js';

export type BrokerAuthOptions = Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'username' | 'password' | 'reconnectOnConnackError'>;

type ReadFile = (path: string) => Buffer;
const readBytes: ReadFile = (path) => readFileSync(path);

/** The password: the first line of passwordFile, else mqtt.password (EDGE_AGENT_MQTT_PASSWORD). */
export function resolvePassword(config: Pick<MqttConfig, 'password' | 'passwordFile'>, read: ReadFile = readBytes): string {
  if (config.passwordFile !== '') return read(config.passwordFile).toString('utf8').split(/\r?\n/)[0] ?? '';
  return config.password;
}

export function brokerAuthOptions(config: MqttConfig, read: ReadFile = readBytes): BrokerAuthOptions {
  const { tls } = config;
  const password = resolvePassword(config, read);
  return {
    ...(tls.ca !== '' ? { ca: read(tls.ca) } : {}),
    ...(tls.cert !== '' ? { cert: read(tls.cert) } : {}),
    ...(tls.key !== '' ? { key: read(tls.key) } : {}),
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(config.username !== '' ? { username: config.username } : {}),
    ...(password !== '' ? { password } : {}),
    // mqtt.js 5 stops reconnecting after a refused CONNACK unless told otherwise
    // (handlers/connack.js sets reconnectSuppressed): a password fixed on the broker side would
    // then never be noticed. Retrying waits reconnectPeriodMs between attempts, no tight loop.
    reconnectOnConnackError: true,
  };
}

/** Warnings to log at every start: things that weaken the connection's security. */
export function brokerAuthWarnings(config: MqttConfig): string[] {
  const out: string[] = [];
  if (config.tls.insecureSkipVerify) {
    out.push('TLS VERIFICATION IS OFF (mqtt.tls.insecureSkipVerify): any server can pose as the broker and read the credentials; use it on a test bench only');
  }
  const urls = brokerUrls(config.url).flatMap((text) => {
    try {
      return [new URL(text)];
    } catch {
      return [];
    }
  });
  const plaintext = urls.some((url) => !TLS_SCHEMES.includes(url.protocol));
  const hasPassword = config.password !== '' || config.passwordFile !== '' || urls.some((url) => url.password !== '');
  if (plaintext && hasPassword) out.push('the broker password travels unencrypted: use an mqtts:// URL');
  return out;
}

/** CONNACK codes that mean "your credentials or rights", MQTT 3.1.1 (§3.2.2.3) and MQTT 5 (§3.2.2.2). */
const AUTH_REFUSALS: Record<number, string> = {
  4: 'check mqtt.username and the password (passwordFile / EDGE_AGENT_MQTT_PASSWORD) against the broker\'s password_file',
  // Mosquitto 2 answers a wrong password with 5 / 135 "not authorized", not 4 / 134.
  5: 'check mqtt.username and the password (passwordFile / EDGE_AGENT_MQTT_PASSWORD) against the broker\'s password_file; or the broker refuses anonymous clients',
  134: 'check mqtt.username and the password (passwordFile / EDGE_AGENT_MQTT_PASSWORD) against the broker\'s password_file',
  135: 'check mqtt.username and the password (passwordFile / EDGE_AGENT_MQTT_PASSWORD) against the broker\'s password_file; or the broker refuses anonymous clients',
  138: 'the broker has banned this client',
  140: 'the broker wants another authentication method',
};

/** Node's TLS verification failures (error.code) and what usually causes them. */
const TLS_FAILURES: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'the broker\'s certificate is not signed by a CA we trust: set mqtt.tls.ca to the private CA\'s certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the broker presents a self-signed certificate: set mqtt.tls.ca to it, or better issue one from a private CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the broker\'s certificate is not signed by a CA we trust: set mqtt.tls.ca to the CA that signed it',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the broker\'s certificate is not signed by a CA we trust: set mqtt.tls.ca to the CA that signed it',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the broker\'s certificate is for another host name: connect by a name in its subjectAltName, or reissue it with this one',
  CERT_HAS_EXPIRED: 'the broker\'s certificate has expired (or the board\'s clock is wrong: check timedatectl)',
  CERT_NOT_YET_VALID: 'the broker\'s certificate is not valid yet: is the board\'s clock set? (timedatectl; a Pi has no RTC)',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate: set mqtt.tls.cert and mqtt.tls.key',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the broker rejected our client certificate: is it signed by the CA in the broker\'s cafile?',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the broker does not trust the CA of our client certificate',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the port does not speak TLS: is it the broker\'s plain listener? (mqtts usually 8883)',
};

/**
 * The broker does not speak the protocol version we asked for: CONNACK return code 1 "unacceptable
 * protocol level" (MQTT 3.1.1 §3.2.2.3, what NATS 2.9 and aedes answer an MQTT 5 CONNECT with) or
 * reason code 0x84 "Unsupported Protocol Version" (MQTT 5.0 §3.2.2.2).
 */
export const PROTOCOL_REFUSALS = new Set([1, 0x84]);
export const PROTOCOL_HINT = 'the broker does not speak MQTT 5: set mqtt.protocolVersion to 4 (MQTT 3.1.1), which every broker speaks, or to "auto"';

export interface BrokerErrorExplanation {
  /** auth: credentials/rights refused in the CONNACK; tls: certificate trouble; protocol: MQTT version refused; other. */
  kind: 'auth' | 'tls' | 'protocol' | 'other';
  hint?: string;
}

/** What a connection error from mqtt.js means, for the log line. */
export function explainBrokerError(error: Error & { code?: unknown }): BrokerErrorExplanation {
  const code = error.code;
  if (typeof code === 'number' && PROTOCOL_REFUSALS.has(code)) return { kind: 'protocol', hint: PROTOCOL_HINT };
  if (typeof code === 'number' && AUTH_REFUSALS[code] !== undefined) return { kind: 'auth', hint: AUTH_REFUSALS[code] };
  if (typeof code === 'string' && TLS_FAILURES[code] !== undefined) return { kind: 'tls', hint: TLS_FAILURES[code] };
  if (typeof code === 'string' && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /CERT/.test(code))) return { kind: 'tls', hint: 'a TLS failure: check mqtt.tls.* against the broker\'s listener settings' };
  return { kind: 'other' };
}
