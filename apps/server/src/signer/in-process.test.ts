import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';
import { OCSPResponse, BasicOCSPResponse } from '@peculiar/asn1-ocsp';
import { derFrom, isQtError, toArrayBuffer, verifySignature } from '@qoltanba/pki';
import { SoftKeyStore } from '@qoltanba/keystore';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { InProcessSignerProvider } from './in-process.ts';

const tbsOfCertificate = (path: readonly string[]) =>
  new Uint8Array(AsnConvert.serialize(AsnConvert.parse(toArrayBuffer(derFrom(readFixture(...path))), Certificate).tbsCertificate));
const tbsOfCrl = () => new Uint8Array(AsnConvert.serialize(AsnConvert.parse(toArrayBuffer(readFixture(...nca.rsaCrl)), CertificateList).tbsCertList));
const tbsOfOcsp = () => {
  const resp = AsnConvert.parse(toArrayBuffer(readFixture(...nca.ocspIndividualSign2004)), OCSPResponse);
  const basic = AsnConvert.parse(resp.responseBytes!.response.buffer, BasicOCSPResponse);
  return new Uint8Array(AsnConvert.serialize(basic.tbsResponseData));
};

async function withProvider(fn: (p: InProcessSignerProvider) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'qt-signer-'));
  const config = { soft: { dir: join(dir, 'keys'), passphraseEnv: 'QT_TEST_SIGNER_PASSPHRASE' } };
  process.env.QT_TEST_SIGNER_PASSPHRASE = 'correct horse battery staple';
  const store = new SoftKeyStore(config.soft);
  await store.createKey('soft:issuing', { algorithm: 'RSA', bits: 2048 });
  await store.close();
  const provider = new InProcessSignerProvider(config);
  try {
    await fn(provider);
  } finally {
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a key opened for subscriber certificates signs a leaf TBSCertificate and refuses a CA one', async () => {
  await withProvider(async (p) => {
    const signer = await p.signerFor('soft:issuing', 'certificate');
    const leaf = tbsOfCertificate(nca.signCert);
    const sig = await signer.sign(leaf);
    assert.equal(await verifySignature(signer.algorithm.oid, { spki: signer.publicKey, data: leaf, signature: sig }), true);
    await assert.rejects(signer.sign(tbsOfCertificate(nca.rsaCa)), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED') && /CA certificate/.test(e.message));
    const ca = await p.signerFor('soft:issuing', 'ca-certificate');
    await ca.sign(tbsOfCertificate(nca.rsaCa));
  });
});

test('each purpose refuses the other kinds of structure and arbitrary bytes', async () => {
  await withProvider(async (p) => {
    const forCrl = await p.signerFor('soft:issuing', 'crl');
    const forOcsp = await p.signerFor('soft:issuing', 'ocsp');
    const forCert = await p.signerFor('soft:issuing', 'certificate');
    await forCrl.sign(tbsOfCrl());
    await forOcsp.sign(tbsOfOcsp());
    const refused = (e: unknown) => isQtError(e, 'QT_ERR_SIGNING_REFUSED');
    await assert.rejects(forCrl.sign(tbsOfCertificate(nca.signCert)), refused);
    await assert.rejects(forCert.sign(tbsOfCrl()), refused);
    await assert.rejects(forOcsp.sign(tbsOfCrl()), refused);
    await assert.rejects(forCert.sign(new TextEncoder().encode('please sign this transfer order')), refused);
    await assert.rejects(forCert.sign(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), refused);
  });
});

test('an unknown key and a wrong passphrase fail clearly (QT_ERR_CA_PASSPHRASE_WRONG, not "try again later"), and a later call can still succeed', async () => {
  await withProvider(async (p) => {
    await assert.rejects(p.signerFor('soft:nope', 'crl'), (e) => isQtError(e, 'QT_ERR_KEY_NOT_FOUND'));
    process.env.QT_TEST_SIGNER_PASSPHRASE = 'wrong passphrase entirely';
    await assert.rejects(
      p.signerFor('soft:issuing', 'crl'),
      (e) => isQtError(e, 'QT_ERR_CA_PASSPHRASE_WRONG') && /^The CA key passphrase is wrong/.test(e.message) && !/wrong passphrase entirely/.test(e.message),
    );
    process.env.QT_TEST_SIGNER_PASSPHRASE = 'correct horse battery staple';
    await p.signerFor('soft:issuing', 'crl');
  });
});
