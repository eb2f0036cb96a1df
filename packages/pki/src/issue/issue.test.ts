import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, derFrom, toHex } from '../encoding.ts';
import { createCsr } from '../csr/index.ts';
import { inspectCertificate } from '../certificate/index.ts';
import { parseKzSubject, type KzSubjectInput } from '../names/index.ts';
import { addPeriod } from '../profiles/index.ts';
import { issueCaCertificate, issueCertificate, issueOcspSigningCertificate, issueTimeStampingCertificate, type IssuedCertificate } from './issue.ts';
import { precertificateSignature } from './lint-signer.ts';
import { buildChain, countingSigner, newSigner, subscriberCsr, testUrls, type TestChain } from './testing/issue.ts';

const dir = mkdtempSync(join(tmpdir(), 'qt-issue-'));
let chain: TestChain;
let rootFile: string;
let issuingFile: string;

function save(name: string, cert: IssuedCertificate): string {
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, cert.pem);
  return file;
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

const person: KzSubjectInput = { surname: 'Сәрсенбаев', name: 'Нұрлан', patronymic: 'Асқарұлы', iin: '900101300017' };

before(async () => {
  // NCA's own CAs are RSA-4096; so are ours here.
  chain = await buildChain(4096);
  rootFile = save('root', chain.root);
  issuingFile = save('issuing', chain.issuing);
});

const issuer = () => ({ certificate: chain.issuing.der, signer: chain.issuingSigner });

test('root, issuing CA, AUTH and SIGN certificates we issue pass openssl verify, for their purposes and explicit policies', async () => {
  for (const [profile, purpose, policy] of [
    ['individual-sign', 'smimesign', oid.policyIndividualSign],
    ['individual-auth', 'sslclient', oid.policyIndividualAuth],
  ] as const) {
    const { csr } = await subscriberCsr();
    const leaf = await issueCertificate({ csr, profile, subject: person, issuer: issuer(), urls: testUrls, cps: { uri: 'https://qoltanba.kz/cps' } });
    const file = save(profile, leaf);
    assert.match(openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, file]), /: OK/);
    assert.match(openssl(['verify', '-purpose', purpose, '-CAfile', rootFile, '-untrusted', issuingFile, file]), /: OK/);
    assert.match(openssl(['verify', '-policy_check', '-explicit_policy', '-policy', policy, '-CAfile', rootFile, '-untrusted', issuingFile, file]), /: OK/);
    assert.equal(leaf.info.profile, profile);
  }
  assert.equal(chain.root.info.publicKey.bits, 4096);
  assert.equal(chain.root.info.profile, 'root-ca');
  assert.equal(chain.issuing.info.profile, 'issuing-ca');
  assert.deepEqual(chain.issuing.info.basicConstraints, { ca: true, pathLength: 0, critical: true });
});

test('openssl x509 -text shows the national profile on a SIGN certificate', async () => {
  const { csr } = await subscriberCsr();
  const leaf = await issueCertificate({
    csr,
    profile: 'individual-sign',
    subject: person,
    issuer: issuer(),
    urls: testUrls,
    cps: { uri: 'https://qoltanba.kz/cps' },
    email: 'nurlan@example.kz',
    identification: 'remote',
  });
  const text = openssl(['x509', '-in', save('sign-text', leaf), '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space']);
  assert.match(text, /Subject: CN=СӘРСЕНБАЕВ НҰРЛАН, SN=СӘРСЕНБАЕВ, serialNumber=IIN900101300017, C=KZ, GN=АСҚАРҰЛЫ/);
  assert.match(text, /Key Usage: critical\n\s+Digital Signature, Non Repudiation/);
  assert.match(text, /Extended Key Usage: \n\s+E-mail Protection, 1\.2\.398\.3\.3\.4\.1\.1, 1\.2\.398\.3\.3\.4\.3\.2/);
  assert.match(text, /Policy: 1\.2\.398\.3\.3\.2\.3\n\s+CPS: https:\/\/qoltanba\.kz\/cps\n\s+User Notice:\n\s+Explicit Text: https:\/\/qoltanba\.kz\/cps/);
  assert.match(text, /CRL Distribution Points: \n\s+Full Name:\n\s+URI:http:\/\/127\.0\.0\.1:8080\/crl\/qoltanba-rsa\.crl/);
  assert.match(text, /Freshest CRL: \n\s+Full Name:\n\s+URI:http:\/\/127\.0\.0\.1:8080\/crl\/qoltanba-rsa-delta\.crl/);
  assert.match(text, /CA Issuers - URI:http:\/\/127\.0\.0\.1:8080\/cert\/qoltanba-rsa\.cer\n\s+OCSP - URI:http:\/\/127\.0\.0\.1:8080\/ocsp/);
  assert.match(text, /Subject Alternative Name: \n\s+email:nurlan@example\.kz/);
  assert.doesNotMatch(text, /Basic Constraints/);
  // Java reads it too (NCALayer and most Kazakh relying parties are Java).
  const keytool = execFileSync('keytool', ['-printcert', '-file', join(dir, 'sign-text.pem')]).toString();
  assert.match(keytool, /Owner: .*SERIALNUMBER=IIN900101300017/);
  assert.match(keytool, /Non_repudiation/);
});

