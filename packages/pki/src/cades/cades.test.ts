/**
 * CAdES-T/-LT/-LTA and verification in time, with stamps from an outside TSA (openssl ts -reply over HTTP) and
 * OpenSSL as referee of every token we embed. "Moving the clock" is verifying as of a later time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { signCms, addCmsSigner } from '../cms/sign.ts';
import { SignedDataEditor } from '../cms/edit.ts';
import { openssl, opensslResult, tempDir, type TempDir } from '../path/testing/openssl.ts';
import { verifyCmsDocument } from '../verifier/cms.ts';
import type { TestCert } from '../path/testing/ca.ts';
import { addSignatureTimeStamps, extendCades } from './extend.ts';
import { archiveImprint, readAtsHashIndex } from './archive-index.ts';
import { stampsOf } from './stamps.ts';
import { sequence, tlv } from '../der/write.ts';
import { contextTag } from '../der/read.ts';
import { timeScenario, type TimeScenario } from './testing/scenario.ts';

const document = utf8('Шарт № 15: екі тарап / Договор № 15: две стороны\n');
let s: TimeScenario;
let tmp: TempDir;

before(async () => {
  s = await timeScenario();
  tmp = tempDir();
  tmp.file('root.pem', s.root.pem);
});
after(async () => {
  await s?.close();
  tmp?.remove();
});

const sign = (who: TestCert) => signCms({ content: document, signer: who.signer, certificate: who.der, chain: [s.ca.der] });
const trust = () => ({ trustAnchors: [s.root.der] });

async function stamped(who: TestCert): Promise<Bytes> {
  return (await addSignatureTimeStamps(await sign(who), { transport: s.tsa.transport })).cms;
}

test('a certificate that expired after the stamp: valid with the stamp (judged as of genTime), QT_ERR_CERT_EXPIRED without it', async () => {
  const plain = await sign(s.expiring);
  const withStamp = await stamped(s.expiring);
  const options = { ...trust(), at: s.later, crls: s.laterCrls };

  const v = await verifyCmsDocument(withStamp, options);
  assert.equal(v.valid, true, v.error?.message);
  const signer = v.signers[0]!;
  assert.equal(signer.judgedAt?.basis, 'signature-time-stamp');
  assert.equal(signer.judgedAt?.time.getTime(), signer.timeStamps?.[0]?.genTime?.getTime());
  assert.match(signer.judgedAt?.reason ?? '', /proven by the time-stamp of "CN=Qoltanba Test TSA/);
  assert.equal(signer.level, 'T');
  assert.deepEqual(signer.timeStamps?.map((t) => [t.kind, t.valid, t.chain.length]), [['signature', true, 3]]);

  const without = await verifyCmsDocument(plain, options);
  assert.equal(without.error?.code, 'QT_ERR_CERT_EXPIRED');
  assert.equal(without.signers[0]?.judgedAt?.basis, 'requested-time');
  assert.equal(without.signers[0]?.level, 'B');
});

test('revoked (superseded) after the stamp: valid with it, QT_ERR_CERT_REVOKED without; keyCompromise with an invalidity date before the stamp: revoked even with it', async () => {
  const options = { ...trust(), at: s.later, crls: s.laterCrls };
  const superseded = await verifyCmsDocument(await stamped(s.superseded), options);
  assert.equal(superseded.valid, true, superseded.error?.message);
  assert.equal(superseded.signers[0]?.chain[0]?.revocation.status, 'good');

  const noStamp = await verifyCmsDocument(await sign(s.superseded), options);
  assert.equal(noStamp.error?.code, 'QT_ERR_CERT_REVOKED');

  const compromised = await verifyCmsDocument(await stamped(s.compromised), options);
  assert.equal(compromised.valid, false);
  assert.equal(compromised.error?.code, 'QT_ERR_CERT_REVOKED');
  assert.match(compromised.error?.message ?? '', /keyCompromise.*invalidity date/);
  assert.equal(compromised.signers[0]?.judgedAt?.basis, 'signature-time-stamp');
});

test('a stamp is checked over the signature it belongs to: moved onto another signature it gives no time and says why', async () => {
  const stampedAlice = SignedDataEditor.open(await stamped(s.expiring));
  const token = stampsOf(stampedAlice, 0)[0]!.token;
  // Another signature by the same key (an hour's different signing time, so not the same bytes).
  const another = await signCms({ content: document, signer: s.expiring.signer, certificate: s.expiring.der, chain: [s.ca.der], signingTime: new Date(s.start.getTime() - 3_600_000) });
  const other = SignedDataEditor.open(another);
  other.addUnsignedAttribute(0, oid.attrTimeStampToken, token);
  const v = await verifyCmsDocument(other.toDer(), { ...trust(), at: s.later, crls: s.laterCrls });
  assert.equal(v.error?.code, 'QT_ERR_CERT_EXPIRED');
  assert.equal(v.signers[0]?.timeStamps?.[0]?.error?.code, 'QT_ERR_TSP_IMPRINT_MISMATCH');
  assert.match(v.signers[0]?.judgedAt?.reason ?? '', /no time-stamp of the signature is valid/);
});

test("two signers each stamped: B's stamp goes beside A's, never in its place, and each covers its own signature (openssl ts -verify)", async () => {
  const a = await stamped(s.alice);
  const aStamp = SignedDataEditor.open(a).signerInfoDer(0);
  const both = await addCmsSigner(a, { signer: s.bob.signer, certificate: s.bob.der });
  const t = await addSignatureTimeStamps(both, { transport: s.tsa.transport });
  assert.deepEqual(t.added.map((x) => x.signer), [1], 'only the signer without a stamp was stamped');
  const editor = SignedDataEditor.open(t.cms);
  assert.deepEqual(editor.signerInfoDer(0), aStamp, "A's SignerInfo, with its stamp, is byte for byte the same");
  for (const i of [0, 1]) {
    const stamps = stampsOf(editor, i);
    assert.equal(stamps.length, 1);
    const referee = opensslResult(['ts', '-verify', '-token_in', '-in', tmp.file(`t${i}.der`, stamps[0]!.token), '-data', tmp.file(`sig${i}.bin`, editor.signatureValue(i)), '-CAfile', tmp.path('root.pem'), '-untrusted', tmp.file('ca.pem', s.ca.pem)]);
    assert.equal(referee.status, 0, referee.output);
  }
  const v = await verifyCmsDocument(t.cms, { ...trust(), crls: s.currentCrls });
  assert.deepEqual(v.signers.map((x) => [x.valid, x.level, x.judgedAt?.basis]), [[true, 'T', 'signature-time-stamp'], [true, 'T', 'signature-time-stamp']]);
});

test('extended to LT then LTA, the signature verifies years later with the CA and OCSP switched off (only what it carries)', async () => {
  const both = await addCmsSigner(await sign(s.alice), { signer: s.bob.signer, certificate: s.bob.der });
  const verify = { ...trust(), crls: s.currentCrls };
  const lt = await extendCades(both, { level: 'LT', transport: s.tsa.transport, verify });
  assert.equal(lt.stamps.length, 2);
  assert.ok((lt.validationData?.crls ?? 0) >= 2, 'the CA and root CRLs went in');
  const lta = await extendCades(lt.cms, { level: 'LTA', transport: s.tsa.transport, verify });
  assert.deepEqual(lta.stamps.map((x) => [x.signer, x.kind]), [[0, 'archive'], [1, 'archive']], 'T was already there: only the archive stamps are new');

  // Nothing from outside (no CRLs, no revocation source, revocation required), and as of a time after even the
  // root and issuing CA certificates expired (2030-01-01).
  const offline = { trustAnchors: [s.root.der], at: new Date('2031-06-01T00:00:00Z'), revocation: 'require' as const };
  const v = await verifyCmsDocument(lta.cms, offline);
  assert.equal(v.valid, true, v.error?.message);
  for (const signer of v.signers) {
    assert.equal(signer.level, 'LTA');
    assert.deepEqual(signer.timeStamps?.map((t) => [t.kind, t.valid]), [['signature', true], ['archive', true]]);
    assert.equal(signer.chain[0]?.revocation.status, 'good');
  }
  // The same signature with stamps but without LT data: no TSA chain can be shown good offline, so no stamp
  // proves a time, and as of 2031 the certificate has expired.
  const t = await verifyCmsDocument((await extendCades(both, { level: 'T', transport: s.tsa.transport })).cms, offline);
  assert.equal(t.error?.code, 'QT_ERR_CERT_EXPIRED');
  assert.equal(t.signers[0]?.timeStamps?.[0]?.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(t.signers[0]?.judgedAt?.reason ?? '', /no time-stamp of the signature is valid \(The revocation status of "CN=Qoltanba Test Issuing CA, C=KZ" is unknown/);
  const b = await verifyCmsDocument(both, offline);
  assert.equal(b.error?.code, 'QT_ERR_CERT_EXPIRED', 'and without stamps it is judged as of 2031');

  // OpenSSL still verifies the signatures, and each archive token is over the imprint we compute.
  const referee = opensslResult(['cms', '-verify', '-inform', 'DER', '-in', tmp.file('lta.p7s', lta.cms), '-binary', '-CAfile', tmp.path('root.pem'), '-purpose', 'any', '-out', tmp.path('lta.out')]);
  assert.equal(referee.status, 0, referee.output);
  assert.match(openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', tmp.path('lta.p7s')]), /unsignedAttrs:[\s\S]*\(0\.4\.0\.1733\.2\.4\)/);
  const editor = SignedDataEditor.open(lta.cms);
  for (const i of [0, 1]) {
    const archive = stampsOf(editor, i).find((x) => x.kind === 'archive')!;
    const index = SignedDataEditor.open(archive.token).unsignedAttributes(0).find((a) => a.type === oid.attrAtsHashIndexV3)!.values[0]!;
    // The index as the token carries it lists what existed before this stamp; recompute the imprint with it.
    const imprint = await archiveImprint(editor, i, document, readAtsHashIndex(index).hashOid, index);
    const verified = opensslResult(['ts', '-verify', '-token_in', '-in', tmp.file(`ats${i}.der`, archive.token), '-digest', Buffer.from(imprint).toString('hex'), '-CAfile', tmp.path('root.pem'), '-untrusted', tmp.path('ca.pem')]);
    assert.equal(verified.status, 0, verified.output);
  }
});

test('the archive stamp covers what was there: a later certificate does not break it, a removed CRL does', async () => {
  const lta = await extendCades(await sign(s.alice), { level: 'LTA', transport: s.tsa.transport, verify: { ...trust(), crls: s.currentCrls } });
  const added = SignedDataEditor.open(lta.cms);
  added.addCertificates([s.bob.der]);
  const v = await verifyCmsDocument(added.toDer(), { trustAnchors: [s.root.der], at: s.later });
  assert.equal(v.valid, true, v.error?.message);
  assert.equal(v.signers[0]?.timeStamps?.find((t) => t.kind === 'archive')?.valid, true);

  // Drop the root's CRL from SignedData.crls and rebuild: the archive stamp no longer covers the signature.
  const original = SignedDataEditor.open(lta.cms);
  const crls = original.revocationInfo();
  const rebuilt = SignedDataEditor.open(await sign(s.alice));
  for (const a of original.unsignedAttributes(0)) for (const value of a.values) rebuilt.addUnsignedAttribute(0, a.type, value);
  rebuilt.addCertificates(original.certificates());
  rebuilt.addCrls(crls.slice(0, 1));
  const broken = await verifyCmsDocument(rebuilt.toDer(), { trustAnchors: [s.root.der], at: s.later, crls: crls.slice(1) });
  const archive = broken.signers[0]?.timeStamps?.find((t) => t.kind === 'archive');
  assert.equal(archive?.valid, false);
  assert.equal(archive?.error?.code, 'QT_ERR_TSP_IMPRINT_MISMATCH');
  assert.match(archive?.error?.message ?? '', /1 CRL or OCSP response it covered/);
});

test('validation data in certificate-values / revocation-values attributes (the older CAdES-X-L form) is read too', async () => {
  const editor = SignedDataEditor.open(await stamped(s.alice));
  const seqOf = (items: Uint8Array[]) => sequence(...items);
  editor.addUnsignedAttribute(0, oid.attrCertificateValues, seqOf([s.ca.der, s.tsa.certificate.der]));
  editor.addUnsignedAttribute(0, oid.attrRevocationValues, sequence(tlv(contextTag(0, true), seqOf(s.currentCrls))));
  const cms = editor.toDer();
  const v = await verifyCmsDocument(cms, { trustAnchors: [s.root.der], at: new Date('2031-06-01T00:00:00Z') });
  assert.equal(v.valid, true, v.error?.message);
  assert.equal(v.signers[0]?.level, 'LT');
  assert.equal(v.signers[0]?.judgedAt?.basis, 'signature-time-stamp');
});

test('LTA renewed: a second archive stamp covers the first (and the data added for its TSA); both hold', async () => {
  const verify = { ...trust(), crls: s.currentCrls };
  const once = await extendCades(await sign(s.alice), { level: 'LTA', transport: s.tsa.transport, verify });
  const twice = await extendCades(once.cms, { level: 'LTA', transport: s.tsa.transport, verify });
  assert.deepEqual(twice.stamps.map((x) => x.kind), ['archive']);
  const v = await verifyCmsDocument(twice.cms, { trustAnchors: [s.root.der], at: new Date('2031-06-01T00:00:00Z') });
  assert.equal(v.valid, true, v.error?.message);
  assert.deepEqual(v.signers[0]?.timeStamps?.map((t) => [t.kind, t.valid]), [['signature', true], ['archive', true], ['archive', true]]);
});

test('more time-stamps on one signer than the limit is QT_ERR_TOO_LARGE before any of them is checked', async () => {
  const editor = SignedDataEditor.open(await stamped(s.alice));
  const token = stampsOf(editor, 0)[0]!.token;
  for (let i = 0; i < 3; i++) editor.addUnsignedAttribute(0, oid.attrTimeStampToken, token);
  await assert.rejects(verifyCmsDocument(editor.toDer(), { ...trust(), crls: s.currentCrls, limits: { maxTimeStamps: 3 } }), (e: unknown) => (e as { code?: string }).code === 'QT_ERR_TOO_LARGE');
});

test('LT refuses a signature that is not valid now, and adds nothing', async () => {
  const cms = await sign(s.alice);
  await assert.rejects(extendCades(cms, { level: 'LT', transport: s.tsa.transport, verify: { trustAnchors: [s.root.der] } }), (e: unknown) => (e as { code?: string }).code === 'QT_ERR_REVOCATION_UNKNOWN' && /no validation data was added/.test((e as Error).message));
});
