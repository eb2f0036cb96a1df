import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Attribute, ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { fixturePath, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { isQtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { derFrom, toBase64, toHex, utf8 } from '../encoding.ts';
import { SigningCertificateV2 } from './asn1.ts';
import { cadesAttributes, sortedAttributeSet } from './attributes.ts';
import { readCertificate } from './certificates.ts';
import { signCms, toCmsPem } from './sign.ts';
import { parseCms } from './inspect.ts';
import { verifyCms } from './verify.ts';
import { parseTimeStampToken } from '../tsp/index.ts';
import { run, SIGN_KEY_TIME, type FixtureSigner, type ScratchDir, useFixtureSigner } from './testing/helpers.ts';

const data = utf8('Заявление: the content under signature\n');
let key: FixtureSigner;
let tmp: ScratchDir;
useFixtureSigner((k, t) => ([key, tmp] = [k, t]), data);

/** A CMS made by `openssl cms -sign` over data.bin with the fixture key (or another signer). */
function opensslSign(name: string, extra: string[], signer = 'signer.pem', inkey = 'signer.key'): Uint8Array {
  const out = tmp.path(name);
  const result = run('openssl', [
    'cms', '-sign', '-binary', '-md', 'sha256', '-signer', tmp.path(signer), '-inkey', tmp.path(inkey),
    '-in', tmp.path('data.bin'), '-outform', 'DER', '-out', out, ...extra,
  ]);
  assert.equal(result.status, 0, result.stderr);
  return tmp.read(name);
}

function rejectsWith(code: QtErrorCode, pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(isQtError(e, code), `expected ${code}, got ${String((e as { code?: string }).code)}: ${(e as Error).message}`);
    if (pattern) assert.match((e as Error).message, pattern);
    return true;
  };
}

test('an attached CMS made by openssl cms -sign -nodetach verifies and reports its signer', async () => {
  const cms = opensslSign('attached.p7s', ['-nodetach']);
  const result = await verifyCms(cms, { at: SIGN_KEY_TIME });
  assert.equal(result.attached, true);
  assert.deepEqual(result.content, data);
  assert.equal(result.signers.length, 1);
  const [signer] = result.signers;
  assert.deepEqual(signer?.certificate, key.certificate);
  assert.deepEqual(signer?.signatureAlgorithm, { oid: oid.sha256WithRsa, name: 'RSA/SHA-256' });
  assert.deepEqual(signer?.digestAlgorithm, { oid: oid.sha256, name: 'SHA-256' });
  assert.deepEqual(signer?.sid, { issuer: readCertificate(key.certificate).issuer, serialNumber: '4279390a141f5353a62947b61ed65e81741467d1' });
  assert.ok(signer?.signingTime instanceof Date);
  assert.equal(signer?.signingCertificateAttribute, undefined);
  assert.deepEqual(result.certificates, [key.certificate]);
});

test('a CAdES CMS made by openssl cms -sign -cades verifies with a matching signing-certificate-v2', async () => {
  const result = await verifyCms(opensslSign('cades.p7s', ['-nodetach', '-cades']));
  assert.equal(result.signers[0]?.signingCertificateAttribute, 'v2');
  assert.equal(result.signers[0]?.signingCertificateV2Matches, true);
});

test('a detached CMS made by openssl needs the content: without it QT_ERR_CMS_NO_CONTENT, with it verified', async () => {
  const cms = opensslSign('detached.p7s', ['-cades']);
  await assert.rejects(verifyCms(cms), rejectsWith('QT_ERR_CMS_NO_CONTENT'));
  const result = await verifyCms(cms, { content: data });
  assert.equal(result.attached, false);
  await assert.rejects(verifyCms(cms, { content: utf8('other content') }), rejectsWith('QT_ERR_CMS_DIGEST_MISMATCH'));
});

test('a streamed (BER, indefinite-length) CMS from openssl -stream verifies', async () => {
  const cms = opensslSign('streamed.p7s', ['-nodetach', '-stream']);
  assert.equal(cms[1], 0x80, 'openssl wrote indefinite lengths');
  const result = await verifyCms(cms);
  assert.deepEqual(result.content, data);
});

test('a CMS without signed attributes (openssl -noattr) is verified over the content itself', async () => {
  const result = await verifyCms(opensslSign('noattr.p7s', ['-nodetach', '-noattr']));
  assert.equal(result.signers[0]?.messageDigest, undefined);
});

test('ECDSA P-256 and RSA-PSS signers made by openssl verify through the algorithm registry', async () => {
  const ec = run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', tmp.path('ec.key'),
    '-out', tmp.path('ec.pem'), '-subj', '/CN=EC signer', '-days', '2',
  ]);
  assert.equal(ec.status, 0, ec.stderr);
  const ecResult = await verifyCms(opensslSign('ec.p7s', ['-nodetach'], 'ec.pem', 'ec.key'));
  assert.deepEqual(ecResult.signers[0]?.signatureAlgorithm, { oid: oid.ecdsaWithSha256, name: 'ECDSA/SHA-256' });
  const pss = await verifyCms(opensslSign('pss.p7s', ['-nodetach', '-keyopt', 'rsa_padding_mode:pss']));
  assert.equal(pss.signers[0]?.signatureAlgorithm.oid, oid.rsaPss);
});

