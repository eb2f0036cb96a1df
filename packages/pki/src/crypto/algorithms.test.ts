import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { derFrom, toArrayBuffer } from '../encoding.ts';
import { oid } from '../oids.ts';
import { isQtError } from '@qoltanba/errors';
import { describePublicKey, generateRsaKeyPair, verifySignature, webCryptoSigner } from './index.ts';

function parts(path: readonly string[]) {
  const der = derFrom(readFixture(...path));
  const cert = AsnConvert.parse(toArrayBuffer(der), Certificate);
  return {
    tbs: new Uint8Array(AsnConvert.serialize(cert.tbsCertificate)),
    sig: new Uint8Array(cert.signatureValue),
    sigOid: cert.signatureAlgorithm.algorithm,
    spki: new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)),
  };
}

test('an NCA test certificate signature verifies with the issuing CA key (RSA/SHA-256)', async () => {
  const leaf = parts(nca.signCert);
  const ca = parts(nca.rsaCa);
  assert.equal(leaf.sigOid, oid.sha256WithRsa);
  assert.equal(await verifySignature(leaf.sigOid, { spki: ca.spki, data: leaf.tbs, signature: leaf.sig }), true);
  const tampered = leaf.tbs.slice();
  tampered[tampered.length - 1]! ^= 1;
  assert.equal(await verifySignature(leaf.sigOid, { spki: ca.spki, data: tampered, signature: leaf.sig }), false);
});

test('GOST signatures verify through the same registry once crypto/index.ts is loaded (it registers GOST)', async () => {
  const leaf = parts(nca.ceoGostCert);
  const ca = parts(nca.gostCa);
  assert.equal(leaf.sigOid, oid.kzGost2004Sign);
  assert.equal(await verifySignature(leaf.sigOid, { spki: ca.spki, data: leaf.tbs, signature: leaf.sig }), true);
  const tampered = leaf.tbs.slice();
  tampered[tampered.length - 1]! ^= 1;
  assert.equal(await verifySignature(leaf.sigOid, { spki: ca.spki, data: tampered, signature: leaf.sig }), false);
  // A GOST signature checked with an RSA key is refused with a reason, not a bare false.
  await assert.rejects(verifySignature(leaf.sigOid, { spki: parts(nca.rsaCa).spki, data: leaf.tbs, signature: leaf.sig }), (e) =>
    isQtError(e, 'QT_ERR_SIGNATURE_INVALID') && /RSA key/.test(e.message),
  );
});

test('public key description gives size and exponent (RSA-4096 CA, RSA-2048 leaf, GOST named)', () => {
  assert.deepEqual(
    { ...describePublicKey(parts(nca.rsaCa).spki) },
    { algorithm: 'RSA', algorithmOid: oid.rsaEncryption, bits: 4096, exponent: 65537 },
  );
  assert.equal(describePublicKey(parts(nca.signCert).spki).bits, 2048);
  assert.equal(describePublicKey(parts(nca.ceoGostCert).spki).algorithm, 'GOST 34.310-2004');
});

test('a WebCrypto signer signs what verifySignature accepts (RSA and ECDSA)', async () => {
  const rsa = await generateRsaKeyPair(2048);
  const s1 = await webCryptoSigner(rsa.privateKey, rsa.publicKey);
  const data = new TextEncoder().encode('қолтаңба');
  assert.equal(await verifySignature(s1.algorithm.oid, { spki: s1.publicKey, data, signature: await s1.sign(data) }), true);
  const ec = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const s2 = await webCryptoSigner(ec.privateKey, ec.publicKey);
  assert.equal(s2.algorithm.oid, oid.ecdsaWithSha256);
  assert.equal(await verifySignature(s2.algorithm.oid, { spki: s2.publicKey, data, signature: await s2.sign(data) }), true);
});
