import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/errors';
import { randomBytes } from '../crypto/index.ts';
import { oid } from '../oids.ts';
import { readCertificate } from '../path/certificate.ts';
import { KU, leafOptions, makeCert, makeHierarchy, type TestCert } from '../path/testing/ca.ts';
import { openssl, opensslResult, tempDir, type TempDir } from '../path/testing/openssl.ts';
import { computeIssuerHashes, makeCertId, type IssuerHashes } from './cert-id.ts';
import { buildOcspRequest } from './request.ts';
import { buildOcspResponse } from './build-response.ts';
import { verifyOcspResponse } from './verify-response.ts';
import type { OcspCertStatus } from './types.ts';

let root: TestCert;
let ca: TestCert;
let responder: TestCert;
let leaf: TestCert;
let hashes: IssuerHashes;
let tmp: TempDir;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);

before(async () => {
  ({ root, ca } = await makeHierarchy());
  responder = await makeCert({
    subject: 'CN=Qoltanba OCSP Responder, C=KZ',
    issuer: ca,
    keyUsage: KU.digitalSignature,
    extKeyUsage: [oid.ekuOcspSigning],
  });
  leaf = await makeCert(leafOptions(ca));
  hashes = await computeIssuerHashes(ca.der);
  tmp = tempDir();
  tmp.file('trust.pem', root.pem + ca.pem);
  tmp.file('ca.pem', ca.pem);
  tmp.file('leaf.pem', leaf.pem);
});
after(() => tmp.remove());

async function respond(status: OcspCertStatus, more: { nonce?: Uint8Array; by?: TestCert; byKey?: boolean } = {}) {
  const by = more.by ?? responder;
  return buildOcspResponse({
    responder: { certificate: by.der, signer: by.signer, byKey: more.byKey },
    responses: [{ ...status, certId: makeCertId(hashes, leaf.serial), thisUpdate: minutes(-1), nextUpdate: minutes(60) }],
    producedAt: minutes(-1),
    nonce: more.nonce,
  });
}

/** openssl ocsp verifying a response file against the trust anchors and printing the leaf's status. */
function opensslOcsp(name: string, der: Uint8Array) {
  const args = ['-CAfile', tmp.path('trust.pem'), '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-no_nonce'];
  return opensslResult(['ocsp', '-respin', tmp.file(name, der), ...args]);
}

/** openssl ocsp checking a response against the request it answers (signature, chain and nonce echo). */
function opensslOcspForRequest(name: string, der: Uint8Array, requestPath: string) {
  return opensslResult(['ocsp', '-reqin', requestPath, '-respin', tmp.file(name, der), '-CAfile', tmp.path('trust.pem')]);
}

test('openssl verifies our good / revoked (with reason) / unknown responses from a delegated responder', async () => {
  const good = opensslOcsp('good.der', await respond({ status: 'good' }));
  assert.equal(good.status, 0, good.output);
  assert.match(good.output, /Response verify OK/);
  assert.match(good.output, /leaf\.pem: good\n\s+This Update: .+\n\s+Next Update: /);

  const revokedAt = new Date('2025-03-01T12:00:00Z');
  const revoked = opensslOcsp('revoked.der', await respond({ status: 'revoked', revokedAt, reason: 'keyCompromise' }));
  assert.equal(revoked.status, 0, revoked.output);
  assert.match(revoked.output, /leaf\.pem: revoked\n[\s\S]*Reason: keyCompromise\n\s+Revocation Time: Mar  1 12:00:00 2025 GMT/);

  const unknown = opensslOcsp('unknown.der', await respond({ status: 'unknown' }));
  assert.equal(unknown.status, 0, unknown.output);
  assert.match(unknown.output, /leaf\.pem: unknown/);
});

test('with a nonce from our request, openssl checks the echo; we and openssl both refuse a wrong one', async () => {
  const nonce = randomBytes(16);
  const request = await buildOcspRequest(leaf.der, ca.der, { nonce });
  const requestPath = tmp.file('req.der', request);
  const echoed = opensslOcspForRequest('nonce.der', await respond({ status: 'good' }, { nonce }), requestPath);
  assert.equal(echoed.status, 0, echoed.output);
  assert.equal(echoed.output.trim(), 'Response verify OK');

  const missing = opensslOcspForRequest('no-nonce.der', await respond({ status: 'good' }), requestPath);
  assert.match(missing.output, /WARNING: no nonce in response/);
  await assert.rejects(verifyOcspResponse(await respond({ status: 'good' }), { issuer: ca.der, at: now, nonce }), (e) =>
    isQtError(e, 'QT_ERR_OCSP_NONCE_MISMATCH'),
  );

  const wrong = await respond({ status: 'good' }, { nonce: randomBytes(16) });
  const theirs = opensslOcspForRequest('wrong-nonce.der', wrong, requestPath);
  assert.notEqual(theirs.status, 0);
  assert.match(theirs.output, /Nonce Verify error/);
  await assert.rejects(verifyOcspResponse(wrong, { issuer: ca.der, at: now, nonce }), (e) => isQtError(e, 'QT_ERR_OCSP_NONCE_MISMATCH'));

  const verdict = await verifyOcspResponse(await respond({ status: 'good' }, { nonce }), { issuer: ca.pem, at: now, nonce });
  assert.equal(verdict.responses[0]?.status, 'good');
});

