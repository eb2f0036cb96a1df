import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { isQtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { derFrom, type Bytes } from '../encoding.ts';
import { generateRsaKeyPair, webCryptoSigner, type Signer } from '../crypto/index.ts';
import { createCsr } from './create.ts';
import { parseCsr } from './parse.ts';
import { verifyCsr } from './verify.ts';

const dir = mkdtempSync(join(tmpdir(), 'qt-csr-'));
const csrs: Record<string, Bytes> = {};

/** `openssl req -new` with a fresh key; returns the PEM CSR as bytes. */
function opensslCsr(name: string, keyArgs: string[], extra: string[] = []): void {
  const out = join(dir, `${name}.csr`);
  execFileSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', out, '-utf8', '-subj', '/CN=ИВАНОВ ИВАН/C=KZ', ...extra], {
    stdio: 'ignore',
  });
  csrs[name] = new Uint8Array(readFileSync(out));
}

before(() => {
  opensslCsr('rsa2048', ['-newkey', 'rsa:2048']);
  opensslCsr('rsa1024', ['-newkey', 'rsa:1024']);
  opensslCsr('exp3', ['-newkey', 'rsa:2048', '-pkeyopt', 'rsa_keygen_pubexp:3']);
  opensslCsr('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  opensslCsr('pss', ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048']);
  opensslCsr('sha1', ['-newkey', 'rsa:2048', '-sha1']);
  opensslCsr('ca', ['-newkey', 'rsa:2048'], ['-addext', 'basicConstraints=critical,CA:TRUE']);
  opensslCsr('certsign', ['-newkey', 'rsa:2048'], ['-addext', 'keyUsage=critical,digitalSignature,keyCertSign']);
  opensslCsr('email', ['-newkey', 'rsa:2048'], ['-addext', 'subjectAltName=email:ivanov@example.kz', '-addext', 'keyUsage=digitalSignature']);
});

async function rejects(input: Parameters<typeof verifyCsr>[0], code: QtErrorCode, why?: RegExp): Promise<void> {
  await assert.rejects(verifyCsr(input), (e) => isQtError(e, code) && (!why || why.test(e.message)));
}

test('an openssl RSA-2048 CSR is read and verified', async () => {
  const csr = await verifyCsr(csrs.rsa2048!);
  assert.equal(csr.subject.display, 'CN=ИВАНОВ ИВАН, C=KZ');
  assert.deepEqual([csr.publicKey.algorithm, csr.publicKey.bits, csr.publicKey.exponent], ['RSA', 2048, 65537]);
  assert.equal(csr.signatureAlgorithm.oid, oid.sha256WithRsa);
  assert.equal(csr.requestsCa, false);
});

test('weak, small-exponent, EC, RSA-PSS and SHA-1-signed requests are refused with their own codes', async () => {
  await rejects(csrs.rsa1024!, 'QT_ERR_KEY_WEAK', /1024 bits/);
  await rejects(csrs.exp3!, 'QT_ERR_KEY_EXPONENT', /is 3/);
  await rejects(csrs.ec!, 'QT_ERR_ALGORITHM_UNSUPPORTED', /EC keys/);
  await rejects(csrs.pss!, 'QT_ERR_ALGORITHM_UNSUPPORTED');
  await rejects(csrs.sha1!, 'QT_ERR_ALGORITHM_UNSUPPORTED', /SHA-1/);
});

test('a request for CA powers (basicConstraints cA, keyCertSign) is refused', async () => {
  await rejects(csrs.ca!, 'QT_ERR_CSR_REQUESTS_CA');
  await rejects(csrs.certsign!, 'QT_ERR_CSR_REQUESTS_CA');
  assert.equal(parseCsr(csrs.ca!).requestsCa, true);
});

test('requested extensions are listed without being granted', async () => {
  const csr = await verifyCsr(csrs.email!);
  assert.deepEqual(csr.requestedExtensions.map((e) => e.name).sort(), ['keyUsage', 'subjectAltName']);
  assert.deepEqual(csr.requestedKeyUsage, ['digitalSignature']);
});

