/**
 * A private CA and certificates made with openssl at test time (never committed): a broker
 * certificate for 127.0.0.1/localhost, one for another host name, a client certificate, and a
 * second CA nobody trusts. EC P-256 keys: quick to make, and what a Pi handles well.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

export interface Pki {
  dir: string;
  ca: string;
  server: { cert: string; key: string };
  /** Signed by the trusted CA, but only for the name broker.example (not 127.0.0.1). */
  wrongHost: { cert: string; key: string };
  client: { cert: string; key: string };
  /** A second CA and a 127.0.0.1 server certificate from it: valid, but not ours. */
  otherCa: string;
  untrustedServer: { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], dir);
  return { cert, key };
}

function issue(dir: string, ca: { cert: string; key: string }, name: string, cn: string, extensions: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${extensions}\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], dir);
  return { cert, key };
}

export function makePki(): Pki {
  const dir = tempDir('pki');
  const ca = makeCa(dir, 'edge-agent-test-ca');
  const other = makeCa(dir, 'somebody-elses-ca');
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth';
  const pki: Pki = {
    dir,
    ca: ca.cert,
    server: issue(dir, ca, 'server', 'localhost', serverExt),
    wrongHost: issue(dir, ca, 'wrong-host', 'broker.example', 'subjectAltName=DNS:broker.example\nextendedKeyUsage=serverAuth'),
    client: issue(dir, ca, 'client', 'drone01', 'extendedKeyUsage=clientAuth'),
    otherCa: other.cert,
    untrustedServer: issue(dir, other, 'untrusted-server', 'localhost', serverExt),
  };
  shareWithBroker(dir);
  return pki;
}

/**
 * Mosquitto started as root drops to the `mosquitto` user before reading its files, so the test
 * files must be readable by others (test keys only: a real broker's keys stay 0600/0640).
 */
export function shareWithBroker(dir: string): void {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) chmodSync(join(dir, name), 0o644);
}
