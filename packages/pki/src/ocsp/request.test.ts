import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { OCSPRequest } from '@peculiar/asn1-ocsp';
import { Extension } from '@peculiar/asn1-x509';
import { fixturePath, readFixture, nca } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { toArrayBuffer, toHex } from '../encoding.ts';
import { oid } from '../oids.ts';
import { openssl, tempDir, type TempDir } from '../path/testing/openssl.ts';
import { certIdIsFor, computeIssuerHashes } from './cert-id.ts';
import { buildOcspRequest, parseOcspRequest } from './request.ts';

let tmp: TempDir;
before(() => {
  tmp = tempDir();
});
after(() => tmp.remove());

const caPath = fixturePath(...nca.rsaCa);
const certPath = fixturePath(...nca.signCert);

test('a request made by openssl ocsp -reqout parses: SHA-1 and SHA-256 certIDs, serial, 16-byte nonce', async () => {
  const hashes = await computeIssuerHashes(readFixture(...nca.rsaCa));
  for (const [flag, hashOid] of [['-sha1', oid.sha1], ['-sha256', oid.sha256]] as const) {
    const out = tmp.path(`req${flag}.der`);
    openssl(['ocsp', flag, '-issuer', caPath, '-cert', certPath, '-reqout', out]);
    const req = parseOcspRequest(tmp.read(`req${flag}.der`));
    assert.equal(req.certIds.length, 1);
    const [id] = req.certIds;
    assert.equal(id?.hashAlgorithm, hashOid);
    assert.equal(id?.serial, '41E45CC8A04C705963E5CD6769848A934D8EAEF5');
    assert.ok(id && certIdIsFor(id, hashes), 'the certID names ҰКО 3.0 (RSA TEST)');
    assert.equal(req.nonce?.length, 16);
    assert.equal(req.signed, false);
    assert.equal(req.requestor, undefined);
  }
});

test('our request reads back in openssl ocsp -req_text with the nonce we chose', async () => {
  const nonce = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const der = await buildOcspRequest(readFixture(...nca.signCert), readFixture(...nca.rsaCa), { nonce, hash: 'SHA-256' });
  const text = openssl(['ocsp', '-reqin', tmp.file('ours.der', der), '-req_text']);
  assert.match(text, /Hash Algorithm: sha256/);
  assert.match(text, /Serial Number: 41E45CC8A04C705963E5CD6769848A934D8EAEF5/);
  assert.match(text, new RegExp(`OCSP Nonce: \\n\\s+040A${toHex(nonce).toUpperCase()}`));
  assert.deepEqual(parseOcspRequest(der).nonce, nonce);
});

test('a request for a certificate of another CA is refused when building', async () => {
  await assert.rejects(buildOcspRequest(readFixture(...nca.signCert), readFixture(...nca.gostCa)), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
});

test('garbage, truncated, empty-list and bad-nonce requests are QT_ERR_OCSP_MALFORMED; oversize is QT_ERR_TOO_LARGE', async () => {
  const good = await buildOcspRequest(readFixture(...nca.signCert), readFixture(...nca.rsaCa), { nonce: new Uint8Array(16) });
  const malformed = (e: unknown) => isQtError(e, 'QT_ERR_OCSP_MALFORMED');
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['text', new TextEncoder().encode('GET /ocsp HTTP/1.1')],
    ['truncated', good.subarray(0, good.length - 3)],
    ['trailing bytes', new Uint8Array([...good, 0])],
    // OCSPRequest { TBSRequest { requestList: SEQUENCE {} } }
    ['no certID', new Uint8Array([0x30, 0x04, 0x30, 0x02, 0x30, 0x00])],
    ['a certificate', readFixture(...nca.signCert)],
  ];
  for (const [what, der] of cases) assert.throws(() => parseOcspRequest(der), malformed, what);
  for (const size of [0, 33]) {
    const req = AsnConvert.parse(toArrayBuffer(good), OCSPRequest);
    const value = new Uint8Array([0x04, size, ...new Uint8Array(size)]);
    req.tbsRequest.requestExtensions = [new Extension({ extnID: oid.ocspNonce, extnValue: new OctetString(toArrayBuffer(value)) })];
    assert.throws(() => parseOcspRequest(new Uint8Array(AsnConvert.serialize(req))), malformed, `${size}-byte nonce`);
  }
  assert.throws(() => parseOcspRequest(new Uint8Array(20_000).fill(0x30)), (e) => isQtError(e, 'QT_ERR_TOO_LARGE'));
});
