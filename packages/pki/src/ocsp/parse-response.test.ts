import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { toHex } from '../encoding.ts';
import { oid } from '../oids.ts';
import { parseOcspResponse } from './parse-response.ts';
import { buildOcspErrorResponse } from './build-response.ts';
import { ocspSaysNeverIssued } from './types.ts';

test('the NCA RSA response parses: good for 4279390A…, SHA-256 certID, nonce, delegated responder certificate', () => {
  const { status, basic } = parseOcspResponse(readFixture(...nca.ocspIndividualSign2004));
  assert.equal(status, 'successful');
  assert.ok(basic);
  assert.equal(basic.producedAt.toISOString(), '2022-09-02T16:53:59.000Z');
  assert.equal(basic.signatureAlgorithm.oid, oid.sha256WithRsa);
  assert.ok('name' in basic.responderId && /BIN123456789021/.test(basic.responderId.name.display));
  assert.equal(toHex(basic.nonce!), 'b5e5c9b552cbcac4');
  assert.equal(basic.certs.length, 1);
  assert.equal(basic.responses.length, 1);
  const [r] = basic.responses;
  assert.equal(r?.status, 'good');
  assert.equal(r?.certId.serial, '4279390A141F5353A62947B61ED65E81741467D1');
  assert.equal(r?.certId.hashAlgorithm, oid.sha256);
  assert.equal(toHex(r!.certId.issuerNameHash), '8a8da2cc54e144c7a78e916aa2dfc4cf1660105333a887c48ab649b01eeee62f');
  assert.equal(r?.thisUpdate.toISOString(), '2022-09-02T16:53:59.000Z');
  assert.equal(r?.nextUpdate, undefined);
});

test('the NCA GOST responses parse fully: revoked on hold, revoked superseded, and "never issued"', () => {
  const ceo2015 = parseOcspResponse(readFixture(...nca.ocspCeo2015Revoked)).basic!;
  assert.equal(ceo2015.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
  assert.deepEqual(
    ceo2015.responses.map((r) => ({ ...r, certId: r.certId.serial })),
    [{ certId: '3A90343E720594C55204B19CB9A402422EF0E622', status: 'revoked', revokedAt: new Date('2022-07-27T10:25:30Z'), reason: 'certificateHold', thisUpdate: new Date('2022-09-02T16:59:28Z'), nextUpdate: undefined }],
  );
  assert.equal(ocspSaysNeverIssued(ceo2015.responses[0]!), false);

  const ceo2004 = parseOcspResponse(readFixture(...nca.ocspCeoSign2004Revoked)).basic!;
  assert.equal(ceo2004.signatureAlgorithm.oid, oid.kzGost2004Sign);
  const [revoked] = ceo2004.responses;
  assert.equal(revoked?.certId.serial, '12E3E7B9966D09EB9CDA64251457E815C2A8DDED');
  assert.ok(revoked?.status === 'revoked');
  assert.equal(revoked.reason, 'superseded');
  assert.equal(revoked.revokedAt.toISOString(), '2022-01-18T06:30:55.000Z');

  const individual2015 = parseOcspResponse(readFixture(...nca.ocspIndividual2015)).basic!;
  const [never] = individual2015.responses;
  assert.equal(never?.certId.serial, '0FF06211DC82BEB00253FFA000F1DE84ABEF454F');
  assert.ok(never && ocspSaysNeverIssued(never), 'RFC 6960 §2.2 "revoked 1970-01-01 certificateHold" = not issued');
});

test('error responses parse to their status with no body', () => {
  for (const status of ['malformedRequest', 'internalError', 'tryLater', 'sigRequired', 'unauthorized'] as const) {
    assert.deepEqual(parseOcspResponse(buildOcspErrorResponse(status)), { status, basic: undefined });
  }
  assert.throws(() => buildOcspErrorResponse('successful' as never), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
});

test('truncated, garbage and oversize responses fail with their codes', () => {
  const der = readFixture(...nca.ocspIndividualSign2004);
  for (const [what, input] of [
    ['empty', new Uint8Array(0)],
    ['truncated', der.subarray(0, der.length - 20)],
    ['garbage', new Uint8Array(200).fill(0x30)],
    ['unknown status', new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x04])],
    ['a CRL', readFixture(...nca.rsaCrl)],
  ] as const) {
    assert.throws(() => parseOcspResponse(input), (e) => isQtError(e, 'QT_ERR_OCSP_MALFORMED'), what);
  }
  assert.throws(() => parseOcspResponse(new Uint8Array(70_000).fill(0x30)), (e) => isQtError(e, 'QT_ERR_TOO_LARGE'));
});

test('an included certificate that cannot be read makes the response malformed, though it lies outside the signed data', () => {
  const der = Uint8Array.from(readFixture(...nca.ocspIndividualSign2004));
  const { basic } = parseOcspResponse(der);
  const cert = basic!.certs[0]!;
  const at = Buffer.from(der).indexOf(Buffer.from(cert));
  // The certificate's outer signature algorithm (its last OID: sha256WithRSAEncryption) made sha384WithRSAEncryption.
  const sha256WithRsa = Buffer.from('06092a864886f70d01010b', 'hex');
  const outer = Buffer.from(cert).lastIndexOf(sha256WithRsa);
  assert.ok(at > 0 && outer > 0);
  der[at + outer + sha256WithRsa.length - 1] = 0x0c;
  assert.throws(() => parseOcspResponse(der), (e) => isQtError(e, 'QT_ERR_OCSP_MALFORMED') && /included certificate/.test((e as Error).message));
});
