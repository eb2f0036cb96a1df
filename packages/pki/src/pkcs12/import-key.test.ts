import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GOST2015_KEY_PASSWORD, nca, prod2018, readFixture, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { derFrom, toPem } from '../encoding.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { verifySignature, webCryptoSigner } from '../crypto/index.ts';
import { importPkcs12Key, importPrivateKey } from './import-key.ts';
import { orderChain, pairKeyWithCertificate } from './key-pairing.ts';
import { readPkcs12 } from './read.ts';
import { mustRun, opensslPki, scratch, tool, type OpensslPki, type Scratch } from './testing/openssl.ts';

let s: Scratch;
before(() => {
  s = scratch();
});
after(() => s.remove());

const rsaKeyFiles = [nca.validSignKey, nca.revokedAuthKey, nca.revokedSignKey, prod2018.authKey, prod2018.signKey];
const data = new TextEncoder().encode('Мен осы құжатқа қол қоямын');

/** openssl checks the signature with the public key taken from the certificate. */
function opensslVerifies(certificate: Uint8Array, signature: Uint8Array, digest: string): boolean {
  const cert = s.write('cert.pem', toPem('CERTIFICATE', certificate));
  mustRun('openssl', ['x509', '-in', cert, '-pubkey', '-noout', '-out', s.path('pub.pem')]);
  s.write('data.bin', data);
  s.write('sig.bin', signature);
  return tool('openssl', ['dgst', `-${digest}`, '-verify', s.path('pub.pem'), '-signature', s.path('sig.bin'), s.path('data.bin')]).status === 0;
}

test('the key imported from every NCA RSA key file signs, and the signature verifies against its certificate', async () => {
  for (const path of rsaKeyFiles) {
    const imported = await importPkcs12Key(readFixture(...path), TEST_KEY_PASSWORD);
    assert.ok(imported.privateKey);
    assert.equal(imported.privateKey.algorithm.name, 'RSASSA-PKCS1-v1_5');
    assert.equal(imported.privateKey.extractable, false);
    const signer = await webCryptoSigner(imported.privateKey, imported.publicKey);
    assert.deepEqual(imported.signer.algorithm, signer.algorithm);
    assert.equal(signer.algorithm.oid, oid.sha256WithRsa);
    const signature = await signer.sign(data);
    assert.equal(await verifySignature(oid.sha256WithRsa, { spki: imported.publicKey, data, signature }), true, path.join('/'));
    assert.equal(opensslVerifies(imported.certificate, signature, 'sha256'), true, path.join('/'));
    const changed = data.slice();
    changed[0]! ^= 1;
    assert.equal(await verifySignature(oid.sha256WithRsa, { spki: imported.publicKey, data: changed, signature }), false);
  }
});

test('an RSA key can be imported for another digest', async () => {
  const imported = await importPkcs12Key(readFixture(...prod2018.signKey), TEST_KEY_PASSWORD, { hash: 'SHA-512' });
  assert.ok(imported.privateKey);
  const signer = await webCryptoSigner(imported.privateKey, imported.publicKey);
  assert.equal(signer.algorithm.oid, oid.sha512WithRsa);
  assert.equal(opensslVerifies(imported.certificate, await signer.sign(data), 'sha512'), true);
});

test('an ECDSA P-256 key file made by openssl imports and signs verifiably', async () => {
  const pki: OpensslPki = opensslPki(s, 'ec', 'ec-leaf');
  mustRun('openssl', ['pkcs12', '-export', '-inkey', pki.keyPath, '-in', pki.certPath, '-passout', 'pass:Secret12', '-out', s.path('ec.p12')]);
  const imported = await importPkcs12Key(s.read('ec.p12'), 'Secret12');
  assert.ok(imported.privateKey);
  assert.equal(imported.privateKey.algorithm.name, 'ECDSA');
  const signer = await webCryptoSigner(imported.privateKey, imported.publicKey);
  const signature = await signer.sign(data);
  assert.equal(await verifySignature(oid.ecdsaWithSha256, { spki: imported.publicKey, data, signature }), true);
  assert.equal(opensslVerifies(imported.certificate, signature, 'sha256'), true);
});

