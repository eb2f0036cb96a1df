/**
 * TSAs for the agent's tests. A good one is `openssl ts -reply` behind a tiny HTTP wrapper (pki's test support:
 * a TSA that is not ours, its certificate under a throwaway root with critical EKU timeStamping only). The
 * broken ones answer what a TSA must never answer: garbage, or a real stamp over other data.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeHierarchy, makeTsaCertificate, startOpensslTsa, type OpensslTsa } from '@qoltanba/pki/testing';

const run = promisify(execFile);

export interface TestTsa {
  url: string;
  /** PEM file with the TSA's issuing CA and root, for `openssl ts -verify -CAfile`. */
  caFile: string;
  /** The TSA's own certificate (PEM file), for `openssl ts -verify -untrusted`. */
  certFile: string;
  answered(): number;
  /** Its `openssl ts -reply -config` file (for a baseline that runs openssl ts itself). */
  configFile: string;
  close(): Promise<void>;
}

export async function startTestTsa(): Promise<TestTsa> {
  const { root, ca } = await makeHierarchy();
  const cert = await makeTsaCertificate(ca, { notBefore: new Date(Date.now() - 86_400_000) });
  const tsa: OpensslTsa = await startOpensslTsa(cert, [ca, root]);
  const dir = await mkdtemp(join(tmpdir(), 'qt-test-tsa-'));
  const caFile = join(dir, 'tsa-ca.pem');
  const certFile = join(dir, 'tsa.pem');
  await writeFile(caFile, `${ca.pem}${root.pem}`);
  await writeFile(certFile, cert.pem);
  return {
    url: tsa.url,
    caFile,
    certFile,
    answered: tsa.answered,
    configFile: tsa.configFile,
    async close() {
      await tsa.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An HTTP "TSA" answering each query with what `answer` makes of it. */
async function fakeTsa(answer: (query: Buffer) => Promise<{ status: number; body: Buffer }>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answer(Buffer.concat(chunks)).then(
        (a) => res.writeHead(a.status, { 'content-type': 'application/timestamp-reply' }).end(a.body),
        () => res.writeHead(500).end(),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsp`,
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** 200 OK with bytes that are no TimeStampResp. */
export function startGarbageTsa(): Promise<{ url: string; close(): Promise<void> }> {
  return fakeTsa(async () => ({ status: 200, body: Buffer.from('<html>Service temporarily unavailable</html>') }));
}

/**
 * A real TSA's real stamp — but over other data than it was asked to stamp: the query that arrives is
 * replaced by one for other bytes (and so another nonce) before the real TSA answers it.
 */
export async function startWrongImprintTsa(real: TestTsa): Promise<{ url: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'qt-wrong-tsa-'));
  const other = join(dir, 'other.bin');
  await writeFile(other, 'some other document');
  const fake = await fakeTsa(async () => {
    const { stdout } = await run('openssl', ['ts', '-query', '-data', other, '-sha256', '-cert'], { encoding: 'buffer' });
    const res = await fetch(real.url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: stdout });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  });
  return {
    url: fake.url,
    async close() {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `openssl ts -verify` of a signer's stamp: the token must cover exactly that signature value. */
export async function opensslTsVerify(tokenDer: Uint8Array, signatureValue: Uint8Array, tsa: TestTsa): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qt-ts-verify-'));
  try {
    await writeFile(join(dir, 'token.der'), tokenDer);
    await writeFile(join(dir, 'signature.bin'), signatureValue);
    const { stdout, stderr } = await run('openssl', ['ts', '-verify', '-token_in', '-in', join(dir, 'token.der'), '-data', join(dir, 'signature.bin'), '-CAfile', tsa.caFile, '-untrusted', tsa.certFile]);
    return `${stdout}${stderr}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

