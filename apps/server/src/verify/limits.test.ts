/**
 * A verifier answers strangers: every cost has a ceiling, each refusal has its stable code, and malformed
 * input is a 4xx, never a 5xx — in our shape and in NCANode's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { addCmsSigner, importPkcs12Key, signCms, signXml, toBase64, utf8 } from '@qoltanba/pki';
import { TEST_KEY_PASSWORD, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { verifyApp } from './testing/harness.ts';

type App = Awaited<ReturnType<typeof verifyApp>>;
let v: App;
let key: Awaited<ReturnType<typeof importPkcs12Key>>;

before(async () => {
  v = await verifyApp({
    trust: { presets: ['nca-test'] },
    revocation: { mode: 'off' },
    limits: { bodyBytes: 256 * 1024, maxCertificates: 6, maxCertificatesPerSubject: 3, maxSigners: 2, maxXmlDepth: 64, certificatesPerRequest: 3 },
  });
  key = await importPkcs12Key(readFixture(...nca.validSignKey), TEST_KEY_PASSWORD);
});
after(async () => v?.close());

async function post(url: string, payload: string | object, headers: Record<string, string> = {}) {
  const r = await v.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
  return { status: r.statusCode, body: r.json() };
}

const AT = '2021-12-01T00:00:00Z';

test('a body over the limit is 413 QT_ERR_TOO_LARGE in both shapes', async () => {
  const big = JSON.stringify({ cms: 'A'.repeat(300 * 1024) });
  const ours = await post('/api/v1/verify', big);
  assert.deepEqual([ours.status, ours.body.error.code], [413, 'QT_ERR_TOO_LARGE']);
  const theirs = await post('/cms/verify', big);
  assert.deepEqual([theirs.status, theirs.body.status, theirs.body.code], [413, 413, 'QT_ERR_TOO_LARGE']);
});

test('not JSON, the wrong media type, deep JSON nesting and missing fields are 4xx with their codes', async () => {
  const notJson = await post('/cms/verify', '{"cms": ');
  assert.deepEqual([notJson.status, notJson.body.code], [400, 'QT_ERR_INPUT_INVALID']);
  const media = await v.app.inject({ method: 'POST', url: '/api/v1/verify', payload: 'cms=MA', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(media.statusCode, 415);
  const deep = await post('/api/v1/verify', `{"certificate":"MA==","x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
  assert.ok(deep.status >= 400 && deep.status < 500, `deep nesting gave ${deep.status}`);
  const none = await post('/api/v1/verify', {});
  assert.deepEqual([none.status, none.body.error.code], [400, 'QT_ERR_INPUT_INVALID']);
  const two = await post('/api/v1/verify', { cms: 'MA==', xml: '<a/>' });
  assert.equal(two.status, 400);
  const missing = await post('/xml/verify', { revocationCheck: ['OCSP'] });
  assert.deepEqual([missing.status, missing.body.code], [400, 'QT_ERR_INPUT_INVALID']);
  const badCheck = await post('/cms/verify', { cms: 'MA==', revocationCheck: ['LDAP'] });
  assert.equal(badCheck.status, 400);
  const badB64 = await post('/api/v1/verify', { cms: 'MA==', data: '@@@' });
  assert.deepEqual([badB64.status, badB64.body.error.code], [400, 'QT_ERR_BASE64_MALFORMED']);
  const badAt = await post('/api/v1/verify', { certificate: 'MA==', at: 'yesterday' });
  assert.equal(badAt.status, 400);
});

test('too many certificates in /x509/info, in a CMS, or sharing one name are refused before any path is built', async () => {
  const cert = toBase64(readFixture(...nca.signCert));
  const many = await post('/x509/info', { certs: [cert, cert, cert, cert] });
  assert.deepEqual([many.status, many.body.code], [413, 'QT_ERR_TOO_LARGE']);

  const others = [nca.authCert, nca.ceoGostCert, nca.gostCa, nca.gost2015Ca, nca.rsaCa, nca.signCert].map((p) => readFixture(...p));
  const crowded = await signCms({ signer: key.signer, certificate: key.certificate, content: utf8('x'), chain: others });
  const r = await post('/api/v1/verify', { cms: toBase64(crowded), at: AT });
  assert.deepEqual([r.status, r.body.error.code], [413, 'QT_ERR_TOO_LARGE']);
  assert.match(r.body.error.message, /7 certificates; at most 6/);

  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const twins: Uint8Array[] = [];
  for (let i = 0; i < 4; i++) {
    const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
    const c = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: `0${i + 1}`, name: 'CN=ҰКО 3.0 (RSA TEST), C=KZ', keys, signingAlgorithm: alg, notBefore: new Date('2020-01-01'), notAfter: new Date('2030-01-01') });
    twins.push(new Uint8Array(c.rawData));
  }
  const sameName = await signCms({ signer: key.signer, certificate: key.certificate, content: utf8('x'), chain: twins });
  const s = await post('/cms/verify', { cms: toBase64(sameName), at: AT });
  assert.deepEqual([s.status, s.body.code], [413, 'QT_ERR_TOO_LARGE']);
  assert.match(s.body.message, /More than 3 of the certificates are named/);
});

test('more signers than allowed, and XML nested deeper than allowed, are refused; nesting within the limit verifies', async () => {
  let cms = await signCms({ signer: key.signer, certificate: key.certificate, content: utf8('x') });
  for (let i = 0; i < 2; i++) cms = await addCmsSigner(cms, { signer: key.signer, certificate: key.certificate });
  const signers = await post('/api/v1/verify', { cms: toBase64(cms), at: AT });
  assert.deepEqual([signers.status, signers.body.error.code], [413, 'QT_ERR_TOO_LARGE']);

  const nested = (depth: number) => `<?xml version="1.0" encoding="UTF-8"?><r>${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}</r>`;
  const deep = await signXml(nested(64), { signer: key.signer, certificate: key.certificate });
  const refused = await post('/xml/verify', { xml: deep, at: AT });
  assert.deepEqual([refused.status, refused.body.code], [413, 'QT_ERR_TOO_LARGE']);
  const huge = await post('/api/v1/verify', { xml: `<r>${'<a>'.repeat(60_000)}</r>`, at: AT });
  assert.deepEqual([huge.status, huge.body.error.code], [413, 'QT_ERR_TOO_LARGE']);
  const fine = await signXml(nested(40), { signer: key.signer, certificate: key.certificate });
  const ok = await post('/xml/verify', { xml: fine, at: AT });
  assert.equal(ok.body.valid, true, ok.body.message);
});

test('beyond the concurrency limit and its queue, a request is refused at once (429) instead of waiting behind a stalled one', async () => {
  // A responder that accepts the connection and never answers: the first verification waits on it.
  let connected: () => void = () => {};
  const reached = new Promise<void>((resolve) => (connected = resolve));
  const silent = http.createServer(() => connected());
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const stalled = await verifyApp({
    trust: { presets: ['nca-test'] },
    fetch: { mirrors: { 'http://test.pki.gov.kz/': `http://127.0.0.1:${(silent.address() as AddressInfo).port}/` }, timeoutMs: 1500 },
    limits: { concurrent: 1, queue: 0 },
  });
  try {
    const cert = toBase64(readFixture(...nca.signCert));
    const first = stalled.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { certificate: cert, at: '2022-04-01T00:00:00Z' } });
    await reached;
    const second = await stalled.app.inject({ method: 'POST', url: '/x509/info', payload: { certs: [cert] } });
    assert.deepEqual([second.statusCode, second.json().code], [429, 'QT_ERR_RATE_LIMITED']);
    const done = (await first).json();
    assert.equal(done.valid, false);
    assert.match(done.error.message, /no complete answer within 1500 ms/);
  } finally {
    await stalled.close();
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