test("a certificate with the fixture SIGN certificate's subject has NCA's exact subject bytes, and NCA's key usage, EKU and policy bytes", async () => {
  const fixture = inspectCertificate(readFixture(...nca.signCert));
  const subject = parseKzSubject(fixture.subject.der, { testMode: true });
  const { csr } = await subscriberCsr();
  const leaf = await issueCertificate({
    csr,
    profile: 'individual-sign',
    subject,
    issuer: issuer(),
    urls: testUrls,
    cps: { uri: 'http://pki.gov.kz/cps' },
    testMode: true,
  });
  assert.ok(bytesEqual(leaf.info.subject.der, fixture.subject.der), `${toHex(leaf.info.subject.der)} != ${toHex(fixture.subject.der)}`);
  for (const extOid of [oid.keyUsage, oid.extKeyUsage, oid.certificatePolicies]) {
    const ours = leaf.info.extensions.find((e) => e.oid === extOid)!;
    const theirs = fixture.extensions.find((e) => e.oid === extOid)!;
    assert.equal(toHex(ours.value), toHex(theirs.value), extOid);
    assert.equal(ours.critical, theirs.critical, extOid);
  }
  // Without test mode NCA's test IIN is refused before anything is signed.
  await assert.rejects(
    issueCertificate({ csr, profile: 'individual-sign', subject, issuer: issuer(), urls: testUrls }),
    (e) => isQtError(e, 'QT_ERR_IIN_INVALID'),
  );
});

test("the CSR's subject and requested extensions never reach the certificate; only its key does", async () => {
  const requester = await newSigner();
  const csr = (await createCsr(requester, [{ type: 'CN', value: 'EVIL HACKER' }, { type: 'O', value: 'ROGUE LLP' }, { type: 'SERIALNUMBER', value: 'IIN000000000000' }])).der;
  const leaf = await issueCertificate({ csr, profile: 'individual-auth', subject: person, issuer: issuer(), urls: testUrls });
  const raw = Buffer.from(leaf.der);
  for (const text of ['EVIL', 'ROGUE', 'IIN000000000000']) assert.equal(raw.indexOf(Buffer.from(text)), -1, text);
  assert.equal(leaf.info.kz.iin, '900101300017');
  assert.ok(bytesEqual(leaf.info.publicKey.spki, requester.publicKey));
  // A CSR made by openssl with a SAN request: the SAN is not granted.
  const reqFile = join(dir, 'san.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'san.key'), '-out', reqFile, '-subj', '/CN=evil', '-addext', 'subjectAltName=email:evil@example.com'], {
    stdio: 'ignore',
  });
  const fromOpenssl = await issueCertificate({ csr: new Uint8Array(readFileSync(reqFile)), profile: 'individual-sign', subject: person, issuer: issuer(), urls: testUrls });
  assert.deepEqual(fromOpenssl.info.emails, []);
});

test('serials are 16 octets, positive, with a non-zero first byte, and differ', async () => {
  const serials = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const { csr } = await subscriberCsr();
    const leaf = await issueCertificate({ csr, profile: 'individual-auth', subject: person, issuer: issuer(), urls: testUrls });
    assert.equal(leaf.serialHex.length, 32);
    const first = parseInt(leaf.serialHex.slice(0, 2), 16);
    assert.ok(first >= 1 && first <= 0x7f, leaf.serialHex);
    serials.add(leaf.serialHex);
  }
  assert.equal(serials.size, 5);
});

