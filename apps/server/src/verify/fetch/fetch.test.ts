/**
 * The revocation fetcher on its own, against real HTTP servers on ephemeral ports: what is cached and for
 * how long (CRL until nextUpdate, OCSP until nextUpdate or the configured time, failures briefly), one
 * fetch for concurrent asks, the size and time limits, forbidden addresses (literal and resolved), redirects.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { isQtError, parseOcspResponse } from '@qoltanba/pki';
import { fixturePath, nca, readFixture } from '../../../../../test/support/fixtures.ts';
import { resolveVerifyOptions, type VerifyOptions } from '../options.ts';
import { RevocationFetcher } from './source.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let handler: Handler = (_req, res) => void res.writeHead(404).end();
let server: http.Server;
let base: string;
const hits: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function fetcher(fetch: VerifyOptions['fetch'] = {}, now: () => number = Date.now): RevocationFetcher {
  return new RevocationFetcher(resolveVerifyOptions({ fetch }).fetch, now);
}

const rsaCrl = readFileSync(fixturePath(...nca.rsaCrl));
const crlNextUpdate = Date.parse('2022-09-25T04:18:29Z');

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e) => isQtError(e) && pattern.test(e.message));
}

test('a CRL is kept until its nextUpdate; concurrent asks share one fetch; after nextUpdate it is fetched again', async () => {
  handler = (_req, res) => void setTimeout(() => res.writeHead(200).end(rsaCrl), 50);
  let clock = crlNextUpdate - 3_600_000;
  const f = fetcher({}, () => clock);
  const source = f.forRequest();
  hits.length = 0;
  const [a, b] = await Promise.all([source.fetchCrl(`${base}/a.crl`), source.fetchCrl(`${base}/a.crl`)]);
  assert.equal(a.length, rsaCrl.length);
  assert.equal(b, a);
  await source.fetchCrl(`${base}/a.crl`);
  assert.deepEqual(hits, ['/a.crl'], 'one fetch for three asks');
  clock = crlNextUpdate + 1;
  await f.forRequest().fetchCrl(`${base}/a.crl`);
  assert.deepEqual(hits, ['/a.crl', '/a.crl']);
  assert.deepEqual(f.stats, { fetches: 2, cacheHits: 2 });
});

test('an OCSP answer without nextUpdate is kept for ocspCacheSeconds only; a failure for failureCacheSeconds', async () => {
  const answer = readFileSync(fixturePath(...nca.ocspIndividualSign2004));
  assert.equal(parseOcspResponse(new Uint8Array(answer)).basic?.responses[0]?.nextUpdate, undefined);
  handler = (_req, res) => void res.writeHead(200).end(answer);
  let clock = Date.now();
  const f = fetcher({ ocspCacheSeconds: 60, failureCacheSeconds: 5 }, () => clock);
  const { pairKeyWithCertificate, readPkcs12 } = await import('@qoltanba/pki');
  const { certificate } = pairKeyWithCertificate(await readPkcs12(readFixture(...nca.validSignKey), 'Qwerty12'));
  const request = { certificate, issuer: readFixture(...nca.rsaCa) };
  hits.length = 0;
  await f.forRequest().fetchOcsp(`${base}/ocsp`, request);
  clock += 59_000;
  await f.forRequest().fetchOcsp(`${base}/ocsp`, request);
  assert.equal(hits.length, 1);
  clock += 2_000;
  await f.forRequest().fetchOcsp(`${base}/ocsp`, request);
  assert.equal(hits.length, 2);

  handler = (_req, res) => void res.writeHead(500).end();
  await rejects(f.forRequest().fetchCrl(`${base}/down.crl`), /answered HTTP 500/);
  handler = (_req, res) => void res.writeHead(200).end(rsaCrl);
  await rejects(f.forRequest().fetchCrl(`${base}/down.crl`), /answered HTTP 500/);
  assert.equal(hits.filter((h) => h === '/down.crl').length, 1, 'the failure is remembered, the server not asked again');
  clock += 6_000;
  assert.equal((await f.forRequest().fetchCrl(`${base}/down.crl`)).length, rsaCrl.length);
});

test('size and time limits: a declared or streamed body past the limit, and a server that never answers, are cut off', async () => {
  const f = fetcher({ maxCrlBytes: 1000, timeoutMs: 300, failureCacheSeconds: 0 });
  handler = (_req, res) => void res.writeHead(200).end(rsaCrl);
  await rejects(f.forRequest().fetchCrl(`${base}/big.crl`), /larger than the 1000 bytes allowed/);
  handler = (_req, res) => {
    res.writeHead(200);
    res.write(Buffer.alloc(600));
    setTimeout(() => res.end(Buffer.alloc(600)), 20);
  };
  await rejects(f.forRequest().fetchCrl(`${base}/chunked.crl`), /larger than the 1000 bytes allowed/);
  handler = () => undefined;
  const started = Date.now();
  await rejects(f.forRequest().fetchCrl(`${base}/silent.crl`), /no complete answer within 300 ms/);
  assert.ok(Date.now() - started < 3000);
  server.closeAllConnections();
});

test('forbidden addresses are never contacted, by literal address or by a name that resolves to one; only http(s)', async () => {
  const f = fetcher({ forbid: ['127.0.0.0/8', '::1/128'], failureCacheSeconds: 0 });
  hits.length = 0;
  await rejects(f.forRequest().fetchCrl(`${base}/x.crl`), /127\.0\.0\.1 is an address the configuration forbids/);
  const port = (server.address() as AddressInfo).port;
  await rejects(f.forRequest().fetchCrl(`http://localhost:${port}/x.crl`), /localhost resolves to .*, which the configuration forbids/);
  assert.deepEqual(hits, [], 'nothing reached the server');
  await rejects(f.forRequest().fetchCrl('ldap://ldap.pki.gov.kz/cn=crl'), /only http and https/);
  await rejects(f.forRequest().fetchCrl('file:///etc/passwd'), /only http and https/);
});

test('redirects are followed a few times for GET, never for an OCSP POST; mirrors rewrite the longest matching prefix', async () => {
  handler = (req, res) => {
    if (req.url === '/moved.crl') res.writeHead(302, { location: '/final.crl' }).end();
    else if (req.url === '/loop.crl') res.writeHead(301, { location: '/loop.crl' }).end();
    else if (req.url === '/final.crl') res.writeHead(200).end(rsaCrl);
    else res.writeHead(307, { location: '/final.crl' }).end();
  };
  const f = fetcher({ failureCacheSeconds: 0, mirrors: { 'http://crl.pki.gov.kz/': `${base}/`, 'http://crl.pki.gov.kz/special/': `${base}/moved` } });
  assert.equal((await f.forRequest().fetchCrl(`${base}/moved.crl`)).length, rsaCrl.length);
  await rejects(f.forRequest().fetchCrl(`${base}/loop.crl`), /redirected more than 3 times/);
  const { pairKeyWithCertificate, readPkcs12 } = await import('@qoltanba/pki');
  const { certificate } = pairKeyWithCertificate(await readPkcs12(readFixture(...nca.validSignKey), 'Qwerty12'));
  await rejects(f.forRequest().fetchOcsp(`${base}/ocsp`, { certificate, issuer: readFixture(...nca.rsaCa) }), /OCSP POST with a redirect/);
  hits.length = 0;
  await f.forRequest().fetchCrl('http://crl.pki.gov.kz/final.crl');
  await f.forRequest().fetchCrl('http://crl.pki.gov.kz/special/.crl');
  assert.deepEqual(hits, ['/final.crl', '/moved.crl', '/final.crl']);
});
