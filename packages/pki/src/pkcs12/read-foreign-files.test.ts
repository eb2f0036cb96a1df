import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/errors';
import { readPkcs12 } from './read.ts';
import { pairKeyWithCertificate } from './key-pairing.ts';
import { mustRun, opensslPki, scratch, type OpensslPki, type Scratch } from './testing/openssl.ts';

let s: Scratch;
let pki: OpensslPki;

before(() => {
  s = scratch();
  pki = opensslPki(s);
});
after(() => s.remove());

/** `openssl pkcs12 -export` of the test leaf + CA with extra options; returns the file's bytes. */
function opensslExport(file: string, password: string, options: string[]): Uint8Array {
  mustRun('openssl', [
    'pkcs12', '-export', '-inkey', pki.keyPath, '-in', pki.certPath, '-certfile', pki.caCertPath,
    '-passout', `pass:${password}`, '-out', s.path(file), ...options,
  ]);
  return s.read(file);
}

async function expectLeafAndChain(der: Uint8Array, password: string) {
  const contents = await readPkcs12(der, password);
  assert.equal(contents.keys.length, 1);
  assert.deepEqual(contents.keys[0]?.pkcs8, pki.pkcs8);
  const paired = pairKeyWithCertificate(contents);
  assert.deepEqual(paired.certificate, pki.certificate);
  assert.deepEqual(paired.chain, [pki.caCertificate]);
  return contents;
}

test("files openssl writes in NCA's style (3DES key, RC2-40 certificates, SHA-1 MAC, hex-SKI name) open", async () => {
  const der = opensslExport('nca-style.p12', 'Qwerty12', [
    '-legacy', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-RC2-40', '-macalg', 'sha1', '-iter', '1024', '-name', pki.ski,
  ]);
  const contents = await expectLeafAndChain(der, 'Qwerty12');
  assert.equal(contents.keys[0]?.friendlyName, pki.ski);
  assert.equal(contents.certificates.find((c) => c.localKeyId)?.friendlyName, pki.ski);
  assert.deepEqual(contents.mac, { algorithm: 'SHA-1', iterations: 1024 });
  assert.deepEqual(contents.protection, {
    key: 'pbeWithSHAAnd3-KeyTripleDES-CBC, 1024 iterations',
    certs: 'pbeWithSHAAnd40BitRC2-CBC, 1024 iterations',
  });
  assert.equal(contents.legacy, true);
});

test("files in OpenSSL 3's default modern form (PBES2/AES-256-CBC, SHA-256 MAC) open", async () => {
  const contents = await expectLeafAndChain(opensslExport('modern.p12', 'Secret12', ['-name', pki.ski]), 'Secret12');
  assert.deepEqual(contents.mac, { algorithm: 'SHA-256', iterations: 2048 });
  assert.deepEqual(contents.protection, {
    key: 'PBES2 (PBKDF2 HMAC-SHA-256, AES-256-CBC, 2048 iterations)',
    certs: 'PBES2 (PBKDF2 HMAC-SHA-256, AES-256-CBC, 2048 iterations)',
  });
  assert.equal(contents.legacy, false);
});

test('every other encryption and MAC openssl can write opens too', async () => {
  const variants: { options: string[]; key: RegExp; certs: RegExp; mac: string }[] = [
    { options: ['-legacy', '-keypbe', 'PBE-SHA1-2DES', '-certpbe', 'PBE-SHA1-RC2-128', '-macalg', 'sha512'], key: /2-KeyTripleDES/, certs: /128BitRC2/, mac: 'SHA-512' },
    { options: ['-legacy', '-keypbe', 'PBE-SHA1-RC2-40', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha384'], key: /40BitRC2/, certs: /3-KeyTripleDES/, mac: 'SHA-384' },
    { options: ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-192-CBC', '-macalg', 'sha1'], key: /AES-128-CBC/, certs: /AES-192-CBC/, mac: 'SHA-1' },
    { options: ['-keypbe', 'DES-EDE3-CBC', '-certpbe', 'NONE'], key: /^PBES2 .*DES-EDE3-CBC/, certs: /^none$/, mac: 'SHA-256' },
    { options: ['-keypbe', 'NONE', '-certpbe', 'NONE'], key: /^none$/, certs: /^none$/, mac: 'SHA-256' },
  ];
  for (const [i, v] of variants.entries()) {
    const contents = await expectLeafAndChain(opensslExport(`variant-${i}.p12`, 'Secret12', v.options), 'Secret12');
    assert.match(contents.protection.key, v.key, v.options.join(' '));
    assert.match(contents.protection.certs, v.certs, v.options.join(' '));
    assert.equal(contents.mac?.algorithm, v.mac, v.options.join(' '));
  }
});

test('a file without a MAC opens, and a wrong password is still recognised by failed decryption', async () => {
  const der = opensslExport('nomac.p12', 'Secret12', ['-nomac']);
  const contents = await expectLeafAndChain(der, 'Secret12');
  assert.equal(contents.mac, undefined);
  await assert.rejects(readPkcs12(der, 'Secret13'), (e) => isQtError(e, 'QT_ERR_PKCS12_PASSWORD'));
});

test('non-ASCII passwords are encoded as OpenSSL encodes them (UTF-16 for the MAC and PBE, UTF-8 for PBKDF2)', async () => {
  const password = 'Құпия1Сөз';
  await expectLeafAndChain(opensslExport('utf8-modern.p12', password, []), password);
  await expectLeafAndChain(opensslExport('utf8-legacy.p12', password, ['-legacy']), password);
});

test('files Java keytool writes (PBKDF2 with HMAC-SHA512 and HMAC-SHA1, SHA-512 MAC) open and pair', async () => {
  opensslExport('for-java.p12', 'Secret12', ['-name', 'qoltanba']);
  mustRun('keytool', [
    '-importkeystore', '-noprompt', '-srckeystore', s.path('for-java.p12'), '-srcstoretype', 'PKCS12', '-srcstorepass', 'Secret12',
    '-destkeystore', s.path('java.p12'), '-deststoretype', 'PKCS12', '-deststorepass', 'Secret12',
    '-J-Dkeystore.pkcs12.keyProtectionAlgorithm=PBEWithHmacSHA512AndAES_128',
    '-J-Dkeystore.pkcs12.certProtectionAlgorithm=PBEWithHmacSHA1AndAES_256',
    '-J-Dkeystore.pkcs12.macAlgorithm=HmacPBESHA512',
  ]);
  const contents = await readPkcs12(s.read('java.p12'), 'Secret12');
  assert.equal(contents.keys[0]?.friendlyName, 'qoltanba');
  assert.match(contents.protection.key, /HMAC-SHA-512, AES-128-CBC/);
  assert.match(contents.protection.certs, /HMAC-SHA-1, AES-256-CBC/);
  assert.deepEqual(contents.mac, { algorithm: 'SHA-512', iterations: 10000 });
  const paired = pairKeyWithCertificate(contents);
  assert.deepEqual(paired.certificate, pki.certificate);
  assert.deepEqual(paired.chain, [pki.caCertificate]);
});