test("SKI is the SHA-1 of the public key bits (computed independently by node:crypto) and AKI is the issuer's SKI", async () => {
  const { csr, signer } = await subscriberCsr();
  const leaf = await issueCertificate({ csr, profile: 'individual-sign', subject: person, issuer: issuer(), urls: testUrls });
  const pkcs1 = createPublicKey({ key: Buffer.from(signer.publicKey), format: 'der', type: 'spki' }).export({ type: 'pkcs1', format: 'der' });
  assert.equal(leaf.subjectKeyId, createHash('sha1').update(pkcs1).digest('hex'));
  assert.equal(leaf.info.subjectKeyId, leaf.subjectKeyId);
  assert.equal(leaf.info.authorityKeyId, chain.issuing.info.subjectKeyId);
  assert.equal(chain.issuing.info.authorityKeyId, chain.root.info.subjectKeyId);
  assert.equal(chain.root.info.authorityKeyId, chain.root.info.subjectKeyId);
});

test('validity: 1 year for a key in a file, 3 on a token, never beyond the issuer', async () => {
  const notBefore = new Date('2026-03-01T10:00:00Z');
  const { csr } = await subscriberCsr();
  const inFile = await issueCertificate({ csr, profile: 'individual-sign', subject: person, issuer: issuer(), urls: testUrls, notBefore: new Date(Math.max(notBefore.getTime(), chain.issuing.notBefore.getTime())) });
  assert.equal(inFile.notAfter.getTime(), addPeriod(inFile.notBefore, { years: 1 }).getTime());
  const onToken = await issueCertificate({ csr, profile: 'individual-sign', subject: person, issuer: issuer(), urls: testUrls, keyStorage: 'token' });
  assert.equal(onToken.notAfter.getTime(), addPeriod(onToken.notBefore, { years: 3 }).getTime());
  // An issuing CA that ends in 6 months cuts the 3-year default.
  const short = await buildChain(2048, addPeriod(new Date(), { months: 6 }));
  const cut = await issueCertificate({ csr, profile: 'individual-sign', subject: person, issuer: { certificate: short.issuing.der, signer: short.issuingSigner }, urls: testUrls, keyStorage: 'token' });
  assert.equal(cut.notAfter.getTime(), short.issuing.notAfter.getTime());
});

test('a legal-entity CEO certificate carries O/BIN and the CEO role, and verifies', async () => {
  const { csr } = await subscriberCsr();
  const leaf = await issueCertificate({
    csr,
    profile: 'legal-ceo-sign',
    subject: { ...person, organization: 'ТОО «Қолтаңба»', bin: '080440000018' },
    issuer: issuer(),
    urls: testUrls,
  });
  assert.deepEqual(leaf.info.extKeyUsage, [oid.ekuEmailProtection, oid.roleLegalEntity, oid.roleCeo]);
  assert.deepEqual([leaf.info.kind, leaf.info.holder, leaf.info.kz.bin, leaf.info.profile], ['SIGN', 'legal-entity', '080440000018', 'legal-ceo-sign']);
  assert.match(openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, save('ceo', leaf)]), /: OK/);
});

