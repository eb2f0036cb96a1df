/**
 * The time-stamp client: requests, responses and token checks, on NCA's real token and on stamps made by an
 * outside TSA (`openssl ts -reply` behind HTTP), with `openssl ts -verify` as the referee of what we accept.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { nca, readFixture } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { fromHex, utf8 } from '../encoding.ts';
import { makeHierarchy, type TestCert } from '../path/testing/ca.ts';
import { openssl, opensslResult, tempDir, type TempDir } from '../path/testing/openssl.ts';
import { startOpensslTsa, makeTsaCertificate, OPENSSL_TSA_POLICY, type OpensslTsa } from './testing/openssl-tsa.ts';
import {
  acceptTimeStampResponse,
  checkTimeStampToken,
  createTimeStampRequest,
  obtainTimeStamp,
  readTimeStampRequest,
  readTimeStampResponse,
  verifyTimeStampToken,
} from './index.ts';
import { nonceHex } from './request.ts';

// NCANode's TspServiceTest stamped the four bytes CA FE BA BE with SHA-1 under NCA's GOST TSA policy, nonce 1663507112663.
const NCA_STAMPED = fromHex('cafebabe');
const NCA_NONCE = fromHex('018350c022d7');
const NCA_TSA_POLICY = '1.2.398.3.3.2.6.1';

let root: TestCert;
let ca: TestCert;
let tsa: OpensslTsa;
let tmp: TempDir;

before(async () => {
  ({ root, ca } = await makeHierarchy());
  tsa = await startOpensslTsa(await makeTsaCertificate(ca, { notBefore: new Date(Date.now() - 86_400_000) }), [ca, root]);
  tmp = tempDir();
});
after(async () => {
  await tsa?.close();
  tmp?.remove();
});

test("NCA's token verifies: GOST 2004 signature, critical timeStamping EKU, imprint of CA FE BA BE, nonce, chain to NCA's GOST test CA as of genTime", async () => {
  const token = readFixture(...nca.tspToken);
  const checked = await verifyTimeStampToken(token, { data: NCA_STAMPED, nonce: NCA_NONCE, policies: [NCA_TSA_POLICY] });
  assert.equal(checked.info.genTime.toISOString(), '2022-09-18T13:20:14.000Z');
  assert.equal(checked.info.messageImprint.hashAlgorithm.oid, oid.sha1);

  const verdict = await checkTimeStampToken(token, {
    data: NCA_STAMPED,
    nonce: NCA_NONCE,
    trustAnchors: [readFixture(...nca.gostCa)],
    revocation: { crls: [readFixture(...nca.gostCrl)], mode: 'require' },
  });
  assert.equal(verdict.ok, true, verdict.error?.message);
  assert.equal(verdict.chain.length, 2);
  assert.deepEqual(verdict.chain[0]?.revocation, { status: 'good', source: 'crl' });

  // The same token from the whole response NCA's TSA sent.
  const fromResponse = readTimeStampResponse(readFixture(...nca.tspResponse));
  assert.equal(fromResponse.status, 'granted');
  assert.deepEqual(fromResponse.token, token);
});

test("NCA's token over other bytes, with another nonce or an unaccepted policy is refused with its own code", async () => {
  const token = readFixture(...nca.tspToken);
  await assert.rejects(verifyTimeStampToken(token, { data: fromHex('cafebabf') }), (e) => isQtError(e, 'QT_ERR_TSP_IMPRINT_MISMATCH'));
  await assert.rejects(verifyTimeStampToken(token, { nonce: fromHex('018350c022d8') }), (e) => isQtError(e, 'QT_ERR_TSP_NONCE_MISMATCH'));
  await assert.rejects(verifyTimeStampToken(token, { policies: ['1.2.3.4'] }), (e) => isQtError(e, 'QT_ERR_TSP_INVALID'));
  const wrongAnchor = await checkTimeStampToken(token, { data: NCA_STAMPED, trustAnchors: [readFixture(...nca.rsaCa)] });
  assert.equal(wrongAnchor.error?.code, 'QT_ERR_CHAIN_INCOMPLETE');
  // One changed byte of the TSTInfo (its last byte, inside the nonce) breaks the token's signature digest.
  const changed = token.slice();
  const at = Buffer.from(changed).indexOf(Buffer.from(NCA_NONCE));
  changed[at + NCA_NONCE.length - 1]! ^= 0x01;
  await assert.rejects(verifyTimeStampToken(changed), (e) => isQtError(e, 'QT_ERR_CMS_DIGEST_MISMATCH'));
});

test('our request is what openssl ts reads, and openssl ts -query is what we read', async () => {
  const data = utf8('Келісім-шарт № 15');
  const request = await createTimeStampRequest({ data, hash: 'SHA-512', policy: OPENSSL_TSA_POLICY });
  const printed = openssl(['ts', '-query', '-in', tmp.file('ours.tsq', request.der), '-text']);
  assert.match(printed, /Hash Algorithm: sha512/);
  assert.match(printed, new RegExp(`Policy OID: ${OPENSSL_TSA_POLICY.replace(/\./g, '\\.')}`));
  assert.match(printed, /Certificate required: yes/);
  assert.match(printed, /Nonce: 0x[0-9A-F]{16}\n/);

  openssl(['ts', '-query', '-data', tmp.file('doc.txt', data), '-sha256', '-no_nonce', '-out', tmp.path('theirs.tsq')]);
  const theirs = readTimeStampRequest(tmp.read('theirs.tsq'));
  assert.equal(theirs.hashOid, oid.sha256);
  assert.equal(theirs.nonce, undefined);
  assert.equal(theirs.certReq, false);
  assert.deepEqual(theirs.imprint, new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data)));
  assert.throws(() => readTimeStampRequest(new Uint8Array([...tmp.read('theirs.tsq'), 0])), (e) => isQtError(e, 'QT_ERR_TSP_REQUEST_MALFORMED'));

  // A UUID policy (2.25.<128-bit>, arcs past 2^53) is written and read exactly.
  const uuidPolicy = '2.25.95517118750442466238584029056546926618.1.1';
  const uuid = await createTimeStampRequest({ data, policy: uuidPolicy });
  assert.match(openssl(['ts', '-query', '-in', tmp.file('uuid.tsq', uuid.der), '-text']), new RegExp(`Policy OID: ${uuidPolicy.replace(/\./g, '\\.')}\n`));
  assert.equal(readTimeStampRequest(uuid.der).policy, uuidPolicy);
});

test('a nonce reads as openssl prints it (whole bytes, a leading zero nibble kept), whatever its first byte — in the request and in the token', async () => {
  for (const hex of ['0248d859167ba13b', '48d859167ba13b02', '0f']) {
    const nonce = fromHex(hex);
    const request = await createTimeStampRequest({ data: utf8('x'), nonce });
    const printed = openssl(['ts', '-query', '-in', tmp.file(`n-${hex}.tsq`, request.der), '-text']);
    const theirs = printed.match(/Nonce: 0x([0-9A-F]+)/)?.[1]?.toLowerCase();
    assert.equal(nonceHex(readTimeStampRequest(request.der).nonce!), theirs, hex);
    // The TSA echoes it; our reader and the response check agree with openssl on the token.
    const { info } = await obtainTimeStamp(tsa.transport, { data: utf8('x'), nonce });
    assert.equal(info.nonce, theirs, hex);
  }
});

test('a stamp from an outside TSA over HTTP (SHA-256 and SHA-512): accepted, checked to our test root, and openssl ts -verify agrees', async () => {
  const data = utf8('Шарт / Договор / Contract');
  for (const hash of ['SHA-256', 'SHA-512']) {
    const { token, info } = await obtainTimeStamp(tsa.transport, { data, hash });
    assert.ok(Math.abs(info.genTime.getTime() - Date.now()) < 10 * 60_000);
    const verdict = await checkTimeStampToken(token, { data, trustAnchors: [root.der], intermediates: [ca.der] });
    assert.equal(verdict.ok, true, verdict.error?.message);
    assert.equal(verdict.chain.length, 3);
    const referee = opensslResult(['ts', '-verify', '-token_in', '-in', tmp.file('token.der', token), '-data', tmp.file('data.txt', data), '-CAfile', tmp.file('root.pem', root.pem), '-untrusted', tmp.file('ca.pem', ca.pem)]);
    assert.equal(referee.status, 0, referee.output);
  }
});

test('a refusal is QT_ERR_TSP_REFUSED with the failInfo the TSA set; an answer to another request is refused', async () => {
  const refused = await createTimeStampRequest({ data: utf8('x'), policy: '1.2.3.4.5.6' });
  const answer = await tsa.transport(refused.der);
  const read = readTimeStampResponse(answer);
  assert.equal(read.status, 'rejection');
  assert.deepEqual(read.failInfo, ['unacceptedPolicy']);
  assert.throws(() => acceptTimeStampResponse(read, refused), (e) => isQtError(e, 'QT_ERR_TSP_REFUSED') && /unacceptedPolicy/.test(e.message));

  // OpenSSL knows no Kazakh Streebog OID: it refuses with badAlg, which reads as such.
  const streebog = await createTimeStampRequest({ digest: new Uint8Array(32).fill(1), hash: 'Streebog-256' });
  const badAlg = readTimeStampResponse(await tsa.transport(streebog.der));
  assert.deepEqual([badAlg.status, badAlg.failInfo], ['rejection', ['badAlg']]);

  const one = await createTimeStampRequest({ data: utf8('one') });
  const other = await createTimeStampRequest({ data: utf8('one') });
  const reply = await tsa.transport(one.der);
  assert.throws(() => acceptTimeStampResponse(reply, other), (e) => isQtError(e, 'QT_ERR_TSP_NONCE_MISMATCH'));
  const otherData = { ...one, imprint: new Uint8Array(one.imprint.length) };
  assert.throws(() => acceptTimeStampResponse(reply, otherData), (e) => isQtError(e, 'QT_ERR_TSP_IMPRINT_MISMATCH'));
  for (const bad of [new Uint8Array([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x09]), new Uint8Array([0x13, 0x37]), new Uint8Array(0)]) {
    assert.throws(() => readTimeStampResponse(bad), (e) => isQtError(e, 'QT_ERR_TSP_MALFORMED'));
  }
});

test('unknown hash names and digests of the wrong length are refused before anything is sent', async () => {
  await assert.rejects(createTimeStampRequest({ data: utf8('x'), hash: 'MD5' }), (e) => isQtError(e, 'QT_ERR_ALGORITHM_UNSUPPORTED'));
  await assert.rejects(createTimeStampRequest({ digest: new Uint8Array(20), hash: 'SHA-256' }), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
  const streebog = await createTimeStampRequest({ digest: new Uint8Array(64).fill(7), hash: 'Streebog-512' });
  assert.equal(readTimeStampRequest(streebog.der).hashOid, oid.kzStreebog512);
});
