/**
 * The broker-security keys: files that cannot be used are configuration errors (exit 78) naming
 * the key and the path; the password comes from a file or the environment and is never printed.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { brokerAuthOptions, brokerAuthWarnings, explainBrokerError } from '../agent/mqtt/broker-auth.js';
import { ConfigError, type ConfigProblem } from '../agent/config/config-error.js';
import { loadConfig } from '../agent/config/load-config.js';
import { runCli, writeTempConfig } from './helpers/agent-process.js';
import { tempDir } from './helpers/temp-dir.js';

const dir = tempDir('auth');
const pem = join(dir, 'ca.crt');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const notPem = join(dir, 'ca.der');
writeFileSync(notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
const passwordFile = join(dir, 'mqtt-password');
writeFileSync(passwordFile, 's3cret-from-file\nignored second line\n');

const base = (mqtt: Record<string, unknown>): string => JSON.stringify({ deviceId: 'd1', sensors: [{ name: 's1' }], mqtt });

function problems(mqtt: Record<string, unknown>, env: Record<string, string> = {}): ConfigProblem[] {
  try {
    loadConfig({ text: base(mqtt), env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

test('missing, unreadable and non-PEM files are problems naming the key and the path', () => {
  const missing = join(dir, 'nope.crt');
  const found = problems({ url: 'mqtts://broker:8883', tls: { ca: missing, cert: notPem, key: pem }, username: 'u', passwordFile: join(dir, 'no-password') });
  const at = (path: string): ConfigProblem => found.find((p) => p.path === path) ?? assert.fail(`no problem at ${path}: ${JSON.stringify(found)}`);
  assert.match(at('mqtt.tls.ca').message, /nope\.crt.*file not found/);
  assert.match(at('mqtt.tls.cert').message, /ca\.der.*not a PEM file/);
  assert.match(at('mqtt.tls.cert').hint, /openssl x509 -inform der/);
  assert.match(at('mqtt.passwordFile').message, /no-password.*file not found/);
  assert.equal(found.length, 3);
});

test('cert needs key, TLS files need an encrypted URL, a password needs a user name', () => {
  const found = problems({ url: 'mqtt://broker:1883', tls: { ca: pem, cert: pem } }, { EDGE_AGENT_MQTT_PASSWORD: 'pw' });
  const paths = found.map((p) => p.path).sort();
  assert.deepEqual(paths, ['mqtt.tls.key', 'mqtt.url', 'mqtt.username']);
  assert.match(found.find((p) => p.path === 'mqtt.url')!.hint, /mqtts:\/\//);
});

test('the password comes from passwordFile (first line) or the environment', () => {
  const fromFile = loadConfig({ text: base({ url: 'mqtts://broker:8883', username: 'drone01', passwordFile, tls: { ca: pem } }), env: {} });
  const options = brokerAuthOptions(fromFile.mqtt);
  assert.equal(options.password, 's3cret-from-file');
  assert.equal(options.username, 'drone01');
  assert.equal(options.rejectUnauthorized, true, 'verification is on by default');
  assert.equal(options.reconnectOnConnackError, true, 'a refused CONNACK is retried');
  assert.match(String(options.ca), /BEGIN CERTIFICATE/);

  const fromEnv = loadConfig({ text: base({ url: 'mqtts://broker:8883', username: 'drone01' }), env: { EDGE_AGENT_MQTT_PASSWORD: 'env-secret' } });
  assert.equal(brokerAuthOptions(fromEnv.mqtt).password, 'env-secret');
});

test('turning verification off, or a password over plain MQTT, is warned about', () => {
  const insecure = loadConfig({ text: base({ url: 'mqtts://broker:8883', tls: { insecureSkipVerify: true } }), env: {} });
  assert.equal(brokerAuthOptions(insecure.mqtt).rejectUnauthorized, false);
  assert.match(brokerAuthWarnings(insecure.mqtt).join('\n'), /VERIFICATION IS OFF/);
  const plain = loadConfig({ text: base({ url: 'mqtt://broker:1883', username: 'u' }), env: { EDGE_AGENT_MQTT_PASSWORD: 'pw' } });
  assert.match(brokerAuthWarnings(plain.mqtt).join('\n'), /unencrypted/);
  const safe = loadConfig({ text: base({ url: 'mqtts://broker:8883', username: 'u' }), env: { EDGE_AGENT_MQTT_PASSWORD: 'pw' } });
  assert.deepEqual(brokerAuthWarnings(safe.mqtt), []);
});

test('broker errors are explained: refused credentials, untrusted certificates', () => {
  const refused = Object.assign(new Error('Connection refused: Not authorized'), { code: 135 });
  assert.equal(explainBrokerError(refused).kind, 'auth');
  const altname = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  assert.match(explainBrokerError(altname).hint ?? '', /another host name/);
  assert.equal(explainBrokerError(new Error('connect ECONNREFUSED')).kind, 'other');
});

test('edge-agent run exits 78 on a missing CA file, naming the key and the path', () => {
  const file = writeTempConfig({ deviceId: 'd1', i2c: { simulated: true }, sensors: [{ name: 's1' }], mqtt: { url: 'mqtts://127.0.0.1:1', tls: { ca: '/etc/edge-agent/missing-ca.crt' } } });
  const result = runCli(['run', '--config', file]);
  assert.equal(result.status, 78, result.stderr);
  assert.match(result.stderr, /mqtt\.tls\.ca: "\/etc\/edge-agent\/missing-ca\.crt": file not found/);
});