test('when the lint finds a violation the real signer is never called', async () => {
  const counted = countingSigner(chain.issuingSigner);
  const { csr } = await subscriberCsr();
  const base = { csr, profile: 'individual-sign' as const, subject: person, issuer: { certificate: chain.issuing.der, signer: counted.signer }, urls: testUrls };
  const violation = async (extra: object, check: string, why: RegExp) => {
    await assert.rejects(issueCertificate({ ...base, ...extra }), (e) => {
      assert.ok(isQtError(e, 'QT_ERR_PROFILE_VIOLATION'), String(e));
      const violations = e.details?.violations as { check: string; message: string }[];
      assert.deepEqual([...new Set(violations.map((v) => v.check))], [check]);
      assert.ok(violations.some((v) => why.test(v.message)), JSON.stringify(violations));
      return true;
    });
  };
  const issuerEnd = chain.issuing.notAfter;
  await violation({ notBefore: addPeriod(issuerEnd, { months: -6 }), notAfter: new Date(issuerEnd.getTime() + 1000) }, 'validity', /issuer's validity/);
  await violation({ notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2031-01-02T00:00:00Z') }, 'validity', /longer than individual-sign allows \(1 year\)/);
  await violation({ serial: '01' }, 'serial', /8 bits/);
  await violation({ serial: '8000000000000000000000000000000001' }, 'serial', /negative/);
  await violation({ serial: '01'.repeat(21) }, 'serial', /21 octets/);
  assert.equal(counted.calls(), 0);
  const leaf = await issueCertificate(base);
  assert.equal(counted.calls(), 1);
  assert.match(openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, save('counted', leaf)]), /: OK/);
});

test("an RSA CA's pre-certificate carries zeros of the CA modulus' length, and each certificate costs the CA key one signature", async () => {
  // Any bytes stand for a TBS here: the placeholder depends only on the algorithm and the CA key.
  const tbs = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
  const placeholder = await precertificateSignature(oid.sha256WithRsa, chain.issuingSigner.publicKey, tbs);
  assert.equal(placeholder.length, 512);
  assert.ok(placeholder.every((b) => b === 0));
  // A non-RSA algorithm still gets a real throwaway signature (ECDSA's length varies with the value).
  const ecdsa = await precertificateSignature(oid.ecdsaWithSha256, chain.issuingSigner.publicKey, tbs);
  assert.ok(ecdsa.length >= 8 && ecdsa.some((b) => b !== 0));
  const counted = countingSigner(chain.issuingSigner);
  const { csr } = await subscriberCsr();
  const leaf = await issueCertificate({ csr, profile: 'individual-auth', subject: person, issuer: { certificate: chain.issuing.der, signer: counted.signer }, urls: testUrls });
  assert.equal(counted.calls(), 1);
  assert.equal(leaf.info.signature.length, 512);
  assert.match(openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, save('placeholder', leaf)]), /: OK/);
});

test('bad requests stop before any signing, each with its own code', async () => {
  const counted = countingSigner(chain.issuingSigner);
  const signerIssuer = { certificate: chain.issuing.der, signer: counted.signer };
  const { csr } = await subscriberCsr();
  const caCsr = derFrom(
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-subj', '/CN=x', '-addext', 'basicConstraints=critical,CA:TRUE']).toString(),
  );
  const cases: [object, string][] = [
    [{ csr: caCsr }, 'QT_ERR_CSR_REQUESTS_CA'],
    [{ profile: 'legal-ceo-sign' }, 'QT_ERR_SUBJECT_INVALID'],
    [{ subject: { ...person, organization: 'ТОО', bin: '080440000018' } }, 'QT_ERR_SUBJECT_INVALID'],
    [{ profile: 'root-ca' }, 'QT_ERR_INPUT_INVALID'],
    [{ profile: 'individual-encrypt' }, 'QT_ERR_PROFILE_UNKNOWN'],
    [{ subject: { ...person, iin: '900101300018' } }, 'QT_ERR_IIN_INVALID'],
    [{ email: 'not an address' }, 'QT_ERR_SUBJECT_INVALID'],
    [{ urls: { ...testUrls, ocsp: 'ftp://x' } }, 'QT_ERR_INPUT_INVALID'],
    [{ issuer: { certificate: chain.root.der, signer: counted.signer } }, 'QT_ERR_KEY_MISMATCH'],
  ];
  for (const [change, code] of cases) {
    await assert.rejects(
      issueCertificate({ csr, profile: 'individual-sign', subject: person, issuer: signerIssuer, urls: testUrls, ...change } as Parameters<typeof issueCertificate>[0]),
      (e) => isQtError(e) && e.code === code,
      `${JSON.stringify(Object.keys(change))} → ${code}`,
    );
  }
  assert.equal(counted.calls(), 0);
});

test('a signer that signs something else cannot produce a certificate', async () => {
  const { csr } = await subscriberCsr();
  const liar = { ...chain.issuingSigner, sign: (data: Uint8Array) => chain.issuingSigner.sign(new Uint8Array([...data, 0])) };
  await assert.rejects(
    issueCertificate({ csr, profile: 'individual-sign', subject: person, issuer: { certificate: chain.issuing.der, signer: liar }, urls: testUrls }),
    (e) => isQtError(e, 'QT_ERR_SIGNATURE_INVALID'),
  );
});

