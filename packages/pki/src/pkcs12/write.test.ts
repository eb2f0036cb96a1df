import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { nca, readFixture, TEST_KEY_PASSWORD, GOST2015_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { bytesEqual, derFrom, toPem } from '../encoding.ts';
import { isQtError } from '@qoltanba/errors';
import { getCrypto } from '../crypto/index.ts';
import { readPkcs12 } from './read.ts';
import { pairKeyWithCertificate, type KeyWithCertificate } from './key-pairing.ts';
import { writePkcs12 } from './write.ts';
import { opensslPki, scratch, type OpensslPki, type Scratch } from './testing/openssl.ts';

let s: Scratch;
let pki: OpensslPki;
let ncaSign: KeyWithCertificate;

before(async () => {
  s = scratch();
  pki = opensslPki(s);
  ncaSign = pairKeyWithCertificate(await readPkcs12(readFixture(...nca.validSignKey), TEST_KEY_PASSWORD));
});
after(() => s.remove());

test('write then read gives back the same key, certificate and chain, in both the modern and the legacy form', async () => {
  for (const legacy of [false, true]) {
    const der = await writePkcs12({ privateKey: pki.pkcs8, certificate: pki.certificate, chain: [pki.caCertificate], password: 'Secret12', legacy });
    const contents = await readPkcs12(der, 'Secret12');
    assert.equal(contents.legacy, legacy);
    assert.equal(contents.mac?.algorithm, legacy ? 'SHA-1' : 'SHA-256');
    const paired = pairKeyWithCertificate(contents);
    assert.deepEqual(paired.key.pkcs8, pki.pkcs8);
    assert.deepEqual(paired.certificate, pki.certificate);
    assert.deepEqual(paired.chain, [pki.caCertificate]);
    assert.equal(paired.key.localKeyId, pki.ski, 'localKeyID defaults to the SKI');
    assert.equal(paired.key.friendlyName, pki.ski, 'friendlyName defaults to the hex SKI');
  }
});

test('an NCA key file re-saved in the modern form keeps its key, certificate and SKI labels', async () => {
  const der = await writePkcs12({ privateKey: ncaSign.key.pkcs8, certificate: ncaSign.certificate, password: 'Qwerty12' });
  const again = pairKeyWithCertificate(await readPkcs12(der, 'Qwerty12'));
  assert.deepEqual(again.key, ncaSign.key);
  assert.deepEqual(again.certificate, ncaSign.certificate);
});

test('GOST keys survive re-saving byte for byte, though we cannot yet check them against the certificate', async () => {
  const gost = pairKeyWithCertificate(await readPkcs12(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD));
  const der = await writePkcs12({ privateKey: gost.key.pkcs8, certificate: gost.certificate, password: 'Aa123456' });
  const again = pairKeyWithCertificate(await readPkcs12(der, 'Aa123456'));
  assert.deepEqual(again.key, gost.key);
  assert.deepEqual(again.certificate, gost.certificate);
});

test('salts and IVs are fresh for every file, so the same inputs never give the same bytes', async () => {
  const input = { privateKey: pki.pkcs8, certificate: pki.certificate, password: 'Secret12' };
  const [a, b] = await Promise.all([writePkcs12(input), writePkcs12(input)]);
  assert.equal(bytesEqual(a, b), false);
});

test('labels, iterations and PEM certificates can be given; an extractable CryptoKey is accepted', async () => {
  const privateKey = await getCrypto().subtle.importKey('pkcs8', pki.pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  const der = await writePkcs12({
    privateKey,
    certificate: toPem('CERTIFICATE', pki.certificate),
    chain: [toPem('CERTIFICATE', pki.caCertificate)],
    password: 'Secret12',
    friendlyName: 'Менің ЭЦҚ кілтім',
    localKeyId: '0A0B0C',
    iterations: 4096,
  });
  const contents = await readPkcs12(der, 'Secret12');
  assert.deepEqual(contents.mac, { algorithm: 'SHA-256', iterations: 4096 });
  assert.match(contents.protection.key, /4096 iterations/);
  const paired = pairKeyWithCertificate(contents);
  assert.equal(paired.key.friendlyName, 'Менің ЭЦҚ кілтім');
  assert.equal(paired.key.localKeyId, '0a0b0c');
  assert.deepEqual(paired.key.pkcs8, pki.pkcs8);
  assert.deepEqual(paired.chain, [pki.caCertificate]);
});

test('bad inputs are refused with precise codes before anything is written', async () => {
  const base = { privateKey: pki.pkcs8, certificate: pki.certificate, password: 'Secret12' };
  const rejects = (options: Parameters<typeof writePkcs12>[0], code: Parameters<typeof isQtError>[1]) =>
    assert.rejects(writePkcs12(options), (e) => isQtError(e, code));
  await rejects({ ...base, privateKey: ncaSign.key.pkcs8 }, 'QT_ERR_KEY_MISMATCH');
  await rejects({ ...base, privateKey: new Uint8Array([0x30, 0x03, 0x02, 0x01]) }, 'QT_ERR_INPUT_INVALID');
  await rejects({ ...base, certificate: new Uint8Array([1, 2, 3]) }, 'QT_ERR_CERT_MALFORMED');
  await rejects({ ...base, chain: ['not a certificate'] }, 'QT_ERR_CERT_MALFORMED');
  await rejects({ ...base, iterations: 10 }, 'QT_ERR_INPUT_INVALID');
  await rejects({ ...base, iterations: 1e9 }, 'QT_ERR_INPUT_INVALID');
  await rejects({ ...base, localKeyId: 'not hex' }, 'QT_ERR_INPUT_INVALID');
  const locked = await getCrypto().subtle.importKey('pkcs8', pki.pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  await rejects({ ...base, privateKey: locked }, 'QT_ERR_INPUT_INVALID');
  // The CA certificate is real, but it is not this key's.
  await rejects({ ...base, certificate: derFrom(readFixture(...nca.rsaCa), 'CERTIFICATE') }, 'QT_ERR_KEY_MISMATCH');
});