test('a flipped signature byte, or a changed subject, fails proof of possession', async () => {
  const der = derFrom(csrs.rsa2048!).slice();
  der[der.length - 10]! ^= 0x01;
  await rejects(der, 'QT_ERR_CSR_SIGNATURE_INVALID');
  // One bit of the subject, inside the signed request info, changed.
  const changed = derFrom(csrs.rsa2048!).slice();
  const at = Buffer.from(changed).indexOf(Buffer.from('ИВАН'));
  changed[at + 1]! ^= 0x01;
  await rejects(changed, 'QT_ERR_CSR_SIGNATURE_INVALID');
});

test('garbage, truncation, a certificate instead of a CSR, and oversize input are refused', async () => {
  const der = derFrom(csrs.rsa2048!);
  for (let n = 1; n < der.length; n += 13) await rejects(der.subarray(0, n), 'QT_ERR_CSR_MALFORMED');
  await rejects(readFixture(...nca.signCert), 'QT_ERR_CSR_MALFORMED');
  await rejects(new TextEncoder().encode('not a request'), 'QT_ERR_CSR_MALFORMED');
  await rejects('-----BEGIN CERTIFICATE REQUEST-----\n@@@\n-----END CERTIFICATE REQUEST-----', 'QT_ERR_CSR_MALFORMED');
  await rejects(new Uint8Array(200_000).fill(0x30), 'QT_ERR_TOO_LARGE');
  const v2 = der.slice();
  v2[Buffer.from(v2).indexOf(Buffer.from([0x02, 0x01, 0x00])) + 2] = 1;
  await rejects(v2, 'QT_ERR_CSR_MALFORMED', /version 2/);
});

test('a key above 8192 bits is refused before its signature is even checked', async () => {
  const modulus = new Uint8Array(1089).fill(0xff); // 0x00 sign byte + 1088 bytes = 8704 bits
  modulus[0] = 0;
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: oid.rsaEncryption, parameters: new Uint8Array([5, 0]).buffer }),
    subjectPublicKey: AsnConvert.serialize(new RSAPublicKey({ modulus: modulus.buffer, publicExponent: new Uint8Array([1, 0, 1]).buffer })),
  });
  let signed = 0;
  const signer: Signer = {
    publicKey: new Uint8Array(AsnConvert.serialize(spki)),
    algorithm: { oid: oid.sha256WithRsa, parameters: new Uint8Array([5, 0]) },
    async sign() {
      signed++;
      return new Uint8Array(1088);
    },
  };
  const { der } = await createCsr(signer);
  assert.equal(signed, 1);
  await rejects(der, 'QT_ERR_TOO_LARGE', /8704 bits/);
});

test('createCsr makes requests openssl verifies, with or without a subject', async () => {
  const keys = await generateRsaKeyPair(2048);
  const signer = await webCryptoSigner(keys.privateKey, keys.publicKey);
  for (const [name, subject] of [
    ['with-subject', [{ type: 'CN', value: 'ТЕСТОВ ТЕСТ' }, { type: 'SERIALNUMBER', value: 'IIN123456789011' }, { type: 'C', value: 'KZ' }]],
    ['empty', undefined],
  ] as const) {
    const { der, pem } = await createCsr(signer, subject);
    const file = join(dir, `${name}.csr`);
    writeFileSync(file, pem);
    const out = execFileSync('openssl', ['req', '-in', file, '-verify', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    if (subject) assert.match(out, /subject=CN=ТЕСТОВ ТЕСТ, serialNumber=IIN123456789011, C=KZ/);
    const csr = await verifyCsr(der);
    assert.deepEqual(csr.publicKey.spki, signer.publicKey);
  }
});

test('a CSR made by createCsr from a 1024-bit key is refused like openssl ones', async () => {
  const keys = await generateRsaKeyPair(1024);
  const { der } = await createCsr(await webCryptoSigner(keys.privateKey, keys.publicKey));
  await rejects(der, 'QT_ERR_KEY_WEAK');
});