test('a CA-signed response with a key-hash responder ID verifies in openssl and here', async () => {
  const der = await respond({ status: 'revoked', revokedAt: minutes(-30), reason: 'certificateHold' }, { by: ca, byKey: true });
  const theirs = opensslOcsp('by-ca.der', der);
  assert.equal(theirs.status, 0, theirs.output);
  assert.match(theirs.output, /Response verify OK/);
  assert.match(theirs.output, /leaf\.pem: revoked\n[\s\S]*Reason: certificateHold/);
  assert.match(openssl(['ocsp', '-respin', tmp.path('by-ca.der'), '-resp_text', '-noverify']), /Responder Id: [0-9A-F]{40}/);
  const verdict = await verifyOcspResponse(der, { issuer: ca.der, at: now });
  assert.equal(verdict.responder.delegated, false);
  assert.deepEqual(
    verdict.responses.map((r) => (r.status === 'revoked' ? r.reason : r.status)),
    ['certificateHold'],
  );
});

test('a responder certificate without the OCSPSigning EKU is refused by us and by openssl', async () => {
  const impostor = await makeCert({ subject: 'CN=Not A Responder, C=KZ', issuer: ca, keyUsage: KU.digitalSignature });
  const der = await respond({ status: 'good' }, { by: impostor });
  const theirs = opensslOcsp('impostor.der', der);
  assert.notEqual(theirs.status, 0);
  assert.match(theirs.output, /Response Verify Failure/i);
  await assert.rejects(verifyOcspResponse(der, { issuer: ca.der, at: now }), (e) => isQtError(e, 'QT_ERR_OCSP_RESPONDER_UNAUTHORIZED'));
});

test('a response from a responder of another CA is refused', async () => {
  const other = await makeHierarchy();
  const otherResponder = await makeCert({ subject: 'CN=Other OCSP, C=KZ', issuer: other.ca, extKeyUsage: [oid.ekuOcspSigning] });
  const der = await respond({ status: 'good' }, { by: otherResponder });
  await assert.rejects(verifyOcspResponse(der, { issuer: ca.der, at: now }), (e) => isQtError(e, 'QT_ERR_OCSP_RESPONDER_UNAUTHORIZED'));
});

test('building refuses a signer that is not the responder key, and bad statuses or windows', async () => {
  const invalid = (e: unknown) => isQtError(e, 'QT_ERR_INPUT_INVALID');
  const certId = makeCertId(hashes, leaf.serial);
  await assert.rejects(
    buildOcspResponse({ responder: { certificate: responder.der, signer: ca.signer }, responses: [{ status: 'good', certId, thisUpdate: now }], producedAt: now }),
    (e) => isQtError(e, 'QT_ERR_KEY_MISMATCH'),
  );
  const base = { responder: { certificate: responder.der, signer: responder.signer }, producedAt: now };
  await assert.rejects(buildOcspResponse({ ...base, responses: [] }), invalid);
  await assert.rejects(buildOcspResponse({ ...base, responses: [{ status: 'maybe' as never, certId, thisUpdate: now }] }), invalid);
  await assert.rejects(buildOcspResponse({ ...base, responses: [{ status: 'good', certId, thisUpdate: now, nextUpdate: now }] }), invalid);
  await assert.rejects(buildOcspResponse({ ...base, nonce: new Uint8Array(33), responses: [{ status: 'good', certId, thisUpdate: now }] }), invalid);
});

test('the certID we make for a serial is the one openssl puts in its request', async () => {
  const reqPath = tmp.path('openssl-req.der');
  openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-reqout', reqPath, '-no_nonce']);
  const text = openssl(['ocsp', '-reqin', reqPath, '-req_text']);
  const id = makeCertId(hashes, readCertificate(leaf.der).serial);
  assert.match(text, new RegExp(`Issuer Name Hash: ${Buffer.from(id.issuerNameHash).toString('hex').toUpperCase()}`));
  assert.match(text, new RegExp(`Issuer Key Hash: ${Buffer.from(id.issuerKeyHash).toString('hex').toUpperCase()}`));
});
