import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOST2015_KEY_PASSWORD, nca, prod2018, readFixture, TEST_CA_TIME, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { bytesEqual } from '../encoding.ts';
import { verifySignature } from '../crypto/index.ts';
import { fixtureCertificates } from '../certificate/testing/fixture-certificates.ts';
import { readCertificate, type CertificateFacts } from '../path/certificate.ts';
import { validatePath } from '../path/validate.ts';
import { readPkcs12 } from '../pkcs12/read.ts';
import { pairKeyWithCertificate, privateKeyMatchesCertificate } from '../pkcs12/key-pairing.ts';
import { kzGostBySignatureOid } from './kz-algorithms.ts';
import { gostPrivateKeyMatches } from './signer.ts';

const gostKeyFiles = [
  { label: 'individual 2015 (GOST 2015-512)', path: nca.valid2015Key, password: GOST2015_KEY_PASSWORD },
  { label: 'CEO revoked 2015 (GOST 2015-512)', path: nca.ceoRevoked2015Key, password: GOST2015_KEY_PASSWORD },
  { label: 'CEO SIGN revoked 2004 (GOST 2004)', path: nca.ceoSignRevoked2004Key, password: TEST_KEY_PASSWORD },
  { label: 'prod 2018 CEO (GOST 2004)', path: prod2018.gostKey, password: TEST_KEY_PASSWORD },
];

async function allCertificates(): Promise<{ label: string; facts: CertificateFacts }[]> {
  const fromKeyFiles = await Promise.all(
    gostKeyFiles.map(async (f) => ({ label: `key file: ${f.label}`, der: pairKeyWithCertificate(await readPkcs12(readFixture(...f.path), f.password)).certificate })),
  );
  return [...fixtureCertificates(), ...fromKeyFiles].map((c) => ({ label: c.label, facts: readCertificate(c.der) }));
}

function issuerOf(cert: CertificateFacts, all: readonly CertificateFacts[]): CertificateFacts | undefined {
  const byName = all.filter((c) => bytesEqual(c.subjectDer, cert.issuerDer));
  if (byName.length <= 1 || !cert.authorityKeyId) return byName[0];
  return byName.find((c) => c.subjectKeyId && bytesEqual(c.subjectKeyId, cert.authorityKeyId!));
}

test('every GOST-signed certificate in the fixtures verifies with its issuer’s key, and fails with one bit changed', async () => {
  const all = await allCertificates();
  const facts = all.map((c) => c.facts);
  const verified: string[] = [];
  const issuerMissing: string[] = [];
  for (const { label, facts: cert } of all) {
    if (!kzGostBySignatureOid(cert.signatureAlgorithm.oid)) continue;
    const issuer = issuerOf(cert, facts);
    if (!issuer) {
      issuerMissing.push(label);
      continue;
    }
    const input = { spki: issuer.spki, data: cert.tbs, signature: cert.signature };
    assert.equal(await verifySignature(cert.signatureAlgorithm.oid, input), true, label);
    const tampered = cert.tbs.slice();
    tampered[tampered.length >> 1]! ^= 0x10;
    assert.equal(await verifySignature(cert.signatureAlgorithm.oid, { ...input, data: tampered }), false, label);
    verified.push(label);
  }
  // The two test CAs were issued by test roots that are not among the fixtures; everything else verifies:
  // 2004 (CEO, prod root self-signed, prod NCA GOST, prod CEO, OCSP responder, TSA) and 2015-512 (key files, responder).
  assert.deepEqual(issuerMissing.sort(), ['nca gost 2015 test CA', 'nca gost test CA']);
  assert.ok(verified.length >= 10, `verified: ${verified.join(', ')}`);
  for (const expected of ['nca CEO SIGN (GOST 2004)', 'prod 2018 root GOST', 'prod 2018 NCA GOST', 'prod 2018 CEO (GOST 2004)', 'nca OCSP responder (GOST 2004)', 'nca OCSP responder (GOST 2015)', 'nca TSA', 'key file: individual 2015 (GOST 2015-512)', 'key file: CEO revoked 2015 (GOST 2015-512)', 'key file: CEO SIGN revoked 2004 (GOST 2004)']) {
    assert.ok(verified.includes(expected), `${expected} verified (got ${verified.join(', ')})`);
  }
});

test('every GOST key file’s private key is the one of its certificate (d·G computed), and not of another', async () => {
  const pairs = await Promise.all(gostKeyFiles.map(async (f) => pairKeyWithCertificate(await readPkcs12(readFixture(...f.path), f.password))));
  for (const [i, pair] of pairs.entries()) {
    assert.equal(privateKeyMatchesCertificate(pair.key.pkcs8, pair.certificate), true, gostKeyFiles[i]!.label);
    const other = pairs[(i + 1) % pairs.length]!;
    assert.equal(privateKeyMatchesCertificate(pair.key.pkcs8, other.certificate), false);
    assert.equal(gostPrivateKeyMatches(pair.key.pkcs8, readCertificate(pair.certificate).spki), true);
  }
});

test('the 2015 key files chain to the 2015 test CA through path validation', async () => {
  for (const f of gostKeyFiles.slice(0, 2)) {
    const { certificate } = pairKeyWithCertificate(await readPkcs12(readFixture(...f.path), f.password));
    const at = readCertificate(certificate).notBefore;
    const verdict = await validatePath({ leaf: certificate, trustAnchors: [readFixture(...nca.gost2015Ca)], at: new Date(at.getTime() + 86_400_000) });
    assert.equal(verdict.ok, true, `${f.label}: ${verdict.error?.message}`);
  }
  // …and not to the 2004 CA, whose key is of another kind and size.
  const { certificate } = pairKeyWithCertificate(await readPkcs12(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD));
  const wrong = await validatePath({ leaf: certificate, trustAnchors: [readFixture(...nca.gostCa)], at: TEST_CA_TIME });
  assert.equal(wrong.ok, false);
});
