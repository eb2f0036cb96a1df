import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture, nca, prod2018 } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { verifyCrl } from './verify.ts';

const rsaCrl = () => readFixture(...nca.rsaCrl);
const rsaCa = () => readFixture(...nca.rsaCa);

test('the NCA RSA test CRL verifies with the ҰКО 3.0 (RSA TEST) certificate, and is current inside its window', async () => {
  const crl = await verifyCrl(rsaCrl(), rsaCa(), { at: new Date('2022-04-01T00:00:00Z') });
  assert.equal(crl.entryCount, 126);
});

test('a CRL checked outside its window is QT_ERR_CRL_STALE (before thisUpdate and after nextUpdate)', async () => {
  for (const at of ['2022-03-01T00:00:00Z', '2022-10-01T00:00:00Z']) {
    await assert.rejects(verifyCrl(rsaCrl(), rsaCa(), { at: new Date(at) }), (e) => isQtError(e, 'QT_ERR_CRL_STALE'), at);
  }
});

test('one flipped byte in the signed part or in the signature fails with QT_ERR_SIGNATURE_INVALID', async () => {
  const inTbs = rsaCrl().slice();
  // A revocation-date digit of the first entry: still well-formed, no longer what the CA signed.
  inTbs[140]! ^= 0x01;
  await assert.rejects(verifyCrl(inTbs, rsaCa()), (e) => isQtError(e, 'QT_ERR_SIGNATURE_INVALID'));
  const inSignature = rsaCrl().slice();
  inSignature[inSignature.length - 5]! ^= 0x80;
  await assert.rejects(verifyCrl(inSignature, rsaCa()), (e) => isQtError(e, 'QT_ERR_SIGNATURE_INVALID'));
});

test('a CRL checked against another CA is QT_ERR_CRL_ISSUER_MISMATCH, not a bare signature failure', async () => {
  await assert.rejects(verifyCrl(rsaCrl(), readFixture(...prod2018.ncaRsa)), (e) => isQtError(e, 'QT_ERR_CRL_ISSUER_MISMATCH'));
});

test('the NCA GOST CRLs (GOST 34.310-2004, 31 entries; GOST 34.10-2015 512, 6 entries) verify against their CAs', async () => {
  const gost = await verifyCrl(readFixture(...nca.gostCrl), readFixture(...nca.gostCa));
  assert.equal(gost.entryCount, 31);
  const gost2022 = await verifyCrl(readFixture(...nca.gost2022Crl), readFixture(...nca.gost2015Ca), { at: new Date('2022-09-01T00:00:00Z') });
  assert.equal(gost2022.entryCount, 6);
  for (const [crl, ca] of [[nca.gostCrl, nca.gostCa], [nca.gost2022Crl, nca.gost2015Ca]] as const) {
    const flipped = readFixture(...crl).slice();
    flipped[flipped.length - 7]! ^= 0x01; // inside the signature value
    await assert.rejects(verifyCrl(flipped, readFixture(...ca)), (e) => isQtError(e, 'QT_ERR_SIGNATURE_INVALID'));
  }
});

test('a malformed issuer certificate is QT_ERR_CERT_MALFORMED', async () => {
  await assert.rejects(verifyCrl(rsaCrl(), rsaCa().subarray(0, 100)), (e) => isQtError(e, 'QT_ERR_CERT_MALFORMED'));
});
