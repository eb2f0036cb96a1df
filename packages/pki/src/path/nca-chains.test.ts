import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixturePath, readFixture, nca, prod2018, TEST_CA_TIME, PROD_2018_TIME, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { openssl, tempDir, type TempDir } from './testing/openssl.ts';
import { bothVerdicts } from './testing/verify-agreement.ts';
import { validatePath } from './validate.ts';

let tmp: TempDir;
before(() => {
  tmp = tempDir();
});
after(() => tmp.remove());

/** The certificate in an NCA key file (legacy PKCS#12), as PEM. */
function certFromKeyFile(path: readonly string[]): string {
  const text = openssl(['pkcs12', '-legacy', '-nokeys', '-clcerts', '-passin', `pass:${TEST_KEY_PASSWORD}`, '-in', fixturePath(...path)]);
  return text.slice(text.indexOf('-----BEGIN')); // drop openssl's "Bag Attributes" preamble
}

const rsaCa = () => readFixture(...nca.rsaCa);
const inCrlWindow = new Date('2022-04-01T00:00:00Z');

test('the NCA test SIGN and AUTH certificates chain to ҰКО 3.0 (RSA TEST) as of 2022-03-01, as openssl agrees', async () => {
  for (const [name, cert, purpose] of [
    ['sign', nca.signCert, 'emailProtection'],
    ['auth', nca.authCert, 'clientAuth'],
  ] as const) {
    const { ours, openssl: theirs } = await bothVerdicts(tmp, name, { leaf: readFixture(...cert), anchors: [rsaCa()], at: TEST_CA_TIME, purpose });
    assert.equal(ours.ok, true, ours.error?.message);
    assert.equal(theirs.ok, true, theirs.output);
    assert.equal(ours.chain.length, 2);
    assert.equal(ours.chain[1]?.subject, 'C=KZ, CN=ҰКО 3.0 (RSA TEST)');
    assert.equal(ours.chain[1]?.trustAnchor, true);
    assert.equal(ours.chain[0]?.revocation.status, 'unchecked');
  }
});

test('the same certificate is expired as of 2024-01-01 and not yet valid as of 2021-01-01, in both verifiers', async () => {
  for (const [at, code, theirText] of [
    [new Date('2024-01-01T00:00:00Z'), 'QT_ERR_CERT_EXPIRED', /certificate has expired/],
    [new Date('2021-01-01T00:00:00Z'), 'QT_ERR_CERT_NOT_YET_VALID', /certificate is not yet valid/],
  ] as const) {
    const { ours, openssl: theirs } = await bothVerdicts(tmp, code, { leaf: readFixture(...nca.signCert), anchors: [rsaCa()], at });
    assert.equal(ours.ok, false);
    assert.equal(ours.error?.code, code);
    assert.equal(ours.error?.details?.['index'], 0);
    assert.equal(theirs.ok, false);
    assert.match(theirs.output, theirText);
  }
});

test('Kazakh role OIDs in EKU do not break purposes: SIGN is fine for e-mail protection but not client auth', async () => {
  const { ours, openssl: theirs } = await bothVerdicts(tmp, 'purpose', { leaf: readFixture(...nca.signCert), anchors: [rsaCa()], at: TEST_CA_TIME, purpose: 'clientAuth' });
  assert.equal(ours.error?.code, 'QT_ERR_KEY_USAGE');
  assert.equal(theirs.ok, false);
  assert.match(theirs.output, /unsuitable certificate purpose/);
});

test('the 2018 production AUTH and SIGN certificates chain through ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) to the root as of 2019-06-01', async () => {
  for (const [name, key] of [['prod-auth', prod2018.authKey], ['prod-sign', prod2018.signKey]] as const) {
    const { ours, openssl: theirs } = await bothVerdicts(tmp, name, {
      leaf: certFromKeyFile(key),
      intermediates: [readFixture(...prod2018.ncaRsa)],
      anchors: [readFixture(...prod2018.rootRsa)],
      at: PROD_2018_TIME,
    });
    assert.equal(ours.ok, true, ours.error?.message);
    assert.equal(theirs.ok, true, theirs.output);
    assert.deepEqual(
      ours.chain.map((e) => e.trustAnchor),
      [false, false, true],
    );
    assert.match(ours.chain[1]?.subject ?? '', /ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ \(RSA\)/);
  }
});

