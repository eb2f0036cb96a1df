import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { oid } from '../oids.ts';
import { buildCrl, type CrlEntryInput } from '../crl/build.ts';
import { buildOcspResponse } from '../ocsp/build-response.ts';
import { computeIssuerHashes, makeCertId } from '../ocsp/cert-id.ts';
import type { OcspCertStatus } from '../ocsp/types.ts';
import { KU, leafOptions, makeCert, makeHierarchy, type TestCert } from './testing/ca.ts';
import { ext, resignCrl } from './testing/extensions.ts';
import { validatePath } from './validate.ts';
import type { RevocationMode, ValidatePathOptions } from './types.ts';

let ca: TestCert;
let responder: TestCert;
let leaf: TestCert;
const at = new Date('2025-06-01T00:00:00Z');
const window = { thisUpdate: new Date('2025-05-01T00:00:00Z'), nextUpdate: new Date('2025-07-01T00:00:00Z') };

before(async () => {
  ({ ca } = await makeHierarchy());
  responder = await makeCert({ subject: 'CN=OCSP, C=KZ', issuer: ca, keyUsage: KU.digitalSignature, extKeyUsage: [oid.ekuOcspSigning] });
  leaf = await makeCert(leafOptions(ca));
});

const crl = (entries: CrlEntryInput[], more: { crlNumber?: bigint; deltaOf?: bigint; onlyCa?: boolean } = {}) =>
  buildCrl({
    issuer: { certificate: ca.der, signer: ca.signer },
    ...window,
    crlNumber: more.crlNumber ?? 5n,
    deltaOf: more.deltaOf,
    issuingDistributionPoint: more.onlyCa ? { onlyContainsCACerts: true } : undefined,
    entries,
  });

async function ocsp(status: OcspCertStatus, thisUpdate = new Date('2025-05-31T00:00:00Z')) {
  return buildOcspResponse({
    responder: { certificate: responder.der, signer: responder.signer },
    responses: [{ ...status, certId: makeCertId(await computeIssuerHashes(ca.der), leaf.serial), thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 7 * 86_400_000) }],
    producedAt: thisUpdate,
  });
}

/** The leaf checked directly under its issuing CA (taken as the trust anchor). */
function check(mode: RevocationMode, evidence: { crls?: Uint8Array[]; ocspResponses?: Uint8Array[] }, when = at) {
  const options: ValidatePathOptions = { leaf: leaf.der, trustAnchors: [ca.der], at: when, revocation: { mode, ...evidence } };
  return validatePath(options);
}

