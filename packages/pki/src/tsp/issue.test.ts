/**
 * Time-stamp tokens we issue, judged by outside referees: `openssl ts -query` builds the requests,
 * `openssl ts -verify` checks our replies against the query and the data; for GOST (which openssl's
 * ts command cannot name: Kazakh OIDs) our own verifier checks the whole token and the OpenSSL GOST
 * engine checks its signature and digests independently.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, concatBytes, toHex, toPem, utf8, type Bytes } from '../encoding.ts';
import { TAG, childrenOf, contentOf, contextTag, elementOf, readWhole } from '../der/read.ts';
import { objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import type { Signer } from '../crypto/index.ts';
import { issueCaCertificate, issueCertificate, issueTimeStampingCertificate } from '../issue/index.ts';
import { buildChain, newSigner, subscriberCsr, testUrls, type TestChain } from '../issue/testing/issue.ts';
import { parseTimeStampToken } from './token.ts';
import { signCms } from '../cms/sign.ts';
import { verifyCms } from '../cms/verify.ts';
import { generateGostKeyPair, gostSigner } from '../gost/signer.ts';
import { KZ_GOST_2015_512 } from '../gost/kz-algorithms.ts';
import { streebog512 } from '../gost/streebog.ts';
import { engineAvailable, engineDigest, engineVerifies, russianPublicKeyPem } from '../gost/testing/openssl-gost.ts';
import { mustRun, scratch, tool, type Scratch } from '../pkcs12/testing/openssl.ts';
import { checkTimeStampSignedAttributes, prepareTimeStamping, type TimeStamper } from './issue.ts';
import { readTimeStampRequest } from './request.ts';
import { tsaRefusalReply } from './tsa-reply.ts';
import { testRequest, withTrailingElement } from './testing/requests.ts';

const ALL_HASHES = new Set([oid.sha1, oid.sha256, oid.sha384, oid.sha512, oid.kzStreebog256, oid.kzStreebog512]);
const POLICY = oid.policyQoltanbaTsa;
let s: Scratch;
let chain: TestChain;
let tsaSigner: Signer;
let tsaCertPem: string;
let stamper: TimeStamper;
let serial = 0x1000n;

const nextSerial = () => {
  const hex = (serial++).toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
};

before(async () => {
  s = scratch();
  chain = await buildChain(2048);
  tsaSigner = await newSigner(2048);
  const tsa = await issueTimeStampingCertificate({
    subject: [{ type: 'C', value: 'KZ' }, { type: 'O', value: 'Qoltanba' }, { type: 'CN', value: 'QOLTANBA TSA (RSA) TEST' }],
    publicKey: tsaSigner.publicKey,
    issuer: { certificate: chain.issuing.der, signer: chain.issuingSigner },
    urls: { crl: testUrls.crl, caIssuers: testUrls.caIssuers },
  });
  tsaCertPem = tsa.pem;
  s.write('root.pem', chain.root.pem);
  s.write('untrusted.pem', tsa.pem + chain.issuing.pem);
  stamper = prepareTimeStamping({ certificate: tsa.der, chain: [chain.issuing.der], signer: tsaSigner });
});
after(() => s.remove());

async function stampQuery(query: Uint8Array, genTime = new Date(), accuracyMicros = 1_000_000) {
  const request = readTimeStampRequest(query, { acceptedHashes: ALL_HASHES });
  return stamper.stamp({ messageImprintDer: request.messageImprintDer, policy: request.policy ?? POLICY, serial: nextSerial(), genTime, accuracyMicros, nonce: request.nonce, certReq: request.certReq });
}

test('openssl ts -query → our token → openssl ts -verify passes for SHA-256/384/512 and SHA-1, with and without nonce and certificates', async () => {
  const data = s.write('document.txt', 'Осы құжатқа уақыт белгісі қойылды');
  const cases: [string, string[]][] = [
    ['-sha256', ['-cert']],
    ['-sha384', ['-cert', '-no_nonce']],
    ['-sha512', []],
    ['-sha1', ['-cert', '-tspolicy', POLICY]],
  ];
  for (const [hash, extra] of cases) {
    mustRun('openssl', ['ts', '-query', '-data', data, hash, ...extra, '-out', s.path('q.tsq')]);
    const issued = await stampQuery(s.read('q.tsq'));
    s.write('r.tsr', issued.reply);
    const certs = extra.includes('-cert') ? [] : ['-untrusted', s.path('untrusted.pem')];
    const byQuery = tool('openssl', ['ts', '-verify', '-in', s.path('r.tsr'), '-queryfile', s.path('q.tsq'), '-CAfile', s.path('root.pem'), ...certs]);
    assert.match(byQuery.all, /Verification: OK/, `${hash} ${extra.join(' ')}: ${byQuery.all}`);
    const byData = tool('openssl', ['ts', '-verify', '-in', s.path('r.tsr'), '-data', data, '-CAfile', s.path('root.pem'), ...certs]);
    assert.match(byData.all, /Verification: OK/, byData.all);
    // Another document does not verify against the same stamp.
    const other = s.write('other.txt', 'another document');
    assert.doesNotMatch(tool('openssl', ['ts', '-verify', '-in', s.path('r.tsr'), '-data', other, '-CAfile', s.path('root.pem'), ...certs]).all, /Verification: OK/);
  }
});

test('the token states the policy, serial, nonce, accuracy, TSA name and a millisecond genTime, as openssl and our reader see them', async () => {
  mustRun('openssl', ['ts', '-query', '-data', s.write('d.txt', 'x'), '-sha256', '-cert', '-out', s.path('q.tsq')]);
  const genTime = new Date('2026-03-01T10:20:30.450Z');
  const issued = await stampQuery(s.read('q.tsq'), genTime, 1_250_000);
  s.write('r.tsr', issued.reply);
  const text = mustRun('openssl', ['ts', '-reply', '-in', s.path('r.tsr'), '-text']).stdout;
  assert.match(text, /Status: Granted/);
  assert.match(text, new RegExp(`Policy OID: ${POLICY.replace(/\./g, '\\.')}`));
  assert.match(text, /Time stamp: Mar  1 10:20:30\.45 2026 GMT/);
  assert.match(text, /Accuracy: 0x01 seconds, 0xFA millis, unspecified micros/);
  assert.match(text, /TSA: DirName:.*CN ?= ?QOLTANBA TSA \(RSA\) TEST/);
  const queried = mustRun('openssl', ['ts', '-query', '-in', s.path('q.tsq'), '-text']).stdout;
  const nonce = queried.match(/Nonce: (0x[0-9A-F]+)/)?.[1];
  assert.ok(nonce && text.includes(`Nonce: ${nonce}`), 'the nonce is echoed');

  const info = parseTimeStampToken(issued.reply);
  assert.equal(info.policy, POLICY);
  assert.equal(info.genTime.toISOString(), genTime.toISOString());
  assert.equal(info.accuracyMs, 1250);
  // openssl prints the nonce's bytes (BN_bn2hex: whole bytes, so 0x0248… keeps its zero), as our reader gives them.
  assert.equal(info.nonce, nonce!.slice(2).toLowerCase());
  const verified = await verifyCms(info.token);
  assert.equal(verified.signers[0]?.signingCertificateV2Matches, true);
  assert.equal(verified.contentType, oid.tstInfo);
});

test('serial numbers are the ones given, and two stamps of the same request differ only where they must', async () => {
  const query = testRequest({ nonce: Uint8Array.of(0x01, 0x02) });
  const a = await stampQuery(query, new Date('2026-01-01T00:00:00Z'));
  const b = await stampQuery(query, new Date('2026-01-01T00:00:00Z'));
  assert.notEqual(parseTimeStampToken(a.token).serialNumber, parseTimeStampToken(b.token).serialNumber);
  assert.equal(parseTimeStampToken(a.token).nonce, '0102');
});

test('a GOST 34.10-2015 (512) TSA: our verifier accepts the token; the OpenSSL GOST engine accepts its signature and computes the same Streebog-512 digests', async () => {
  engineAvailable();
  const root = generateGostKeyPair(KZ_GOST_2015_512);
  const issuing = generateGostKeyPair(KZ_GOST_2015_512);
  const tsaKey = generateGostKeyPair(KZ_GOST_2015_512);
  const rootSigner = gostSigner(root.privateKey);
  const rootCert = await issueCaCertificate({ profile: 'root-ca', subject: [{ type: 'CN', value: 'GOST ROOT TEST' }], signer: rootSigner });
  const issuingCert = await issueCaCertificate({
    profile: 'issuing-ca',
    subject: [{ type: 'CN', value: 'GOST ISSUING TEST' }],
    publicKey: issuing.publicKey,
    issuer: { certificate: rootCert.der, signer: rootSigner },
    urls: { crl: testUrls.crl },
  });
  const tsaCert = await issueTimeStampingCertificate({
    subject: [{ type: 'CN', value: 'QOLTANBA TSA (GOST) TEST' }],
    publicKey: tsaKey.publicKey,
    issuer: { certificate: issuingCert.der, signer: gostSigner(issuing.privateKey) },
    urls: { crl: testUrls.crl, caIssuers: testUrls.caIssuers },
  });
  const gost = prepareTimeStamping({ certificate: tsaCert.der, chain: [issuingCert.der], signer: gostSigner(tsaKey.privateKey) });
  assert.equal(gost.digestAlgorithm, oid.kzStreebog512);

  const document = utf8('Құжат: ГОСТ уақыт белгісі');
  const imprint = engineDigest(s, 'md_gost12_512', document);
  assert.ok(bytesEqual(imprint, streebog512(document)), 'the engine and we hash the document alike');
  const request = readTimeStampRequest(testRequest({ hashAlgorithm: oid.kzStreebog512, hashedMessage: imprint, nonce: Uint8Array.of(0x2a), certReq: true }), { acceptedHashes: ALL_HASHES });
  const issued = await gost.stamp({ messageImprintDer: request.messageImprintDer, policy: POLICY, serial: nextSerial(), genTime: new Date(), accuracyMicros: 1_000_000, nonce: request.nonce, certReq: true });

  const info = parseTimeStampToken(issued.reply);
  assert.equal(info.messageImprint.hashAlgorithm.oid, oid.kzStreebog512);
  assert.ok(bytesEqual(info.messageImprint.hashedMessage, imprint));
  const verified = await verifyCms(issued.token);
  assert.equal(verified.signers[0]?.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
  assert.equal(verified.signers[0]?.signingCertificateV2Matches, true);

  // Independently: the engine checks the signature over the signed attributes (NCA byte order reversed
  // to RFC 4491's, Russian OIDs for the same key) and the message digest over TSTInfo.
  const { signedAttrs, signature, tstInfo, messageDigest } = signerParts(issued.token);
  assert.equal(engineVerifies(s, 'md_gost12_512', russianPublicKeyPem(tsaKey.publicKey), signedAttrs, new Uint8Array(signature).reverse()), true);
  assert.equal(engineVerifies(s, 'md_gost12_512', russianPublicKeyPem(tsaKey.publicKey), concatBytes(signedAttrs, [0]), new Uint8Array(signature).reverse()), false);
  assert.ok(bytesEqual(engineDigest(s, 'md_gost12_512', tstInfo), messageDigest));
});

test('each malformed request is refused with its own code, before anything is signed', () => {
  const good = testRequest();
  const cases: [string, Uint8Array, QtErrorCode][] = [
    ['garbage', utf8('GET / HTTP/1.1\r\n\r\n'), 'QT_ERR_TSP_REQUEST_MALFORMED'],
    ['empty', new Uint8Array(0), 'QT_ERR_TSP_REQUEST_MALFORMED'],
    ['truncated', good.subarray(0, good.length - 3), 'QT_ERR_TSP_REQUEST_MALFORMED'],
    ['trailing bytes', concatBytes(good, [0x00]), 'QT_ERR_TSP_REQUEST_MALFORMED'],
    ['version 2', testRequest({ version: 2 }), 'QT_ERR_TSP_REQUEST_VERSION'],
    ['version 0', testRequest({ version: 0 }), 'QT_ERR_TSP_REQUEST_VERSION'],
    ['MD5', testRequest({ hashAlgorithm: '1.2.840.113549.2.5', hashedMessage: new Uint8Array(16) }), 'QT_ERR_TSP_HASH_UNSUPPORTED'],
    ['hash parameters', testRequest({ hashParameters: objectIdentifier('1.2.3') }), 'QT_ERR_TSP_HASH_UNSUPPORTED'],
    ['hash of the wrong length', testRequest({ hashedMessage: new Uint8Array(20) }), 'QT_ERR_TSP_REQUEST_MALFORMED'],
    ['non-minimal nonce', testRequest({ nonce: Uint8Array.of(0x00, 0x01) }), 'QT_ERR_TSP_REQUEST_MALFORMED'],
    ['an extension', testRequest({ extensions: ['1.2.3.4'] }), 'QT_ERR_TSP_EXTENSION_UNACCEPTED'],
    ['a field out of order', withTrailingElement({ certReq: true }, objectIdentifier(POLICY)), 'QT_ERR_TSP_REQUEST_MALFORMED'],
  ];
  for (const [label, der, code] of cases) {
    assert.throws(() => readTimeStampRequest(der, { acceptedHashes: ALL_HASHES }), (e) => isQtError(e, code), label);
  }
  // SHA-1 is accepted only when configured.
  const sha1 = testRequest({ hashAlgorithm: oid.sha1, hashedMessage: new Uint8Array(20) });
  assert.equal(readTimeStampRequest(sha1, { acceptedHashes: ALL_HASHES }).hashOid, oid.sha1);
  assert.throws(() => readTimeStampRequest(sha1, { acceptedHashes: new Set([oid.sha256]) }), (e) => isQtError(e, 'QT_ERR_TSP_HASH_UNSUPPORTED'));
  // Without a list, any hash whose length is known is read; an unknown one is refused all the same.
  assert.equal(readTimeStampRequest(sha1).hashOid, oid.sha1);
  assert.throws(() => readTimeStampRequest(testRequest({ hashAlgorithm: '1.2.3.4', hashedMessage: new Uint8Array(16) })), (e) => isQtError(e, 'QT_ERR_TSP_HASH_UNSUPPORTED'));
  // A request with every optional field, as openssl orders them, is read.
  const full = readTimeStampRequest(testRequest({ policy: POLICY, nonce: Uint8Array.of(0x80), certReq: true }), { acceptedHashes: ALL_HASHES });
  assert.deepEqual([full.policy, toHex(full.nonce!), full.certReq], [POLICY, '80', true]);
});

test('refusals carry the PKIFailureInfo openssl names for each code', () => {
  const expected: [QtErrorCode, RegExp][] = [
    ['QT_ERR_TSP_REQUEST_MALFORMED', /Failure info: the data submitted has the wrong format/],
    ['QT_ERR_TOO_LARGE', /Failure info: the data submitted has the wrong format/],
    ['QT_ERR_TSP_REQUEST_VERSION', /Failure info: transaction not permitted or supported/],
    ['QT_ERR_TSP_HASH_UNSUPPORTED', /Failure info: unrecognized or unsupported algorithm identifier/],
    ['QT_ERR_TSP_POLICY_UNACCEPTED', /Failure info: the requested TSA policy is not supported by the TSA/],
    ['QT_ERR_TSP_EXTENSION_UNACCEPTED', /Failure info: the requested extension is not supported by the TSA/],
    ['QT_ERR_TSA_CLOCK_UNTRUSTED', /Failure info: the TSA's time source is not available/],
    ['QT_ERR_TSA_BUSY', /Failure info: the request cannot be handled due to system failure/],
  ];
  for (const [code, failure] of expected) {
    s.write('refused.tsr', tsaRefusalReply(code, 'why'));
    const text = mustRun('openssl', ['ts', '-reply', '-in', s.path('refused.tsr'), '-text']).stdout;
    assert.match(text, /Status: Rejected/, code);
    assert.match(text, failure, `${code}:\n${text}`);
    assert.ok(text.includes(`${code}: why`), 'the status text names the code');
  }
});

test('a signer holding a TSA key signs stamp attributes only, never a certificate or another CMS', async () => {
  let signed: Uint8Array | undefined;
  const recording: Signer = { ...tsaSigner, sign: (data) => ((signed = data), tsaSigner.sign(data)) };
  const recorder = prepareTimeStamping({ certificate: tsaCertPem, signer: recording });
  await recorder.stamp({ messageImprintDer: readTimeStampRequest(testRequest(), { acceptedHashes: ALL_HASHES }).messageImprintDer, policy: POLICY, serial: nextSerial(), genTime: new Date() });
  assert.doesNotThrow(() => checkTimeStampSignedAttributes(signed!));

  // A CAdES signature's attributes (content type id-data) and a certificate's TBS are refused.
  let cadesAttrs: Uint8Array | undefined;
  const { signer: personKey, csr } = await subscriberCsr();
  const person = await issueCertificate({ csr, profile: 'individual-sign', subject: { surname: 'ТЕСТОВ', name: 'ТЕСТ', iin: '900101300017' }, issuer: { certificate: chain.issuing.der, signer: chain.issuingSigner }, urls: testUrls });
  await signCms({ content: utf8('a contract'), certificate: person.der, signer: { ...personKey, sign: (d) => ((cadesAttrs = d), personKey.sign(d)) } });
  const refused = (e: unknown) => isQtError(e, 'QT_ERR_SIGNING_REFUSED');
  assert.throws(() => checkTimeStampSignedAttributes(cadesAttrs!), refused);
  assert.throws(() => checkTimeStampSignedAttributes(person.info.tbs), refused);
  assert.throws(() => checkTimeStampSignedAttributes(utf8('anything')), refused);
  // Stamp attributes plus one more attribute are not stamp attributes.
  const extra = sequence(objectIdentifier('1.2.840.113549.1.9.52'), tlv(TAG.set, octetString(Uint8Array.of(1))));
  const set = readWhole(signed as Bytes, TAG.set, 'attrs');
  assert.throws(() => checkTimeStampSignedAttributes(tlv(TAG.set, contentOf(signed as Bytes, set), extra)), refused);
});

test('a TSA key without the TSA certificate, or a certificate without the critical timeStamping EKU, prepares nothing', async () => {
  const other = await newSigner(2048);
  assert.throws(() => prepareTimeStamping({ certificate: tsaCertPem, signer: other }), (e) => isQtError(e, 'QT_ERR_KEY_MISMATCH'));
  assert.throws(() => prepareTimeStamping({ certificate: chain.issuing.der, signer: chain.issuingSigner }), (e) => isQtError(e, 'QT_ERR_KEY_USAGE'));
  assert.ok(toPem('CERTIFICATE', chain.issuing.der));
});

/** The signed attributes (as the SET that is signed), the signature, TSTInfo and the messageDigest value of a token. */
function signerParts(token: Bytes): { signedAttrs: Bytes; signature: Bytes; tstInfo: Bytes; messageDigest: Bytes } {
  const [, wrapped] = childrenOf(token, readWhole(token, TAG.sequence, 'ContentInfo'));
  const signedData = childrenOf(token, wrapped!)[0]!;
  const parts = childrenOf(token, signedData);
  const encap = parts[2]!;
  const eContent = childrenOf(token, childrenOf(token, encap)[1]!)[0]!;
  const tstInfo = contentOf(token, eContent);
  const signerInfo = childrenOf(token, parts[parts.length - 1]!)[0]!;
  const fields = childrenOf(token, signerInfo);
  const attrs = fields.find((f) => f.tag === contextTag(0, true))!;
  const signedAttrs = concatBytes([TAG.set], elementOf(token, attrs).subarray(1));
  let messageDigest: Bytes | undefined;
  for (const attr of childrenOf(token, attrs)) {
    const [type, values] = childrenOf(token, attr);
    if (bytesEqual(elementOf(token, type!), objectIdentifier(oid.attrMessageDigest))) messageDigest = contentOf(token, childrenOf(token, values!)[0]!);
  }
  return { signedAttrs, signature: contentOf(token, fields[fields.length - 1]!), tstInfo, messageDigest: messageDigest! };
}