test('without the intermediate, the production chain is incomplete in both verifiers', async () => {
  const { ours, openssl: theirs } = await bothVerdicts(tmp, 'incomplete', { leaf: certFromKeyFile(prod2018.signKey), anchors: [readFixture(...prod2018.rootRsa)], at: PROD_2018_TIME });
  assert.equal(ours.error?.code, 'QT_ERR_CHAIN_INCOMPLETE');
  assert.equal(ours.chain.length, 1);
  assert.equal(theirs.ok, false);
  assert.match(theirs.output, /unable to get local issuer certificate/);
});

test('the revoked fixture keys are found revoked (superseded) by the NCA CRL inside its window, as openssl finds', async () => {
  for (const [name, key, serial] of [
    ['revoked-auth', nca.revokedAuthKey, '1AB11253653B2537F2EDD55F0F66281CA4FA3F98'],
    ['revoked-sign', nca.revokedSignKey, '46757A2158A604189C40FB1FCDAB1143F83F32DB'],
  ] as const) {
    const { ours, openssl: theirs } = await bothVerdicts(tmp, name, { leaf: certFromKeyFile(key), anchors: [rsaCa()], at: inCrlWindow, crls: [readFixture(...nca.rsaCrl)] });
    assert.equal(ours.error?.code, 'QT_ERR_CERT_REVOKED', ours.error?.message);
    assert.equal(ours.chain[0]?.serial, serial);
    assert.deepEqual(ours.chain[0]?.revocation, {
      status: 'revoked',
      source: 'crl',
      reason: 'superseded',
      revokedAt: serial.startsWith('1AB1') ? new Date('2022-01-18T04:41:12Z') : new Date('2022-01-18T04:40:24Z'),
    });
    assert.equal(theirs.ok, false);
    assert.match(theirs.output, /certificate revoked/);
  }
});

test('a certificate absent from the NCA CRL is good inside its window; before the window the status is unknown', async () => {
  const good = await bothVerdicts(tmp, 'crl-good', { leaf: readFixture(...nca.signCert), anchors: [rsaCa()], at: inCrlWindow, crls: [readFixture(...nca.rsaCrl)] });
  assert.equal(good.ours.ok, true, good.ours.error?.message);
  assert.deepEqual(good.ours.chain[0]?.revocation, { status: 'good', source: 'crl' });
  assert.equal(good.openssl.ok, true, good.openssl.output);

  const early = await bothVerdicts(tmp, 'crl-early', { leaf: readFixture(...nca.signCert), anchors: [rsaCa()], at: TEST_CA_TIME, crls: [readFixture(...nca.rsaCrl)] });
  assert.equal(early.ours.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(early.ours.error?.message ?? '', /QT_ERR_CRL_STALE/);
  assert.equal(early.openssl.ok, false);
  assert.match(early.openssl.output, /CRL is not yet valid/);
});

test('GOST chains validate: the 2004 CEO certificate under its test CA, the 2018 production GOST CA under its root', async () => {
  const ceo = await validatePath({ leaf: readFixture(...nca.ceoGostCert), trustAnchors: [readFixture(...nca.gostCa)], at: TEST_CA_TIME });
  assert.equal(ceo.ok, true, ceo.error?.message);
  assert.equal(ceo.chain.length, 2);
  const prod = await validatePath({ leaf: readFixture(...prod2018.ncaGost), trustAnchors: [readFixture(...prod2018.rootGost)], at: PROD_2018_TIME });
  assert.equal(prod.ok, true, prod.error?.message);
  // The GOST CEO certificate does not chain to the RSA CA, and a GOST CA does not sign RSA certificates.
  const wrong = await validatePath({ leaf: readFixture(...nca.ceoGostCert), trustAnchors: [readFixture(...nca.rsaCa)], at: TEST_CA_TIME });
  assert.equal(wrong.ok, false);
});

test('unreadable inputs give their own codes in the verdict instead of throwing', async () => {
  const bad = await validatePath({ leaf: new Uint8Array([0x30, 0x82, 0x01]), trustAnchors: [rsaCa()], at: TEST_CA_TIME });
  assert.equal(bad.error?.code, 'QT_ERR_CERT_MALFORMED');
  const badCrl = await validatePath({ leaf: readFixture(...nca.signCert), trustAnchors: [rsaCa()], at: TEST_CA_TIME, revocation: { crls: [new Uint8Array([1, 2, 3])], mode: 'prefer' } });
  assert.equal(badCrl.error?.code, 'QT_ERR_CRL_MALFORMED');
  const badTime = await validatePath({ leaf: readFixture(...nca.signCert), trustAnchors: [rsaCa()], at: new Date('x') });
  assert.equal(badTime.error?.code, 'QT_ERR_INPUT_INVALID');
});