test('one changed content byte is QT_ERR_CMS_DIGEST_MISMATCH', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const at = Buffer.from(cms).indexOf(Buffer.from(data));
  assert.ok(at > 0);
  const tampered = cms.slice();
  tampered[at + 5]! ^= 0x01;
  await assert.rejects(verifyCms(tampered), rejectsWith('QT_ERR_CMS_DIGEST_MISMATCH'));
});

test('one changed signature byte is QT_ERR_SIGNATURE_INVALID', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const tampered = cms.slice();
  tampered[tampered.length - 10]! ^= 0x01; // the signature value is the SignerInfo's last field
  await assert.rejects(verifyCms(tampered), rejectsWith('QT_ERR_SIGNATURE_INVALID'));
});

test('a changed signed attribute (signing time) breaks the signature', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const utcTime = Buffer.from('211201000000Z');
  const at = Buffer.from(cms).indexOf(utcTime);
  assert.ok(at > 0);
  const tampered = cms.slice();
  tampered[at + 1] = '2'.charCodeAt(0); // 2021 → 2022
  await assert.rejects(verifyCms(tampered), rejectsWith('QT_ERR_SIGNATURE_INVALID'));
});

test('a CMS without the signer certificate (openssl -nocerts) is QT_ERR_CMS_SIGNER_NOT_FOUND', async () => {
  const cms = opensslSign('nocerts.p7s', ['-nodetach', '-nocerts']);
  await assert.rejects(verifyCms(cms), rejectsWith('QT_ERR_CMS_SIGNER_NOT_FOUND'));
  assert.equal(parseCms(cms).signers[0]?.certificate, undefined, 'parseCms still reports the signer');
});

test('a signing-certificate-v2 naming another certificate is QT_ERR_CMS_SIGNER_CERT_MISMATCH, though the signature holds', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const contentInfo = AsnConvert.parse(cms, ContentInfo);
  const signedData = AsnConvert.parse(contentInfo.content, SignedData);
  const signerInfo = signedData.signerInfos[0]!;
  // Re-sign honestly with the real key, but with an ESS attribute that names the AUTH certificate.
  const wrong = await cadesAttributes({
    contentType: oid.cmsData,
    messageDigest: new Uint8Array(32),
    signingTime: SIGN_KEY_TIME,
    signerCertificate: readCertificate(readFixture(...nca.authCert)),
    digestOid: oid.sha256,
  });
  const ess = wrong.find((a) => a.attrType === oid.attrSigningCertificateV2)!;
  const attrs = sortedAttributeSet([...signerInfo.signedAttrs!.filter((a) => a.attrType !== oid.attrSigningCertificateV2), new Attribute(ess)]);
  signerInfo.signedAttrs = attrs.attributes;
  signerInfo.signature = new OctetString(await key.signer.sign(attrs.der));
  contentInfo.content = AsnConvert.serialize(signedData);
  const forged = new Uint8Array(AsnConvert.serialize(contentInfo));
  assert.ok(AsnConvert.parse(AsnConvert.serialize(attrs.attributes[0]!), Attribute));
  assert.ok(AsnConvert.parse(ess.attrValues[0]!, SigningCertificateV2));
  await assert.rejects(verifyCms(forged), rejectsWith('QT_ERR_CMS_SIGNER_CERT_MISMATCH'));
});

test('with `at`, a signer certificate outside its validity is QT_ERR_CERT_EXPIRED or QT_ERR_CERT_NOT_YET_VALID', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  await assert.rejects(verifyCms(cms, { at: new Date('2022-03-01T00:00:00Z') }), rejectsWith('QT_ERR_CERT_EXPIRED'));
  await assert.rejects(verifyCms(cms, { at: new Date('2020-01-01T00:00:00Z') }), rejectsWith('QT_ERR_CERT_NOT_YET_VALID'));
});

