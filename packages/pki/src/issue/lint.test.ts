import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicConstraints, Extension, TBSCertificate, Time, type Extension as ExtensionType } from '@peculiar/asn1-x509';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { oid } from '../oids.ts';
import { fromHex, toArrayBuffer, type Bytes } from '../encoding.ts';
import { inspectCertificate, type CertificateInfo } from '../certificate/index.ts';
import { fixtureCertificates } from '../certificate/testing/fixture-certificates.ts';
import { buildKzSubject, encodeDn } from '../names/index.ts';
import { getProfile } from '../profiles/index.ts';
import { buildExtensions } from './extensions.ts';
import { keyIdentifier } from './key-id.ts';
import { lintCertificate } from './lint.ts';
import { precertificateSignature } from './lint-signer.ts';
import { planCertificate, type CertificatePlan } from './plan.ts';
import { assembleCertificate, buildTbs } from './tbs.ts';
import { buildChain, newSigner, testUrls, type TestChain } from './testing/issue.ts';

let chain: TestChain;
let issuer: CertificateInfo;
let base: CertificatePlan;

const person = { surname: 'Тестов', name: 'Тест', patronymic: 'Тестович', iin: '900101300017' };

before(async () => {
  chain = await buildChain(2048);
  issuer = chain.issuing.info;
  const subscriber = await newSigner();
  base = await planCertificate({
    profile: getProfile('individual-sign'),
    subject: buildKzSubject(person),
    publicKey: subscriber.publicKey,
    issuer: { info: issuer, algorithm: chain.issuingSigner.algorithm },
    urls: testUrls,
    cps: { uri: 'https://qoltanba.kz/cps' },
    email: 'test@example.kz',
  });
});

/** Pre-certificate for a (possibly doctored) plan, linted the way issuance lints it. */
async function lintPlan(
  plan: CertificatePlan,
  change: { extensions?: (list: ExtensionType[]) => ExtensionType[]; tbs?: (tbs: Bytes) => Bytes; outer?: CertificatePlan['signatureAlgorithm'] } = {},
): Promise<string[]> {
  let tbs = buildTbs(plan, (change.extensions ?? ((l) => l))(buildExtensions(plan)));
  if (change.tbs) tbs = change.tbs(tbs);
  const der = assembleCertificate(tbs, change.outer ?? plan.signatureAlgorithm, await precertificateSignature(plan.signatureAlgorithm.oid, chain.issuingSigner.publicKey, tbs));
  const violations = await lintCertificate(der, base.profile, issuer, {
    testMode: plan.testMode,
    expected: { subject: plan.subject, publicKey: plan.publicKey, urls: plan.urls, email: plan.email, identification: plan.identification, cps: base.cps, keyStorage: plan.keyStorage },
  });
  return [...new Set(violations.map((v) => v.check))];
}

const without = (extOid: string) => (list: ExtensionType[]) => list.filter((e) => e.extnID !== extOid);
const mark = (extOid: string, critical: boolean) => (list: ExtensionType[]) => list.map((e) => (e.extnID === extOid ? new Extension({ ...e, critical }) : e));

test('an untouched plan lints clean', async () => {
  assert.deepEqual(await lintPlan(base), []);
});