test('an issuing CA with pathLen 0 cannot issue another CA, and the lint says so before signing', async () => {
  const counted = countingSigner(chain.issuingSigner);
  const sub = await newSigner();
  await assert.rejects(
    issueCaCertificate({
      profile: 'issuing-ca',
      subject: [{ type: 'CN', value: 'SUB-SUB CA' }],
      publicKey: sub.publicKey,
      issuer: { certificate: chain.issuing.der, signer: counted.signer },
      urls: { crl: testUrls.crl },
    }),
    (e) => isQtError(e, 'QT_ERR_PROFILE_VIOLATION') && (e.details?.violations as { check: string }[]).some((v) => v.check === 'issuer'),
  );
  assert.equal(counted.calls(), 0);
});

test('a delegated OCSP responder certificate: OCSPSigning, nocheck, 30 days, verified by openssl for OCSP use', async () => {
  const responder = await newSigner();
  const cert = await issueOcspSigningCertificate({
    subject: [{ type: 'CN', value: 'OCSP RESPONDER' }, { type: 'C', value: 'KZ' }],
    publicKey: responder.publicKey,
    issuer: issuer(),
  });
  assert.deepEqual([cert.info.kind, cert.info.profile, cert.info.ocspNoCheck], ['OCSP', 'ocsp-signing', true]);
  assert.equal(cert.notAfter.getTime(), addPeriod(cert.notBefore, { days: 30 }).getTime());
  const file = save('ocsp', cert);
  assert.match(openssl(['verify', '-purpose', 'ocsphelper', '-CAfile', rootFile, '-untrusted', issuingFile, file]), /: OK/);
  assert.match(openssl(['x509', '-in', file, '-noout', '-text']), /OCSP No Check/);
});

test('a time-stamping authority certificate: one critical EKU holding timeStamping only, accepted by openssl for time-stamping', async () => {
  const tsa = await newSigner();
  const cert = await issueTimeStampingCertificate({
    subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'TIME-STAMPING AUTHORITY' }],
    publicKey: tsa.publicKey,
    issuer: issuer(),
    urls: { crl: testUrls.crl, deltaCrl: testUrls.deltaCrl, caIssuers: testUrls.caIssuers },
  });
  assert.deepEqual([cert.info.kind, cert.info.profile, cert.info.holder], ['TSA', 'tsa-signing', 'authority']);
  const eku = cert.info.extensions.find((e) => e.oid === oid.extKeyUsage);
  assert.equal(eku?.critical, true);
  assert.deepEqual(cert.info.extKeyUsage, [oid.ekuTimeStamping]);
  assert.deepEqual(cert.info.keyUsage, ['digitalSignature']);
  assert.deepEqual(cert.info.urls.ocsp, [], 'no OCSP pointer: the responder answers for subscriber certificates only');
  const file = save('tsa', cert);
  assert.match(openssl(['verify', '-purpose', 'timestampsign', '-CAfile', rootFile, '-untrusted', issuingFile, file]), /: OK/);
  assert.match(openssl(['x509', '-in', file, '-noout', '-ext', 'extendedKeyUsage']), /extended key usage: critical\s+Time Stamping\s*$/i);
  // A required pointer missing: the lint refuses it before anything is signed.
  await assert.rejects(
    issueTimeStampingCertificate({ subject: [{ type: 'CN', value: 'TSA' }], publicKey: tsa.publicKey, issuer: issuer(), urls: { crl: testUrls.crl } }),
    (e) => isQtError(e, 'QT_ERR_PROFILE_VIOLATION') && /caIssuers/.test(e.message),
  );
});

test('CA and responder keys follow the same key policy as subscribers', async () => {
  const weak = await newSigner(1024);
  await assert.rejects(issueCaCertificate({ profile: 'root-ca', subject: [{ type: 'CN', value: 'WEAK ROOT' }], signer: weak }), (e) => isQtError(e, 'QT_ERR_KEY_WEAK'));
  await assert.rejects(
    issueOcspSigningCertificate({ subject: [{ type: 'CN', value: 'OCSP' }], publicKey: weak.publicKey, issuer: issuer() }),
    (e) => isQtError(e, 'QT_ERR_KEY_WEAK'),
  );
});
