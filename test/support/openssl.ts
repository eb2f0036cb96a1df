/**
 * TEST SUPPORT ONLY: what the browser tests ask of OpenSSL about the keys a person ended up with — the
 * .p12 file opens with the password and holds a private key, its certificate chains to the CA, and the
 * running server's OCSP responder answers for it. `work` holds root.pem, issuing.pem and chain.pem.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** A TCP port nobody listens on right now (for the agent and the server). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

/** `openssl ocsp` against the server at `url`, trusting work/chain.pem; stdout and stderr together. */
export async function opensslOcsp(work: string, url: string, certPem: string): Promise<string> {
  const file = join(work, `cert-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, certPem);
  const { stdout, stderr } = await run('openssl', ['ocsp', '-issuer', join(work, 'issuing.pem'), '-cert', file, '-url', `${url}/ocsp`, '-CAfile', join(work, 'chain.pem')]);
  return stdout + stderr;
}

/**
 * Opens a key file with `openssl pkcs12` and the password (asserting it holds a private key) and checks its
 * certificate with `openssl verify` against work/root.pem + work/issuing.pem; returns the certificate and
 * the `openssl x509 -text` of it (names in UTF-8).
 */
export async function openKeyFile(work: string, file: string, password: string): Promise<{ certPem: string; text: string }> {
  const { stdout } = await run('openssl', ['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nodes', '-clcerts']);
  assert.match(stdout, /BEGIN PRIVATE KEY/);
  const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(stdout)?.[0];
  assert.ok(certPem, `no certificate in ${file}`);
  const certFile = join(work, `cert-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(certFile, certPem);
  const verified = await run('openssl', ['verify', '-CAfile', join(work, 'root.pem'), '-untrusted', join(work, 'issuing.pem'), certFile]);
  assert.match(verified.stdout, /: OK/);
  const text = await run('openssl', ['x509', '-in', certFile, '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus']);
  return { certPem, text: text.stdout };
}