test('each injected violation is caught by exactly its own rule', async () => {
  const otherSki = await keyIdentifier((await newSigner()).publicKey);
  const weak = await newSigner(1024);
  const cases: [string, Promise<string[]>, string][] = [
    ['key usage bits', lintPlan({ ...base, profile: { ...base.profile, keyUsage: ['digitalSignature'] } }), 'key-usage'],
    ['key usage not critical', lintPlan(base, { extensions: mark(oid.keyUsage, false) }), 'key-usage'],
    ['key usage missing', lintPlan(base, { extensions: without(oid.keyUsage) }), 'key-usage'],
    ['EKU without the role', lintPlan({ ...base, extKeyUsage: [oid.ekuEmailProtection] }), 'ext-key-usage'],
    ['EKU of AUTH on a SIGN profile', lintPlan({ ...base, extKeyUsage: [oid.ekuClientAuth, oid.roleIndividual] }), 'ext-key-usage'],
    ['an identification method nobody asked for', lintPlan({ ...base, extKeyUsage: [...base.extKeyUsage, oid.identifiedRemotely] }), 'ext-key-usage'],
    ['EKU critical', lintPlan(base, { extensions: mark(oid.extKeyUsage, true) }), 'ext-key-usage'],
    ['wrong policy', lintPlan({ ...base, profile: { ...base.profile, policy: oid.policyIndividualAuth } }), 'certificate-policies'],
    ['other CPS', lintPlan({ ...base, cps: { uri: 'https://evil.example/cps', notice: 'x' } }), 'certificate-policies'],
    ['subject order', lintPlan({ ...base, subject: encodeDn([{ type: 'SURNAME', value: 'ТЕСТОВ' }, { type: 'CN', value: 'ТЕСТОВ ТЕСТ' }, { type: 'SERIALNUMBER', value: 'IIN900101300017' }, { type: 'C', value: 'KZ' }]) }), 'subject'],
    ['subject string type', lintPlan({ ...base, subject: encodeDn([{ type: 'CN', value: 'ТЕСТОВ ТЕСТ' }, { type: 'SURNAME', value: 'ТЕСТОВ' }, { type: 'SERIALNUMBER', value: 'IIN900101300017' }, { type: 'C', value: 'KZ', stringType: 'utf8' }]) }), 'subject'],
    ['subject IIN checksum', lintPlan({ ...base, subject: encodeDn([{ type: 'CN', value: 'ТЕСТОВ ТЕСТ' }, { type: 'SURNAME', value: 'ТЕСТОВ' }, { type: 'SERIALNUMBER', value: 'IIN900101300018' }, { type: 'C', value: 'KZ' }]) }), 'subject'],
    ['organisation on an individual profile', lintPlan({ ...base, subject: buildKzSubject({ ...person, organization: 'ТОО', bin: '080440000018' }) }), 'subject'],
    ['subject key id', lintPlan({ ...base, subjectKeyId: otherSki }), 'subject-key-id'],
    ['authority key id', lintPlan({ ...base, authorityKeyId: otherSki }), 'authority-key-id'],
    ['negative serial', lintPlan({ ...base, serial: fromHex('80112233445566778899') }), 'serial'],
    ['short serial', lintPlan({ ...base, serial: fromHex('01020304') }), 'serial'],
    ['long serial', lintPlan({ ...base, serial: new Uint8Array(21).fill(1) }), 'serial'],
    ['zero serial', lintPlan({ ...base, serial: new Uint8Array([0]) }), 'serial'],
    ['beyond the issuer', lintPlan({ ...base, notBefore: new Date(issuer.notAfter.getTime() - 86_400_000), notAfter: new Date(issuer.notAfter.getTime() + 1000) }), 'validity'],
    ['longer than the profile', lintPlan({ ...base, notAfter: new Date(base.notBefore.getTime() + 400 * 86_400_000) }), 'validity'],
    ['ends before it starts', lintPlan({ ...base, notAfter: new Date(base.notBefore.getTime() - 1000) }), 'validity'],
    ['GeneralizedTime before 2050', lintPlan(base, { tbs: (t) => retime(t) }), 'validity'],
    ['a subscriber made CA', lintPlan(base, { extensions: (l) => [...l, caConstraints()] }), 'basic-constraints'],
    ['a duplicated extension', lintPlan(base, { extensions: (l) => [...l, l.find((e) => e.extnID === oid.extKeyUsage)!] }), 'extensions'],
    ['an unknown critical extension', lintPlan(base, { extensions: (l) => [...l, new Extension({ extnID: '1.2.3.4', critical: true, extnValue: new OctetString(new Uint8Array([5, 0]).buffer) })] }), 'extensions'],
    ['no OCSP URL', lintPlan({ ...base, urls: { ...base.urls, ocsp: [] } }), 'urls'],
    ['no CRL URL', lintPlan({ ...base, urls: { ...base.urls, crl: [] } }), 'urls'],
    ['e-mail missing', lintPlan(base, { extensions: without(oid.subjectAltName) }), 'subject-alt-name'],
    ['SAN critical', lintPlan(base, { extensions: mark(oid.subjectAltName, true) }), 'subject-alt-name'],
    ['ocsp-nocheck on a subscriber', lintPlan({ ...base, profile: { ...base.profile, ocspNoCheck: true } }), 'ocsp-nocheck'],
    ['issuer name', lintPlan({ ...base, issuerName: encodeDn([{ type: 'CN', value: 'SOMEONE ELSE' }]) }), 'issuer-name'],
    ['outer algorithm differs', lintPlan(base, { outer: { oid: oid.sha512WithRsa, parameters: new Uint8Array([5, 0]) } }), 'signature-algorithm'],
    ['weak key', lintPlan({ ...base, publicKey: weak.publicKey, subjectKeyId: await keyIdentifier(weak.publicKey) }), 'public-key'],
  ];
  for (const [what, result, check] of cases) assert.deepEqual(await result, [check], what);
});

