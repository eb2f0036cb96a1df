/**
 * TEST SUPPORT ONLY (not exported from the package, so it may use node:*): a TSA that is not ours —
 * `openssl ts -reply` behind a tiny HTTP wrapper — so tests of time-stamped signatures get their stamps from
 * an outside referee. Its certificate comes from the test hierarchy (critical EKU timeStamping only).
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { oid } from '../../oids.ts';
import { toPem } from '../../encoding.ts';
import { makeCert, KU, type TestCert } from '../../path/testing/ca.ts';
import { tempDir, type TempDir } from '../../path/testing/openssl.ts';
import type { TsaTransport } from '../index.ts';
import { httpTsaTransport } from '../http.ts';

const run = promisify(execFile);

export const OPENSSL_TSA_POLICY = '1.2.398.3.3.2.6.99';

export interface OpensslTsa {
  url: string;
  certificate: TestCert;
  /** POSTs to the wrapper over HTTP, as a client would. */
  transport: TsaTransport;
  /** Queries answered so far. */
  answered(): number;
  /** The `openssl ts -reply -config` file it answers with (a benchmark's baseline runs openssl ts on it directly). */
  configFile: string;
  close(): Promise<void>;
}

export async function makeTsaCertificate(issuer: TestCert, options: { notBefore?: Date; notAfter?: Date; subject?: string; extraExtensions?: x509.Extension[] } = {}): Promise<TestCert> {
  return makeCert({
    subject: options.subject ?? 'CN=Qoltanba Test TSA, O=Qoltanba, C=KZ',
    issuer,
    keyUsage: KU.digitalSignature | KU.nonRepudiation,
    extraExtensions: [new x509.ExtendedKeyUsageExtension([oid.ekuTimeStamping], true), ...(options.extraExtensions ?? [])],
    notBefore: options.notBefore,
    notAfter: options.notAfter,
  });
}

async function pkcs8Pem(cert: TestCert): Promise<string> {
  const der = new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', cert.keys.privateKey));
  return toPem('PRIVATE KEY', der);
}

/** Starts `openssl ts -reply` behind HTTP on 127.0.0.1 with this TSA certificate and the CA chain above it. */
export async function startOpensslTsa(tsa: TestCert, chain: readonly TestCert[], options: { hash?: string } = {}): Promise<OpensslTsa> {
  const dir: TempDir = tempDir();
  dir.file('tsa.pem', tsa.pem);
  dir.file('tsa.key', await pkcs8Pem(tsa));
  dir.file('chain.pem', chain.map((c) => c.pem).join(''));
  dir.file('serial', '01\n');
  const config = dir.file(
    'tsa.cnf',
    [
      '[ tsa ]',
      'default_tsa = tsa_section',
      '[ tsa_section ]',
      `dir = ${dir.path('')}`,
      `serial = ${dir.path('serial')}`,
      'crypto_device = builtin',
      `signer_cert = ${dir.path('tsa.pem')}`,
      `certs = ${dir.path('chain.pem')}`,
      `signer_key = ${dir.path('tsa.key')}`,
      `signer_digest = ${options.hash ?? 'sha256'}`,
      `default_policy = ${OPENSSL_TSA_POLICY}`,
      'other_policies = 1.2.398.3.3.2.6.98',
      'digests = sha1, sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = yes',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  let answered = 0;
  let sequence = 0;
  // One openssl at a time: it increments the serial file, which is not safe to share.
  let queue: Promise<void> = Promise.resolve();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = ++sequence;
      const query = dir.file(`q${n}.tsq`, Buffer.concat(chunks));
      queue = queue.then(async () => {
        try {
          await run('openssl', ['ts', '-reply', '-config', config, '-queryfile', query, '-out', dir.path(`r${n}.tsr`)]);
          answered++;
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(dir.read(`r${n}.tsr`));
        } catch (e) {
          res.writeHead(500).end(String((e as Error).message));
        }
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsp`;
  return {
    url,
    certificate: tsa,
    transport: httpTsaTransport(url),
    answered: () => answered,
    configFile: config,
    async close() {
      server.close();
      await once(server, 'close');
      dir.remove();
    },
  };
}
