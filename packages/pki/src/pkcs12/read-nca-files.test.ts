import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { fixturePath, GOST2015_KEY_PASSWORD, nca, prod2018, readFixture, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { toArrayBuffer, toHex, type Bytes } from '../encoding.ts';
import { isQtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { getCrypto } from '../crypto/index.ts';
import { readPkcs12 } from './read.ts';
import { pairKeyWithCertificate } from './key-pairing.ts';
import { mustRun, pemBlocksIn } from './testing/openssl.ts';

interface Fixture {
  path: readonly string[];
  password: string;
  keyOid: string;
  /** The alias NCA gave the key: the README's, or the one in the file name. */
  alias?: string;
}

const rsaFiles: Fixture[] = [
  { path: nca.validSignKey, password: TEST_KEY_PASSWORD, keyOid: oid.rsaEncryption, alias: 'e3fe35adda3b45cbea3a3f1ed48f263dc55c556e' },
  { path: nca.revokedAuthKey, password: TEST_KEY_PASSWORD, keyOid: oid.rsaEncryption },
  { path: nca.revokedSignKey, password: TEST_KEY_PASSWORD, keyOid: oid.rsaEncryption },
  { path: prod2018.authKey, password: TEST_KEY_PASSWORD, keyOid: oid.rsaEncryption, alias: '6b361b864c679601b652fe387f61fcd9303c0327' },
  { path: prod2018.signKey, password: TEST_KEY_PASSWORD, keyOid: oid.rsaEncryption, alias: '8426360556902ce4ac33977836f873e1dc190976' },
];
const gostFiles: Fixture[] = [
  { path: nca.ceoSignRevoked2004Key, password: TEST_KEY_PASSWORD, keyOid: oid.kzGost2004Key },
  { path: nca.valid2015Key, password: GOST2015_KEY_PASSWORD, keyOid: oid.kzGost2015_512Key, alias: '8ff06211dc82beb00253ffa000f1de84abef454f' },
  { path: nca.ceoRevoked2015Key, password: GOST2015_KEY_PASSWORD, keyOid: oid.kzGost2015_512Key },
  { path: prod2018.gostKey, password: TEST_KEY_PASSWORD, keyOid: oid.kzGost2004Key, alias: 'f8a422238209b6e753116431b69b09178f14e9d7' },
];
const name = (f: Fixture) => f.path.join('/');

function certificateSki(der: Uint8Array): string {
  const ext = AsnConvert.parse(toArrayBuffer(der), Certificate).tbsCertificate.extensions?.find((e) => e.extnID === oid.subjectKeyIdentifier);
  assert.ok(ext, 'the certificate has an SKI');
  return toHex(AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier).buffer);
}

function certificateKeyOid(der: Uint8Array): string {
  return AsnConvert.parse(toArrayBuffer(der), Certificate).tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm;
}

/** n and e of an RSA key through WebCrypto's JWK export: a route independent of our own key matching. */
async function rsaPublicParts(kind: 'pkcs8' | 'spki', der: Bytes): Promise<{ n?: string; e?: string }> {
  const subtle = getCrypto().subtle;
  const key = await subtle.importKey(kind, der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, [kind === 'pkcs8' ? 'sign' : 'verify']);
  const jwk = await subtle.exportKey('jwk', key);
  return { n: jwk.n, e: jwk.e };
}

function spkiOf(certificate: Uint8Array): Bytes {
  return new Uint8Array(AsnConvert.serialize(AsnConvert.parse(toArrayBuffer(certificate), Certificate).tbsCertificate.subjectPublicKeyInfo));
}

test('every NCA RSA key file opens and yields the RSA key of its own certificate, labelled with its SKI', async () => {
  for (const f of rsaFiles) {
    const contents = await readPkcs12(readFixture(...f.path), f.password);
    assert.equal(contents.keys.length, 1, name(f));
    assert.equal(contents.certificates.length, 1, name(f));
    const [key] = contents.keys;
    const [cert] = contents.certificates;
    assert.ok(key && cert);
    assert.equal(key.algorithmOid, oid.rsaEncryption);
    const ski = certificateSki(cert.der);
    assert.equal(key.localKeyId, ski, name(f));
    assert.equal(key.friendlyName, ski, name(f));
    assert.equal(cert.localKeyId, ski, name(f));
    assert.equal(cert.friendlyName, ski, name(f));
    if (f.alias) assert.equal(ski, f.alias, name(f));
    assert.deepEqual(await rsaPublicParts('pkcs8', key.pkcs8), await rsaPublicParts('spki', spkiOf(cert.der)), name(f));
    assert.deepEqual(contents.mac, { algorithm: 'SHA-1', iterations: 1024 });
    assert.deepEqual(contents.protection, {
      key: 'pbeWithSHAAnd3-KeyTripleDES-CBC, 1024 iterations',
      certs: 'pbeWithSHAAnd40BitRC2-CBC, 1024 iterations',
    });
    assert.equal(contents.legacy, true);
  }
});

test('the key and certificate read from NCA files are byte for byte what openssl -legacy extracts', async () => {
  for (const f of rsaFiles) {
    const out = mustRun('openssl', ['pkcs12', '-legacy', '-in', fixturePath(...f.path), '-passin', `pass:${f.password}`, '-nodes']).stdout;
    const contents = await readPkcs12(readFixture(...f.path), f.password);
    assert.deepEqual(contents.keys.map((k) => k.pkcs8), pemBlocksIn(out, 'PRIVATE KEY'), name(f));
    assert.deepEqual(contents.certificates.map((c) => c.der), pemBlocksIn(out, 'CERTIFICATE'), name(f));
  }
});

test('NCA GOST key files (2004 and 2015 keys) open as containers and report key algorithm and certificate', async () => {
  for (const f of gostFiles) {
    const contents = await readPkcs12(readFixture(...f.path), f.password);
    assert.equal(contents.keys.length, 1, name(f));
    assert.equal(contents.certificates.length, 1, name(f));
    const [key] = contents.keys;
    const [cert] = contents.certificates;
    assert.ok(key && cert);
    assert.equal(key.algorithmOid, f.keyOid, name(f));
    assert.equal(certificateKeyOid(cert.der), f.keyOid, name(f));
    const ski = certificateSki(cert.der);
    assert.equal(key.localKeyId, ski, name(f));
    assert.equal(key.friendlyName, ski, name(f));
    if (f.alias) assert.equal(ski, f.alias, name(f));
    // The raw PKCS#8 is kept for the GOST signer to come; pairing works through localKeyID.
    assert.ok(key.pkcs8.length > 64 && key.pkcs8[0] === 0x30, name(f));
    assert.deepEqual(pairKeyWithCertificate(contents).certificate, cert.der, name(f));
  }
});

async function codeOf(promise: Promise<unknown>): Promise<QtErrorCode | 'opened'> {
  try {
    await promise;
    return 'opened';
  } catch (e) {
    assert.ok(isQtError(e), `a QtError, not ${String(e)}`);
    return e.code;
  }
}

test('a wrong password is reported as such for every NCA key file', async () => {
  for (const f of [...rsaFiles, ...gostFiles]) {
    assert.equal(await codeOf(readPkcs12(readFixture(...f.path), 'Qwerty13')), 'QT_ERR_PKCS12_PASSWORD', name(f));
  }
  assert.equal(await codeOf(readPkcs12(readFixture(...nca.valid2015Key), TEST_KEY_PASSWORD)), 'QT_ERR_PKCS12_PASSWORD');
  assert.equal(await codeOf(readPkcs12(readFixture(...nca.validSignKey), '')), 'QT_ERR_PKCS12_PASSWORD');
});

/** Offsets inside KEY_INDIVIDUAL_VALID_SIGN_2004.p12 (from `openssl asn1parse`). */
const signKeyLayout = { keyCiphertext: 200, certCiphertext: 2000, macValue: 3330, macSalt: 3355 };

test('a file with one flipped byte is reported as damaged, not as a wrong password, wherever the byte is', async () => {
  const original = readFixture(...nca.validSignKey);
  const flipped = (at: number) => {
    const copy = original.slice();
    copy[at]! ^= 0x01;
    return copy;
  };
  for (const [where, at] of Object.entries(signKeyLayout)) {
    assert.equal(await codeOf(readPkcs12(flipped(at), TEST_KEY_PASSWORD)), 'QT_ERR_PKCS12_MALFORMED', where);
  }
  // Elsewhere a flip may also turn an algorithm OID into one we do not know; it never opens.
  for (let at = 0; at < original.length; at += 149) {
    const code = await codeOf(readPkcs12(flipped(at), TEST_KEY_PASSWORD));
    assert.ok(code === 'QT_ERR_PKCS12_MALFORMED' || code === 'QT_ERR_ALGORITHM_UNSUPPORTED', `byte ${at}: ${code}`);
  }
});

test('truncated files, garbage, empty input and oversize input get precise codes', async () => {
  const original = readFixture(...prod2018.signKey);
  for (const length of [1, 2, 10, 100, original.length / 2, original.length - 30, original.length - 1]) {
    assert.equal(await codeOf(readPkcs12(original.subarray(0, length), TEST_KEY_PASSWORD)), 'QT_ERR_PKCS12_MALFORMED', `${length} bytes`);
  }
  const garbage = new Uint8Array(4000).map((_, i) => (i * 7919) & 0xff);
  assert.equal(await codeOf(readPkcs12(garbage, TEST_KEY_PASSWORD)), 'QT_ERR_PKCS12_MALFORMED');
  assert.equal(await codeOf(readPkcs12(new TextEncoder().encode('-----BEGIN CERTIFICATE-----'), 'x')), 'QT_ERR_PKCS12_MALFORMED');
  assert.equal(await codeOf(readPkcs12(new Uint8Array(0), 'x')), 'QT_ERR_PKCS12_MALFORMED');
  // A certificate is well-formed DER but not a key file.
  assert.equal(await codeOf(readPkcs12(readFixture(...nca.gost2015Ca), 'x')), 'QT_ERR_PKCS12_MALFORMED');
  assert.equal(await codeOf(readPkcs12(original, TEST_KEY_PASSWORD, { maxBytes: 1000 })), 'QT_ERR_TOO_LARGE');
  assert.equal(await codeOf(readPkcs12(original, 'x'.repeat(5000))), 'QT_ERR_TOO_LARGE');
});