function caConstraints(): ExtensionType {
  return new Extension({ extnID: oid.basicConstraints, critical: true, extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: true }))) });
}

/** The same TBS with notBefore as GeneralizedTime, which RFC 5280 forbids before 2050. */
function retime(tbs: Bytes): Bytes {
  const parsed = AsnConvert.parse(toArrayBuffer(tbs), TBSCertificate);
  parsed.validity.notBefore = new Time({ generalTime: parsed.validity.notBefore.getTime() });
  return new Uint8Array(AsnConvert.serialize(parsed));
}

test("NCA's own person certificates pass every rule of our lint for the matching profile except the key identifier method", async () => {
  // NCA computes a subscriber's subjectKeyIdentifier as SHA-1 over the whole SubjectPublicKeyInfo, not
  // RFC 5280 method 1 (SHA-1 of the key bits) that we use; everything else in their certificates is
  // exactly what our profiles demand.
  const byLabel = (label: string) => fixtureCertificates().find((c) => c.label === label)!.der;
  const checks = async (cert: Uint8Array, profile: string, ca: Uint8Array) =>
    [...new Set((await lintCertificate(cert, profile, ca, { testMode: true })).map((v) => v.check))].sort();
  const rsaCa = readFixture(...nca.rsaCa);
  const prodCa = byLabel('prod 2018 NCA RSA');
  assert.deepEqual(await checks(readFixture(...nca.signCert), 'individual-sign', rsaCa), ['subject-key-id']);
  assert.deepEqual(await checks(readFixture(...nca.authCert), 'individual-auth', rsaCa), ['subject-key-id']);
  assert.deepEqual(await checks(byLabel('prod 2018 individual SIGN (RSA)'), 'individual-sign', prodCa), ['subject-key-id']);
  assert.deepEqual(await checks(byLabel('prod 2018 individual AUTH (RSA)'), 'individual-auth', prodCa), ['subject-key-id']);
  // The GOST CEO certificate: also a key our policy does not certify yet.
  assert.deepEqual(await checks(readFixture(...nca.ceoGostCert), 'legal-ceo-sign', readFixture(...nca.gostCa)), ['public-key', 'subject-key-id']);
  // The wrong profile is noticed.
  assert.deepEqual(await checks(readFixture(...nca.signCert), 'individual-auth', rsaCa), ['certificate-policies', 'ext-key-usage', 'key-usage', 'subject-key-id']);
});

test('lint reports unreadable input as a parse violation rather than throwing', async () => {
  assert.deepEqual(
    (await lintCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 'individual-sign')).map((v) => v.check),
    ['parse'],
  );
  assert.ok(inspectCertificate(chain.root.der).selfIssued);
});