test('GOST key files (2004 and 2015) import as GOST signers whose signatures verify against their certificates', async () => {
  for (const [path, password, sigOid] of [
    [nca.ceoSignRevoked2004Key, TEST_KEY_PASSWORD, oid.kzGost2004Sign],
    [nca.valid2015Key, GOST2015_KEY_PASSWORD, oid.kzGost2015_512Sign],
    [nca.ceoRevoked2015Key, GOST2015_KEY_PASSWORD, oid.kzGost2015_512Sign],
    [prod2018.gostKey, TEST_KEY_PASSWORD, oid.kzGost2004Sign],
  ] as const) {
    const imported = await importPkcs12Key(readFixture(...path), password);
    assert.equal(imported.privateKey, undefined, 'WebCrypto holds no GOST key');
    assert.equal(imported.signer.algorithm.oid, sigOid);
    assert.deepEqual(imported.signer.publicKey, imported.publicKey);
    const signature = await imported.signer.sign(data);
    assert.equal(await verifySignature(sigOid, { spki: imported.publicKey, data, signature }), true, path.join('/'));
    assert.equal(await verifySignature(sigOid, { spki: imported.publicKey, data: data.subarray(1), signature }), false);
    // WebCrypto import still says clearly why it cannot take the key.
    await assert.rejects(importPrivateKey(imported.key), (e) => isQtError(e, 'QT_ERR_ALGORITHM_UNSUPPORTED') && /GOST/.test(e.message));
  }
});

test('files without a key, or without the certificate of their key, say so', async () => {
  const pki = opensslPki(s, 'rsa', 'bare');
  mustRun('openssl', ['pkcs12', '-export', '-nokeys', '-in', pki.certPath, '-passout', 'pass:Secret12', '-out', s.path('certs-only.p12')]);
  await assert.rejects(importPkcs12Key(s.read('certs-only.p12'), 'Secret12'), (e) => isQtError(e, 'QT_ERR_PKCS12_NO_KEY'));
  mustRun('openssl', ['pkcs12', '-export', '-nocerts', '-inkey', pki.keyPath, '-passout', 'pass:Secret12', '-out', s.path('key-only.p12')]);
  await assert.rejects(importPkcs12Key(s.read('key-only.p12'), 'Secret12'), (e) => isQtError(e, 'QT_ERR_PKCS12_NO_CERTIFICATE'));
  await assert.rejects(importPkcs12Key(readFixture(...nca.validSignKey), TEST_KEY_PASSWORD, { keyIndex: 1 }), (e) => isQtError(e, 'QT_ERR_PKCS12_NO_KEY'));
});

test('pairing follows localKeyID, falls back to the public key, and refuses a label that points at another key', async () => {
  const sign = await readPkcs12(readFixture(...nca.validSignKey), TEST_KEY_PASSWORD);
  const auth = await readPkcs12(readFixture(...nca.revokedAuthKey), TEST_KEY_PASSWORD);
  const [signKey] = sign.keys;
  const [signCert] = sign.certificates;
  const [authCert] = auth.certificates;
  assert.ok(signKey && signCert && authCert);
  const unlabelled = { ...sign, keys: [{ pkcs8: signKey.pkcs8, algorithmOid: signKey.algorithmOid }], certificates: [{ der: authCert.der }, { der: signCert.der }] };
  assert.deepEqual(pairKeyWithCertificate(unlabelled).certificate, signCert.der);
  assert.deepEqual(pairKeyWithCertificate(unlabelled).chain, [authCert.der]);
  const mislabelled = { ...sign, certificates: [{ der: authCert.der, localKeyId: signKey.localKeyId }] };
  assert.throws(() => pairKeyWithCertificate(mislabelled), (e) => isQtError(e, 'QT_ERR_KEY_MISMATCH'));
});

test('the chain is ordered from the issuer up to the root, with unrelated certificates last', async () => {
  const leaf = pairKeyWithCertificate(await readPkcs12(readFixture(...prod2018.authKey), TEST_KEY_PASSWORD)).certificate;
  const cert = (path: readonly string[]) => derFrom(readFixture(...path), 'CERTIFICATE');
  const [issuing, root, stranger] = [cert(prod2018.ncaRsa), cert(prod2018.rootRsa), cert(prod2018.rootGost)];
  assert.deepEqual(orderChain(leaf, [stranger, root, issuing]), [issuing, root, stranger]);
  assert.deepEqual(orderChain(leaf, [root]), [root]);
});
