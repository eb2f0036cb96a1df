import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture, nca, prod2018 } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { fromHex } from '../encoding.ts';
import { verifyOcspResponse } from './verify-response.ts';
import { buildOcspErrorResponse } from './build-response.ts';

const rsaResponse = () => readFixture(...nca.ocspIndividualSign2004);
const rsaCa = () => readFixture(...nca.rsaCa);
const producedAt = new Date('2022-09-02T16:53:59Z');

test('the NCA RSA response verifies as of its producedAt through its delegated responder and says good', async () => {
  const verdict = await verifyOcspResponse(rsaResponse(), { issuer: rsaCa(), at: producedAt, nonce: fromHex('b5e5c9b552cbcac4') });
  assert.equal(verdict.responder.delegated, true);
  assert.match(verdict.responder.subject, /СЕРВИС ПРОВЕРКИ ОНЛАЙН СТАТУСА СЕРТИФИКАТА/);
  assert.equal(verdict.responses.length, 1);
  assert.equal(verdict.responses[0]?.certId.serial, '4279390A141F5353A62947B61ED65E81741467D1');
  assert.equal(verdict.responses[0]?.status, 'good');
});

test('a nonce other than the one sent is QT_ERR_OCSP_NONCE_MISMATCH', async () => {
  await assert.rejects(verifyOcspResponse(rsaResponse(), { issuer: rsaCa(), at: producedAt, nonce: fromHex('0001020304050607') }), (e) =>
    isQtError(e, 'QT_ERR_OCSP_NONCE_MISMATCH'),
  );
});

test('freshness is judged as of the given time: before production, or older than maxAge, is QT_ERR_OCSP_STALE', async () => {
  const stale = (e: unknown) => isQtError(e, 'QT_ERR_OCSP_STALE');
  await assert.rejects(verifyOcspResponse(rsaResponse(), { issuer: rsaCa(), at: new Date('2022-09-02T12:00:00Z') }), stale);
  await assert.rejects(
    verifyOcspResponse(rsaResponse(), { issuer: rsaCa(), at: new Date('2022-09-03T16:53:59Z'), maxAgeSeconds: 3600 }),
    stale,
  );
  // Without nextUpdate or maxAge the answer holds from thisUpdate on.
  await verifyOcspResponse(rsaResponse(), { issuer: rsaCa(), at: new Date('2022-09-03T16:53:59Z') });
});

test('the responder is refused when its certificate has expired at the given time, or the CA is another one', async () => {
  const unauthorized = (e: unknown) => isQtError(e, 'QT_ERR_OCSP_RESPONDER_UNAUTHORIZED');
  await assert.rejects(verifyOcspResponse(rsaResponse(), { issuer: rsaCa(), at: new Date('2023-06-01T00:00:00Z') }), unauthorized);
  await assert.rejects(verifyOcspResponse(rsaResponse(), { issuer: readFixture(...prod2018.ncaRsa), at: producedAt }), unauthorized);
});

test('a flipped byte in the signed response data is QT_ERR_SIGNATURE_INVALID', async () => {
  const der = rsaResponse().slice();
  const at = Buffer.from(der).indexOf(Buffer.from('b5e5c9b552cbcac4', 'hex'));
  der[at]! ^= 0x01;
  await assert.rejects(verifyOcspResponse(der, { issuer: rsaCa(), at: producedAt }), (e) => isQtError(e, 'QT_ERR_SIGNATURE_INVALID'));
});

test('the GOST-signed NCA responses (2004 and 2015-512) verify through their delegated GOST responders', async () => {
  const cases = [
    [nca.ocspCeoSign2004Revoked, nca.gostCa, '12E3E7B9966D09EB9CDA64251457E815C2A8DDED'],
    [nca.ocspCeo2015Revoked, nca.gost2015Ca, '3A90343E720594C55204B19CB9A402422EF0E622'],
    [nca.ocspIndividual2015, nca.gost2015Ca, '0FF06211DC82BEB00253FFA000F1DE84ABEF454F'],
  ] as const;
  for (const [response, ca, serial] of cases) {
    const verdict = await verifyOcspResponse(readFixture(...response), { issuer: readFixture(...ca), at: new Date('2022-09-02T17:00:00Z') });
    assert.equal(verdict.responder.delegated, true, response.join('/'));
    assert.equal(verdict.responses[0]?.certId.serial, serial);
    assert.equal(verdict.responses[0]?.status, 'revoked');
    // The same bytes with one bit of the signed data changed no longer verify.
    const der = readFixture(...response).slice();
    const at = Buffer.from(der).indexOf(Buffer.from(serial, 'hex'));
    der[at + 3]! ^= 0x01;
    await assert.rejects(verifyOcspResponse(der, { issuer: readFixture(...ca), at: new Date('2022-09-02T17:00:00Z') }), (e) =>
      isQtError(e, 'QT_ERR_SIGNATURE_INVALID'),
    );
  }
});

test('an error response is QT_ERR_OCSP_UNSUCCESSFUL with its status in details', async () => {
  await assert.rejects(verifyOcspResponse(buildOcspErrorResponse('tryLater'), { issuer: rsaCa() }), (e) =>
    isQtError(e, 'QT_ERR_OCSP_UNSUCCESSFUL') && e.details?.['status'] === 'tryLater',
  );
});
