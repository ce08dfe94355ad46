/**
 * The broker-security keys checked together, at load time, so a service with a missing CA file or
 * an unreadable password file stops with exit 78 (no restart loop under RestartPreventExitStatus=78)
 * instead of failing on every reconnect. The files are read here only to prove they are readable;
 * agent/mqtt/broker-auth.ts reads them again when it connects.
 */
import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './config-error.js';
import type { CrossFieldRule } from './schema.js';
import { brokerUrls, TLS_SCHEMES } from './formats.js';

type ReadFile = (path: string) => string;
const readText: ReadFile = (path) => readFileSync(path, 'utf8');

/** Why a file cannot be read, in words, with what to do (the service runs as user edge-agent). */
function unreadable(path: string, error: unknown): { message: string; hint: string } {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const shown = JSON.stringify(path);
  if (code === 'ENOENT') return { message: `${shown}: file not found`, hint: 'check the path; relative paths start at the working directory, which is / under systemd' };
  if (code === 'EACCES') return { message: `${shown}: permission denied`, hint: 'make it readable by the service user: chown root:edge-agent FILE && chmod 0640 FILE' };
  if (code === 'EISDIR') return { message: `${shown} is a directory`, hint: 'give the path of the file itself' };
  return { message: `${shown}: cannot be read (${typeof code === 'string' ? code : 'unknown error'})`, hint: 'check the path and its permissions' };
}

export function brokerAuthProblems(mqtt: { url: string | string[]; username: string; password: string; passwordFile: string; tls: { ca: string; cert: string; key: string } }, bad: ReadonlySet<string>, read: ReadFile = readText): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const pem = (key: 'ca' | 'cert' | 'key', what: string): void => {
    const path = mqtt.tls[key];
    const at = `mqtt.tls.${key}`;
    if (path === '' || bad.has(at)) return;
    try {
      if (!read(path).includes('-----BEGIN ')) out.push({ path: at, message: `${JSON.stringify(path)} is not a PEM file`, hint: `give the ${what} in PEM form (text starting with -----BEGIN); convert DER with openssl x509 -inform der -in FILE -out FILE.pem` });
    } catch (error) {
      out.push({ path: at, ...unreadable(path, error) });
    }
  };
  pem('ca', 'CA certificate');
  pem('cert', 'client certificate');
  pem('key', 'private key');

  const { cert, key } = mqtt.tls;
  if ((cert === '') !== (key === '')) {
    const [missing, given] = cert === '' ? ['cert', 'key'] : ['key', 'cert'];
    out.push({ path: `mqtt.tls.${missing}`, message: `mqtt.tls.${given} is set but mqtt.tls.${missing} is not`, hint: 'mutual TLS needs both the client certificate and its private key' });
  }

  const usesTls = mqtt.tls.ca !== '' || cert !== '' || key !== '';
  if (usesTls && ![...bad].some((p) => p === 'mqtt.url' || p.startsWith('mqtt.url['))) {
    const urls = brokerUrls(mqtt.url);
    urls.forEach((url, i) => {
      let scheme = '';
      try {
        scheme = new URL(url).protocol;
      } catch {
        // the url's own problem is reported by its format
      }
      if (scheme !== '' && !TLS_SCHEMES.includes(scheme)) {
        out.push({ path: urls.length > 1 ? `mqtt.url[${i}]` : 'mqtt.url', message: `TLS files are set but the URL's scheme ${scheme} is not encrypted`, hint: 'use mqtts://HOST:8883 (or wss://) so the certificates are used' });
      }
    });
  }

  let hasPassword = mqtt.password !== '';
  if (mqtt.passwordFile !== '' && !bad.has('mqtt.passwordFile')) {
    try {
      const first = read(mqtt.passwordFile).split(/\r?\n/)[0] ?? '';
      if (first === '') out.push({ path: 'mqtt.passwordFile', message: `${JSON.stringify(mqtt.passwordFile)} is empty`, hint: 'write the password on its first line, e.g. printf %s "$PASSWORD" > FILE' });
      hasPassword = true;
    } catch (error) {
      out.push({ path: 'mqtt.passwordFile', ...unreadable(mqtt.passwordFile, error) });
    }
  }
  if (hasPassword && mqtt.username === '' && !bad.has('mqtt.username')) {
    out.push({ path: 'mqtt.username', message: 'a password is set but no user name', hint: 'set mqtt.username (or EDGE_AGENT_MQTT_USERNAME): MQTT sends a password only with a user name' });
  }
  return out;
}

export const BROKER_AUTH_RULE: CrossFieldRule = {
  doc: 'mqtt.tls.ca/cert/key and mqtt.passwordFile, when set, are readable files (PEM for the TLS ones); cert and key come together; TLS files need an mqtts:// (or wss://) URL; a password needs a username.',
  check: ({ top, bad }) => brokerAuthProblems(top.mqtt, bad),
};
