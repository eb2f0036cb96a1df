import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { derFrom, toBase64, toHex, toPem } from '../encoding.ts';
import { fixtureCertificates } from './testing/fixture-certificates.ts';
import { inspectCertificate, type CertificateInfo } from './inspect.ts';

const byLabel = (label: string) => inspectCertificate(fixtureCertificates().find((c) => c.label === label)!.der);

test('every fixture certificate is recognised: kind, holder, IIN/BIN, roles, profile, algorithm', () => {
  const expected: Record<string, [string, string, string | undefined, string | undefined, string, string | undefined, string]> = {
    'nca rsa test CA': ['CA', 'authority', undefined, undefined, '', undefined, 'RSA/SHA-256'],
    'nca gost test CA': ['CA', 'authority', undefined, undefined, '', undefined, 'GOST 34.310-2004/GOST 34.311-95'],
    'nca gost 2015 test CA': ['CA', 'authority', undefined, undefined, '', undefined, 'GOST 34.10-2015 (512)/Streebog-512'],
    'nca individual SIGN (RSA)': ['SIGN', 'individual', '123456789011', undefined, 'individual', 'individual-sign', 'RSA/SHA-256'],
    'nca individual AUTH (RSA)': ['AUTH', 'individual', '123456789011', undefined, 'individual', 'individual-auth', 'RSA/SHA-256'],
    'nca CEO SIGN (GOST 2004)': ['SIGN', 'legal-entity', '123456789011', '123456789021', 'legal entity+CEO', 'legal-ceo-sign', 'GOST 34.310-2004/GOST 34.311-95'],
    'prod 2018 root RSA': ['CA', 'authority', undefined, undefined, '', undefined, 'RSA/SHA-256'],
    'prod 2018 root GOST': ['CA', 'authority', undefined, undefined, '', undefined, 'GOST 34.310-2004/GOST 34.311-95'],
    'prod 2018 NCA RSA': ['CA', 'authority', undefined, undefined, '', undefined, 'RSA/SHA-256'],
    'prod 2018 NCA GOST': ['CA', 'authority', undefined, undefined, '', undefined, 'GOST 34.310-2004/GOST 34.311-95'],
    'prod 2018 individual AUTH (RSA)': ['AUTH', 'individual', '123456789011', undefined, 'individual', 'individual-auth', 'RSA/SHA-256'],
    'prod 2018 individual SIGN (RSA)': ['SIGN', 'individual', '123456789011', undefined, 'individual', 'individual-sign', 'RSA/SHA-256'],
    'prod 2018 CEO (GOST 2004)': ['SIGN', 'legal-entity', '123456789011', '123456789021', 'legal entity+CEO', 'legal-ceo-sign', 'GOST 34.310-2004/GOST 34.311-95'],
    'nca OCSP responder (RSA)': ['OCSP', 'authority', '123456789011', '123456789021', '', undefined, 'RSA/SHA-256'],
    'nca OCSP responder (GOST 2004)': ['OCSP', 'authority', '123456789011', '123456789021', '', undefined, 'GOST 34.310-2004/GOST 34.311-95'],
    'nca OCSP responder (GOST 2015)': ['OCSP', 'authority', undefined, undefined, '', 'ocsp-signing', 'GOST 34.10-2015 (512)/Streebog-512'],
    'nca TSA': ['TSA', 'authority', '123456789011', '123456789021', '', undefined, 'GOST 34.310-2004/GOST 34.311-95'],
  };
  const certs = fixtureCertificates();
  assert.deepEqual(certs.map((c) => c.label).sort(), Object.keys(expected).sort());
  for (const { label, der } of certs) {
    const i = inspectCertificate(der);
    assert.deepEqual(
      [i.kind, i.holder, i.kz.iin, i.kz.bin, i.roles.map((r) => r.name).join('+'), i.profile, i.signatureAlgorithm.name],
      expected[label],
      label,
    );
  }
});

test('the SIGN certificate yields its name parts, policies, URLs, key identifiers and key', () => {
  const i = inspectCertificate(readFixture(...nca.signCert));
  assert.equal(i.subject.display, 'CN=ТЕСТОВ ТЕСТ, SURNAME=ТЕСТОВ, SERIALNUMBER=IIN123456789011, C=KZ, G=ТЕСТОВИЧ');
  assert.equal(i.issuer.display, 'C=KZ, CN=ҰКО 3.0 (RSA TEST)');
  assert.deepEqual(
    [i.kz.surname, i.kz.name, i.kz.patronymic, i.kz.organization],
    ['ТЕСТОВ', 'ТЕСТ', 'ТЕСТОВИЧ', undefined],
  );
  assert.equal(i.serialHex, '41E45CC8A04C705963E5CD6769848A934D8EAEF5');
  assert.deepEqual(i.keyUsage, ['digitalSignature', 'nonRepudiation']);
  assert.deepEqual(i.extKeyUsage, [oid.ekuEmailProtection, oid.roleIndividual]);
  assert.deepEqual(i.policies, [{ oid: oid.policyIndividualSign, cpsUris: ['http://pki.gov.kz/cps'], notices: ['http://pki.gov.kz/cps'] }]);
  assert.deepEqual(i.urls, {
    crl: ['http://test.pki.gov.kz/crl/nca_rsa_test.crl'],
    deltaCrl: ['http://test.pki.gov.kz/crl/nca_d_rsa_test.crl'],
    ocsp: ['http://test.pki.gov.kz/ocsp/'],
    caIssuers: ['http://test.pki.gov.kz/cert/nca_rsa_test.cer'],
  });
  assert.equal(i.subjectKeyId, 'a4f5a1ff8f55aba59bb244a255d4a5a980dd068b');
  assert.equal(i.authorityKeyId, inspectCertificate(readFixture(...nca.rsaCa)).subjectKeyId);
  assert.deepEqual([i.publicKey.algorithm, i.publicKey.bits, i.publicKey.exponent], ['RSA', 2048, 65537]);
  assert.equal(i.basicConstraints, undefined);
  assert.deepEqual(i.extensions.filter((e) => e.critical).map((e) => e.name), ['keyUsage']);
  assert.equal(i.notBefore.toISOString(), '2022-01-18T04:38:50.000Z');
});

