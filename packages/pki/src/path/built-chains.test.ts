import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildCrl } from '../crl/build.ts';
import { caKeyUsage, criticalExtension, KU, leafOptions, makeCert, makeHierarchy, withBrokenSignature, type TestCert } from './testing/ca.ts';
import { tempDir, type TempDir } from './testing/openssl.ts';
import { bothVerdicts, type AgreementCase } from './testing/verify-agreement.ts';

let root: TestCert;
let ca: TestCert;
let leaf: TestCert;
let tmp: TempDir;
const at = new Date('2025-06-01T00:00:00Z');

before(async () => {
  ({ root, ca } = await makeHierarchy());
  leaf = await makeCert(leafOptions(ca));
  tmp = tempDir();
});
after(() => tmp.remove());

/** Asserts validatePath fails with `code` and openssl verify fails with a message matching `theirs`. */
async function bothRefuse(name: string, c: AgreementCase, code: string, theirs: RegExp): Promise<void> {
  const verdict = await bothVerdicts(tmp, name, c);
  assert.equal(verdict.ours.ok, false, `${name}: validatePath accepted it`);
  assert.equal(verdict.ours.error?.code, code, verdict.ours.error?.message);
  assert.equal(verdict.openssl.ok, false, `${name}: openssl accepted it`);
  assert.match(verdict.openssl.output, theirs);
}

test('a three-level chain we issued validates in both verifiers, for its purpose', async () => {
  const verdict = await bothVerdicts(tmp, 'ok', { leaf: leaf.der, intermediates: [ca.der], anchors: [root.der], at, purpose: 'emailProtection' });
  assert.equal(verdict.ours.ok, true, verdict.ours.error?.message);
  assert.equal(verdict.openssl.ok, true, verdict.openssl.output);
  assert.deepEqual(
    verdict.ours.chain.map((e) => [e.serial, e.trustAnchor]),
    [[leaf.serial, false], [ca.serial, false], [root.serial, true]],
  );
  assert.deepEqual(verdict.ours.chain.slice(1).map((e) => e.subject), [ca.subject, root.subject]);
});

test('a missing intermediate: QT_ERR_CHAIN_INCOMPLETE / unable to get local issuer certificate', async () => {
  await bothRefuse('missing', { leaf: leaf.der, anchors: [root.der], at }, 'QT_ERR_CHAIN_INCOMPLETE', /unable to get local issuer certificate/);
});

test('a broken leaf signature: QT_ERR_SIGNATURE_INVALID / certificate signature failure', async () => {
  await bothRefuse('broken', { leaf: withBrokenSignature(leaf.der), intermediates: [ca.der], anchors: [root.der], at }, 'QT_ERR_SIGNATURE_INVALID', /certificate signature failure/);
});

test('a CA without keyCertSign: QT_ERR_KEY_USAGE / key usage does not include certificate signing', async () => {
  const noCertSign = await makeCert({ subject: 'CN=CRL-only CA, C=KZ', issuer: root, ca: true, keyUsage: KU.cRLSign });
  const child = await makeCert(leafOptions(noCertSign));
  await bothRefuse('no-keycertsign', { leaf: child.der, intermediates: [noCertSign.der], anchors: [root.der], at }, 'QT_ERR_KEY_USAGE', /key usage does not include certificate signing/);
});

test('an end-entity certificate used as an issuer: QT_ERR_CHAIN_INVALID / invalid CA certificate', async () => {
  const notCa = await makeCert({ subject: 'CN=Just A Person, C=KZ', issuer: ca, keyUsage: caKeyUsage });
  const child = await makeCert(leafOptions(notCa));
  await bothRefuse('not-ca', { leaf: child.der, intermediates: [notCa.der, ca.der], anchors: [root.der], at }, 'QT_ERR_CHAIN_INVALID', /invalid CA certificate/);
});

test('a sub-CA below a pathLen 0 CA: QT_ERR_CHAIN_INVALID / path length constraint exceeded', async () => {
  const sub = await makeCert({ subject: 'CN=Sub CA, C=KZ', issuer: ca, ca: true });
  const child = await makeCert(leafOptions(sub));
  await bothRefuse('pathlen', { leaf: child.der, intermediates: [sub.der, ca.der], anchors: [root.der], at }, 'QT_ERR_CHAIN_INVALID', /path length constraint exceeded/);
});

test('an unknown critical extension: QT_ERR_CHAIN_INVALID / unhandled critical extension', async () => {
  const odd = await makeCert({
    ...leafOptions(ca),
    extraExtensions: [criticalExtension('1.2.398.3.3.99')],
  });
  await bothRefuse('critical', { leaf: odd.der, intermediates: [ca.der], anchors: [root.der], at }, 'QT_ERR_CHAIN_INVALID', /unhandled critical extension/);
});

test('an expired intermediate fails the chain at its own position', async () => {
  const old = await makeCert({ subject: 'CN=Old CA, C=KZ', issuer: root, ca: true, notAfter: new Date('2025-01-01T00:00:00Z') });
  const child = await makeCert(leafOptions(old));
  const verdict = await bothVerdicts(tmp, 'old-ca', { leaf: child.der, intermediates: [old.der], anchors: [root.der], at });
  assert.equal(verdict.ours.error?.code, 'QT_ERR_CERT_EXPIRED');
  assert.equal(verdict.ours.error?.details?.['index'], 1);
  assert.match(verdict.openssl.output, /certificate has expired/);
});

test('a revoked leaf (full CRLs for both levels): QT_ERR_CERT_REVOKED / certificate revoked', async () => {
  const window = { thisUpdate: new Date('2025-05-01T00:00:00Z'), nextUpdate: new Date('2025-07-01T00:00:00Z') };
  const rootCrl = await buildCrl({ issuer: { certificate: root.der, signer: root.signer }, ...window, crlNumber: 1n, entries: [] });
  const caCrl = await buildCrl({
    issuer: { certificate: ca.der, signer: ca.signer },
    ...window,
    crlNumber: 3n,
    entries: [{ serial: leaf.serial, revokedAt: new Date('2025-05-10T00:00:00Z'), reason: 'keyCompromise' }],
  });
  await bothRefuse('revoked', { leaf: leaf.der, intermediates: [ca.der], anchors: [root.der], at, crls: [rootCrl, caCrl] }, 'QT_ERR_CERT_REVOKED', /certificate revoked/);
  const other = await makeCert(leafOptions(ca));
  const fine = await bothVerdicts(tmp, 'not-revoked', { leaf: other.der, intermediates: [ca.der], anchors: [root.der], at, crls: [rootCrl, caCrl] });
  assert.equal(fine.ours.ok, true, fine.ours.error?.message);
  assert.equal(fine.openssl.ok, true, fine.openssl.output);
  assert.deepEqual(fine.ours.chain.map((e) => e.revocation.status), ['good', 'good', 'unchecked']);
});