test('the PEM armour NCALayer uses (BEGIN CMS) and bare base64 are accepted, as text or bytes', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  for (const input of [toCmsPem(cms), toBase64(cms), utf8(toCmsPem(cms)), utf8(toBase64(cms))]) {
    assert.deepEqual((await verifyCms(input)).content, data);
  }
});

test('garbage, truncated, trailing bytes and a wrong content type are QT_ERR_CMS_MALFORMED', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const cases: [string, Uint8Array | string][] = [
    ['garbage bytes', new Uint8Array([0x13, 0x37, 0x00, 0xff, 0x42])],
    ['garbage text', 'this is not a signature'],
    ['empty', new Uint8Array(0)],
    ['truncated', cms.subarray(0, cms.length - 40)],
    ['trailing bytes', new Uint8Array([...cms, 0, 0])],
    ['a certificate', key.certificate],
    ['bad PEM body', '-----BEGIN CMS-----\n!!!!\n-----END CMS-----\n'],
  ];
  for (const [what, input] of cases) {
    await assert.rejects(verifyCms(input), rejectsWith('QT_ERR_CMS_MALFORMED'), what);
  }
  const dataContent = run('openssl', ['cms', '-data_create', '-binary', '-in', tmp.path('data.bin'), '-outform', 'DER', '-out', tmp.path('data.p7')]);
  assert.equal(dataContent.status, 0, dataContent.stderr);
  await assert.rejects(verifyCms(tmp.read('data.p7')), rejectsWith('QT_ERR_CMS_MALFORMED', /not SignedData/));
});

test('an oversize CMS is refused with QT_ERR_TOO_LARGE before parsing', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate });
  await assert.rejects(verifyCms(cms, { maxBytes: 1024 }), rejectsWith('QT_ERR_TOO_LARGE'));
});

test("NCA's RFC 3161 token (signed with a GOST 34.310-2004 TSA key) parses and verifies", async () => {
  const token = readFixture(...nca.tspToken);
  const report = parseCms(token);
  assert.equal(report.contentType, oid.tstInfo);
  assert.equal(report.signers[0]?.signatureAlgorithm.oid, oid.kzGost2004Sign);
  assert.equal(report.signers[0]?.sid && 'serialNumber' in report.signers[0].sid && report.signers[0].sid.serialNumber, '622ddd64fc75397c61d228530beefe9e1cf87094');
  assert.ok(report.signers[0]?.certificate, 'the TSA certificate is in the token');
  assert.equal(report.signers[0]?.signingCertificateAttribute, 'v1');
  const verified = await verifyCms(token);
  assert.equal(verified.signers.length, 1);
  assert.equal(verified.signers[0]?.signatureAlgorithm.name, 'GOST 34.310-2004/GOST 34.311-95');
  assert.equal(verified.signers[0]?.signingCertificateMatches, true);
  // The TSTInfo is what the TSA signed: one changed byte in it breaks the message digest.
  const tstInfo = verified.content;
  assert.ok(tstInfo);
  const changed = token.slice();
  const at = Buffer.from(changed).indexOf(Buffer.from(tstInfo));
  changed[at + tstInfo.length - 1]! ^= 0x01;
  await assert.rejects(verifyCms(changed), rejectsWith('QT_ERR_CMS_DIGEST_MISMATCH'));
});

test('parseTimeStampToken reads the token and the TSA response the way openssl ts -reply -text does', () => {
  const printed = run('openssl', ['ts', '-reply', '-in', fixturePath(...nca.tspResponse), '-text']).stdout;
  const field = (name: string) => printed.match(new RegExp(`${name}: (.*)`))?.[1]?.trim();
  for (const input of [readFixture(...nca.tspToken), readFixture(...nca.tspResponse)]) {
    const info = parseTimeStampToken(input);
    assert.equal(info.policy, field('Policy OID'));
    assert.equal(info.serialNumber, field('Serial number')?.replace(/^0x/, '').toLowerCase());
    assert.equal(info.nonce, field('Nonce')?.replace(/^0x/, '').toLowerCase());
    assert.equal(info.genTime.getTime(), new Date(field('Time stamp')!).getTime());
    assert.equal(info.messageImprint.hashAlgorithm.name, 'SHA-1');
    assert.equal(toHex(info.messageImprint.hashedMessage), '1465dad126d32bf7aa5d3b95a5c7c331cdff34df');
    assert.equal(info.signer?.signingTime?.toISOString(), '2022-09-18T13:20:14.000Z');
  }
  assert.throws(() => parseTimeStampToken(derFrom(readFixture(...nca.rsaCa))), (e) => isQtError(e, 'QT_ERR_TSP_MALFORMED'));
});
