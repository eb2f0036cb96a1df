import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { nca, readFixture, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { derFrom } from '../encoding.ts';
import { readPkcs12 } from './read.ts';
import { pairKeyWithCertificate, type KeyWithCertificate } from './key-pairing.ts';
import { writePkcs12 } from './write.ts';
import { mustRun, pemBlocksIn, scratch, tool, type Scratch } from './testing/openssl.ts';

let s: Scratch;
let nca2004: KeyWithCertificate;
let caCertificate: Uint8Array;
const password = 'Secret12';
const ski = 'e3fe35adda3b45cbea3a3f1ed48f263dc55c556e';

before(async () => {
  s = scratch();
  nca2004 = pairKeyWithCertificate(await readPkcs12(readFixture(...nca.validSignKey), TEST_KEY_PASSWORD));
  caCertificate = derFrom(readFixture(...nca.rsaCa), 'CERTIFICATE');
});
after(() => s.remove());

async function writeNcaKey(file: string, legacy: boolean): Promise<string> {
  const der = await writePkcs12({ privateKey: nca2004.key.pkcs8, certificate: nca2004.certificate, chain: [caCertificate], password, legacy });
  return s.write(file, der);
}

function opensslExtract(path: string, extra: string[] = []) {
  const out = mustRun('openssl', ['pkcs12', '-in', path, '-passin', `pass:${password}`, '-nodes', ...extra]).stdout;
  return { keys: pemBlocksIn(out, 'PRIVATE KEY'), certificates: pemBlocksIn(out, 'CERTIFICATE'), text: out };
}

test('our default output opens in OpenSSL 3 without -legacy and is PBES2/AES-256-CBC with a SHA-256 MAC', async () => {
  const path = await writeNcaKey('modern.p12', false);
  const info = mustRun('openssl', ['pkcs12', '-info', '-noout', '-in', path, '-passin', `pass:${password}`]).all;
  assert.match(info, /MAC: sha256, Iteration 2048/);
  assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
  assert.match(info, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
  assert.doesNotMatch(info, /pbeWithSHA1|RC2|sha1/i);
  const extracted = opensslExtract(path);
  assert.deepEqual(extracted.keys, [nca2004.key.pkcs8]);
  assert.deepEqual(extracted.certificates, [nca2004.certificate, caCertificate]);
  assert.match(extracted.text, new RegExp(`friendlyName: ${ski}`));
  assert.match(extracted.text, /localKeyID: E3 FE 35 AD DA 3B 45 CB EA 3A 3F 1E D4 8F 26 3D C5 5C 55 6E/);
  // And openssl holds us to the password.
  const wrong = tool('openssl', ['pkcs12', '-info', '-noout', '-in', path, '-passin', 'pass:Secret13']);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.all, /mac verify/i);
});

test('Java keytool lists our default output as a PrivateKeyEntry with its chain, under the SKI alias', async () => {
  const path = await writeNcaKey('for-keytool.p12', false);
  const out = mustRun('keytool', ['-list', '-v', '-storetype', 'PKCS12', '-keystore', path, '-storepass', password]).stdout;
  assert.match(out, /Your keystore contains 1 entry/);
  assert.match(out, new RegExp(`Alias name: ${ski}`));
  assert.match(out, /Entry type: PrivateKeyEntry/);
  assert.match(out, /Certificate chain length: 2/);
  assert.match(out, /SERIALNUMBER=IIN123456789011/);
  assert.match(out, /Owner: CN=ҰКО 3\.0 \(RSA TEST\), C=KZ/);
});

test("our legacy output is NCA's format: OpenSSL 3 needs -legacy for it, then finds 3DES, RC2-40 and a SHA-1 MAC", async () => {
  const path = await writeNcaKey('legacy.p12', true);
  const without = tool('openssl', ['pkcs12', '-info', '-noout', '-in', path, '-passin', `pass:${password}`]);
  assert.notEqual(without.status, 0, 'RC2 is outside OpenSSL 3 default provider');
  assert.match(without.all, /RC2/);
  const info = mustRun('openssl', ['pkcs12', '-legacy', '-info', '-noout', '-in', path, '-passin', `pass:${password}`]).all;
  assert.match(info, /MAC: sha1, Iteration 2048/);
  assert.match(info, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/);
  assert.match(info, /PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 2048/);
  const extracted = opensslExtract(path, ['-legacy']);
  assert.deepEqual(extracted.keys, [nca2004.key.pkcs8]);
  assert.deepEqual(extracted.certificates, [nca2004.certificate, caCertificate]);
  const listed = mustRun('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', path, '-storepass', password]).stdout;
  assert.match(listed, new RegExp(`${ski}, .*PrivateKeyEntry`));
});