test('CA certificates report basicConstraints, and the 2018 CEO key its organisation and 2018 layout', () => {
  const ca = byLabel('prod 2018 root RSA');
  assert.deepEqual(ca.basicConstraints, { ca: true, pathLength: undefined, critical: true });
  assert.equal(ca.selfIssued, true);
  assert.deepEqual(ca.keyUsage, ['keyCertSign', 'cRLSign']);
  const ceo = byLabel('prod 2018 CEO (GOST 2004)');
  assert.deepEqual([ceo.kz.organization, ceo.kz.locality, ceo.kz.state], ['АО "ТЕСТ"', 'АЛМАТЫ', 'АЛМАТЫ']);
  assert.equal(ceo.publicKey.algorithm, 'GOST 34.310-2004');
  assert.equal(byLabel('nca OCSP responder (GOST 2015)').ocspNoCheck, true);
});

test('serials, validity and subject key identifiers agree with openssl for every fixture certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qt-inspect-'));
  let compared = 0;
  for (const { label, der } of fixtureCertificates()) {
    const file = join(dir, 'c.der');
    writeFileSync(file, der);
    const out = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', file, '-noout', '-serial', '-startdate', '-enddate', '-ext', 'subjectKeyIdentifier'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    const i = inspectCertificate(der);
    const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(out)?.[1];
    // The one display spelling of a serial is exactly what openssl prints.
    assert.equal(i.serialHex, field('serial'), label);
    assert.equal(i.notBefore.getTime(), new Date(field('notBefore')!).getTime(), label);
    assert.equal(i.notAfter.getTime(), new Date(field('notAfter')!).getTime(), label);
    // openssl prints nothing for some of NCA's key identifiers; compare where it does.
    const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(out)?.[1];
    if (ski) {
      assert.equal(i.subjectKeyId, ski.replace(/:/g, '').toLowerCase(), label);
      compared++;
    }
  }
  assert.ok(compared >= 10, `only ${compared} key identifiers compared`);
});

test('DER, PEM and bare base64 inputs give the same answer', () => {
  const der = derFrom(readFixture(...nca.authCert));
  const fromDer = inspectCertificate(der);
  const strip = (i: CertificateInfo) => [i.serialHex, i.subject.display, toHex(i.tbs)];
  assert.deepEqual(strip(inspectCertificate(toPem('CERTIFICATE', der))), strip(fromDer));
  assert.deepEqual(strip(inspectCertificate(toBase64(der))), strip(fromDer));
  assert.deepEqual(strip(inspectCertificate(new TextEncoder().encode(`junk before\n${toPem('CERTIFICATE', der)}`))), strip(fromDer));
  assert.deepEqual(strip(inspectCertificate(der.buffer)), strip(fromDer));
});

test('truncated, padded, foreign and garbage input is QT_ERR_CERT_MALFORMED; huge input is QT_ERR_TOO_LARGE', () => {
  const der = derFrom(readFixture(...nca.signCert));
  const malformed = (input: Parameters<typeof inspectCertificate>[0], why?: RegExp) =>
    assert.throws(() => inspectCertificate(input), (e) => isQtError(e, 'QT_ERR_CERT_MALFORMED') && (!why || why.test(e.message)));
  for (let n = 0; n < der.length; n += 7) malformed(der.subarray(0, n));
  malformed(new Uint8Array([...der, 0]), /trailing/);
  malformed(readFixture(...nca.rsaCrl));
  malformed(new TextEncoder().encode('hello, world'));
  malformed('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n');
  malformed(toPem('CERTIFICATE REQUEST', der), /No "CERTIFICATE"/);
  malformed(new Uint8Array());
  assert.throws(() => inspectCertificate(new Uint8Array(1024 * 1024).fill(0x30)), (e) => isQtError(e, 'QT_ERR_TOO_LARGE'));
});

test('an extension that does not decode names itself in the error', () => {
  const der = derFrom(readFixture(...nca.signCert)).slice();
  // keyUsage extnValue 03 02 06 c0 (BIT STRING) becomes 04 02 06 c0 (OCTET STRING): same framing, wrong type.
  const at = toHex(der).indexOf('030206c0') / 2;
  assert.ok(at > 0);
  der[at] = 0x04;
  assert.throws(() => inspectCertificate(der), (e) => isQtError(e, 'QT_ERR_CERT_MALFORMED') && /keyUsage/.test(e.message));
});

test('property: corrupted certificates are read or refused with QT_ERR_CERT_MALFORMED, never anything else', () => {
  const certs = fixtureCertificates().map((c) => c.der);
  fc.assert(
    fc.property(fc.nat(certs.length - 1), fc.array(fc.tuple(fc.nat(4000), fc.nat(255)), { minLength: 1, maxLength: 3 }), (index, changes) => {
      const mutated = certs[index]!.slice();
      for (const [pos, byte] of changes) mutated[pos % mutated.length] = byte;
      try {
        inspectCertificate(mutated);
      } catch (e) {
        assert.ok(isQtError(e, 'QT_ERR_CERT_MALFORMED'), String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