test('a certificate on hold is QT_ERR_CERT_ON_HOLD, and a delta CRL with removeFromCRL lifts the hold', async () => {
  const full = await crl([{ serial: leaf.serial, revokedAt: new Date('2025-05-20T00:00:00Z'), reason: 'certificateHold' }]);
  const onHold = await check('require', { crls: [full] });
  assert.equal(onHold.error?.code, 'QT_ERR_CERT_ON_HOLD');
  assert.equal(onHold.chain[0]?.revocation.reason, 'certificateHold');

  const delta = await crl([{ serial: leaf.serial, revokedAt: new Date('2025-05-25T00:00:00Z'), reason: 'removeFromCRL' }], { crlNumber: 6n, deltaOf: 5n });
  const lifted = await check('require', { crls: [full, delta] });
  assert.equal(lifted.ok, true, lifted.error?.message);
  assert.deepEqual(lifted.chain[0]?.revocation, { status: 'good', source: 'crl' });
  const deltaAlone = await check('require', { crls: [delta] });
  assert.equal(deltaAlone.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(deltaAlone.error?.message ?? '', /without its base CRL/);
});

test('a delta CRL can revoke what the base CRL does not list yet', async () => {
  const full = await crl([]);
  const delta = await crl([{ serial: leaf.serial, revokedAt: new Date('2025-05-25T00:00:00Z'), reason: 'keyCompromise' }], { crlNumber: 6n, deltaOf: 5n });
  const verdict = await check('prefer', { crls: [full, delta] });
  assert.equal(verdict.error?.code, 'QT_ERR_CERT_REVOKED');
  assert.equal(verdict.chain[0]?.revocation.reason, 'keyCompromise');
});

test('a revocation dated after the time of the check does not count as of that time', async () => {
  const full = await crl([{ serial: leaf.serial, revokedAt: new Date('2025-06-15T00:00:00Z'), reason: 'keyCompromise' }]);
  const before = await check('require', { crls: [full] });
  assert.equal(before.ok, true, before.error?.message);
  const after = await check('require', { crls: [full] }, new Date('2025-06-20T00:00:00Z'));
  assert.equal(after.error?.code, 'QT_ERR_CERT_REVOKED');
});

test('OCSP answers good or revoked; "unknown" falls back to the CRL', async () => {
  const good = await check('require', { ocspResponses: [await ocsp({ status: 'good' })] });
  assert.equal(good.ok, true, good.error?.message);
  assert.deepEqual(good.chain[0]?.revocation, { status: 'good', source: 'ocsp' });

  const revoked = await check('require', { ocspResponses: [await ocsp({ status: 'revoked', revokedAt: new Date('2025-05-30T00:00:00Z'), reason: 'affiliationChanged' })] });
  assert.equal(revoked.error?.code, 'QT_ERR_CERT_REVOKED');
  assert.equal(revoked.chain[0]?.revocation.source, 'ocsp');
  assert.equal(revoked.chain[0]?.revocation.reason, 'affiliationChanged');

  const unknown = await ocsp({ status: 'unknown' });
  assert.equal((await check('require', { ocspResponses: [unknown] })).error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  const fallback = await check('require', { ocspResponses: [unknown], crls: [await crl([])] });
  assert.deepEqual(fallback.chain[0]?.revocation, { status: 'good', source: 'crl' });
});

test('an OCSP "never issued" answer (revoked 1970, certificateHold) is QT_ERR_CERT_REVOKED, not a hold', async () => {
  const verdict = await check('require', { ocspResponses: [await ocsp({ status: 'revoked', revokedAt: new Date(0), reason: 'certificateHold' })] });
  assert.equal(verdict.error?.code, 'QT_ERR_CERT_REVOKED');
  assert.match(verdict.error?.message ?? '', /never issued/);
});

test('modes: off never looks, prefer tolerates missing or unusable evidence, require demands it', async () => {
  const revokedCrl = await crl([{ serial: leaf.serial, revokedAt: new Date('2025-05-10T00:00:00Z'), reason: 'keyCompromise' }]);
  const off = await check('off', { crls: [revokedCrl] });
  assert.equal(off.ok, true);
  assert.equal(off.chain[0]?.revocation.status, 'unchecked');

  const nothing = await check('prefer', {});
  assert.equal(nothing.ok, true);
  assert.equal(nothing.chain[0]?.revocation.status, 'unchecked');
  const required = await check('require', {});
  assert.equal(required.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');

  // A CRL whose signature was tampered with is not evidence: status unknown, with the reason recorded.
  const tampered = revokedCrl.slice();
  tampered[tampered.length - 3]! ^= 0x01;
  const ignored = await check('prefer', { crls: [tampered] });
  assert.equal(ignored.ok, true);
  assert.equal(ignored.chain[0]?.revocation.status, 'unknown');
  assert.match(ignored.chain[0]?.revocation.detail ?? '', /QT_ERR_SIGNATURE_INVALID/);

  // Stale OCSP (its week ended before the check) is not evidence either.
  const stale = await check('require', { ocspResponses: [await ocsp({ status: 'good' }, new Date('2025-05-01T00:00:00Z'))] });
  assert.equal(stale.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(stale.error?.message ?? '', /QT_ERR_OCSP_STALE/);
});

test('a CRL scoped to CA certificates does not answer for an end-entity certificate', async () => {
  const caOnly = await crl([{ serial: leaf.serial, revokedAt: new Date('2025-05-10T00:00:00Z') }], { onlyCa: true });
  const verdict = await check('require', { crls: [caOnly] });
  assert.equal(verdict.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
});

test('CRL profile: a CRL without a CRL number, with a critical one, or with an extension twice is not evidence (RFC 5280 §5.2.3)', async () => {
  const revokedCrl = await crl([{ serial: leaf.serial, revokedAt: new Date('2025-05-10T00:00:00Z'), reason: 'keyCompromise' }]);
  const cases: [Uint8Array, RegExp][] = [
    [await resignCrl(revokedCrl, ca, ext.without(oid.crlNumber)), /has no CRL number/],
    [await resignCrl(revokedCrl, ca, ext.critical(oid.crlNumber)), /marks its CRL number critical/],
    [await resignCrl(revokedCrl, ca, ext.twice(oid.crlNumber)), /carries the extension 2\.5\.29\.20 more than once/],
  ];
  for (const [bad, why] of cases) {
    // Not even a revocation listed in it counts: the CRL is not usable, so the status is unknown.
    const verdict = await check('require', { crls: [bad] });
    assert.equal(verdict.error?.code, 'QT_ERR_REVOCATION_UNKNOWN', verdict.error?.message);
    assert.match(verdict.chain[0]?.revocation.detail ?? '', why);
  }
  assert.equal((await check('require', { crls: [revokedCrl] })).error?.code, 'QT_ERR_CERT_REVOKED');
});

test('a CRL signed by another key of the same CA counts only when that key is certified on a valid path to the same anchor', async () => {
  // The CA's separate CRL-signing certificate (same name, its own key, keyUsage cRLSign), issued by the root.
  const { root, ca: issuing } = await makeHierarchy();
  const subject = await makeCert(leafOptions(issuing));
  const crlSigner = await makeCert({ subject: 'CN=Qoltanba Test Issuing CA, C=KZ', issuer: root, ca: true, keyUsage: KU.cRLSign });
  const signedBySeparateKey = await buildCrl({ issuer: { certificate: crlSigner.der, signer: crlSigner.signer }, ...window, crlNumber: 7n, entries: [] });
  const rootCrl = await buildCrl({ issuer: { certificate: root.der, signer: root.signer }, ...window, crlNumber: 1n, entries: [] });
  const options = { leaf: subject.der, trustAnchors: [root.der], at, revocation: { mode: 'require' as const, crls: [signedBySeparateKey, rootCrl] } };
  const withSigner = await validatePath({ ...options, intermediates: [issuing.der, crlSigner.der] });
  assert.equal(withSigner.ok, true, withSigner.error?.message);
  assert.deepEqual(withSigner.chain[0]?.revocation, { status: 'good', source: 'crl' });
  // Without the CRL signer's certificate the CRL cannot be attributed to the CA.
  const without = await validatePath({ ...options, intermediates: [issuing.der] });
  assert.equal(without.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(without.error?.message ?? '', /QT_ERR_CHAIN_INCOMPLETE.*no certificate .* that could have signed it/);
  // A revoked CRL signer's CRLs do not count either.
  const revokedSigner = await buildCrl({ issuer: { certificate: root.der, signer: root.signer }, ...window, crlNumber: 2n, entries: [{ serial: crlSigner.serial, revokedAt: new Date('2025-05-02T00:00:00Z'), reason: 'keyCompromise' }] });
  const revoked = await validatePath({ ...options, intermediates: [issuing.der, crlSigner.der], revocation: { mode: 'require', crls: [signedBySeparateKey, revokedSigner] } });
  assert.equal(revoked.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(revoked.error?.message ?? '', /CRL signer .* is not valid/);
});
