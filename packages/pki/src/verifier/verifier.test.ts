/**
 * The verifier core on NCA's artefacts, with a RevocationSource that plays NCA's publication point from the
 * fixtures (the network is not under test here; the server's HTTP fetcher has its own tests). What the core
 * promises: fail-closed by default, the reason when the status is unknown, evidence the caller brings used
 * first, nothing fetched for a certificate that does not chain to a trusted anchor, and a fetch budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOST2015_KEY_PASSWORD, TEST_KEY_PASSWORD, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { QtError, isQtError } from '@qoltanba/errors';
import { utf8, type Bytes } from '../encoding.ts';
import { signCms } from '../cms/index.ts';
import { importPkcs12Key } from '../pkcs12/index.ts';
import { verifyCertificateDocument, verifyCmsDocument, verifyDocument, xmlDepth, type RevocationSource } from './index.ts';

const IN_CRL_WINDOW = new Date('2022-04-01T00:00:00Z');

/** NCA's test publication point, from the fixtures: its CRLs by file name; OCSP answers none (unauthorized). */
function ncaSource(): RevocationSource & { asked: string[] } {
  const asked: string[] = [];
  const crls: Record<string, Bytes> = {
    'nca_rsa_test.crl': readFixture(...nca.rsaCrl),
    'nca_gost_test.crl': readFixture(...nca.gostCrl),
    'nca_gost2022_test.crl': readFixture(...nca.gost2022Crl),
  };
  return {
    asked,
    async fetchOcsp(url) {
      asked.push(url);
      throw new QtError('QT_ERR_REVOCATION_UNKNOWN', 'connection refused (the service is down)');
    },
    async fetchCrl(url) {
      asked.push(url);
      const crl = crls[url.slice(url.lastIndexOf('/') + 1)];
      if (!crl) throw new QtError('QT_ERR_REVOCATION_UNKNOWN', 'answered HTTP 404');
      return crl;
    },
  };
}

const rsaTrust = () => ({ trustAnchors: [readFixture(...nca.rsaCa)] });

test('fail-closed by default: without any revocation answer the certificate is not valid, and the verdict says what was tried', async () => {
  const none = await verifyCertificateDocument(readFixture(...nca.signCert), { ...rsaTrust(), at: IN_CRL_WINDOW });
  assert.equal(none.valid, false);
  assert.equal(none.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');

  const source = ncaSource();
  const down: RevocationSource = { fetchOcsp: source.fetchOcsp, fetchCrl: async () => Promise.reject(new QtError('QT_ERR_REVOCATION_UNKNOWN', 'the host name cannot be resolved')) };
  const v = await verifyCertificateDocument(readFixture(...nca.signCert), { ...rsaTrust(), at: IN_CRL_WINDOW, revocationSource: down });
  assert.equal(v.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(v.error?.message ?? '', /OCSP http:\/\/test\.pki\.gov\.kz\/ocsp\/: connection refused .*; CRL http:\/\/test\.pki\.gov\.kz\/crl\/nca_rsa_test\.crl: the host name cannot be resolved/);
  assert.deepEqual(v.error?.details?.['tried'], [
    'OCSP http://test.pki.gov.kz/ocsp/: connection refused (the service is down)',
    'CRL http://test.pki.gov.kz/crl/nca_rsa_test.crl: the host name cannot be resolved',
  ]);
  assert.equal(v.signers[0]?.chain[0]?.revocation.status, 'unchecked');

  const prefer = await verifyCertificateDocument(readFixture(...nca.signCert), { ...rsaTrust(), at: IN_CRL_WINDOW, revocation: 'prefer', revocationSource: down });
  assert.equal(prefer.valid, true);
});

test("revocation from the certificate's own CRL address, the delta tried only after a full CRL; OCSP only when asked for OCSP only", async () => {
  const source = ncaSource();
  const v = await verifyCertificateDocument(readFixture(...nca.signCert), { ...rsaTrust(), at: IN_CRL_WINDOW, revocationSource: source });
  assert.equal(v.valid, true, v.error?.message);
  assert.deepEqual(v.signers[0]?.chain[0]?.revocation, { status: 'good', source: 'crl' });
  assert.deepEqual(source.asked, ['http://test.pki.gov.kz/ocsp/', 'http://test.pki.gov.kz/crl/nca_rsa_test.crl', 'http://test.pki.gov.kz/crl/nca_d_rsa_test.crl']);

  const ocspOnly = ncaSource();
  const o = await verifyCertificateDocument(readFixture(...nca.signCert), { ...rsaTrust(), at: IN_CRL_WINDOW, revocationSource: ocspOnly, revocationKinds: ['ocsp'] });
  assert.equal(o.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.deepEqual(ocspOnly.asked, ['http://test.pki.gov.kz/ocsp/']);
});

test('evidence the caller brings settles the status first: nothing is fetched', async () => {
  const source = ncaSource();
  const v = await verifyCertificateDocument(readFixture(...nca.signCert), { ...rsaTrust(), at: IN_CRL_WINDOW, crls: [readFixture(...nca.rsaCrl)], revocationSource: source });
  assert.equal(v.valid, true);
  assert.deepEqual(source.asked, []);
});

test('a certificate that does not chain to a trusted anchor never makes the verifier fetch anything', async () => {
  const source = ncaSource();
  const v = await verifyCertificateDocument(readFixture(...nca.signCert), { trustAnchors: [readFixture(...nca.gostCa)], at: IN_CRL_WINDOW, revocationSource: source });
  assert.equal(v.error?.code, 'QT_ERR_CHAIN_INCOMPLETE');
  assert.deepEqual(source.asked, []);
});

test('the fetch budget per document: past it, lookups are not made and the verdict says so', async () => {
  const source = ncaSource();
  const v = await verifyCertificateDocument(readFixture(...nca.signCert), { ...rsaTrust(), at: IN_CRL_WINDOW, revocationSource: source, limits: { maxFetches: 1 } });
  assert.equal(v.error?.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(v.error?.message ?? '', /the limit of 1 revocation lookups per document was reached/);
  assert.equal(source.asked.length, 1);
});

test('a CMS with two signers (RSA 2004, GOST 2015): one verdict per signer, and the document valid only when both are', async () => {
  const rsa = await importPkcs12Key(readFixture(...nca.revokedSignKey), TEST_KEY_PASSWORD);
  const gost = await importPkcs12Key(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD);
  const { addCmsSigner } = await import('../cms/index.ts');
  const one = await signCms({ signer: gost.signer, certificate: gost.certificate, content: utf8('екеуі') });
  const both = await addCmsSigner(one, { signer: rsa.signer, certificate: rsa.certificate });
  const at = new Date('2022-09-01T00:00:00Z');
  const v = await verifyCmsDocument(both, { trustAnchors: [readFixture(...nca.gost2015Ca), readFixture(...nca.rsaCa)], at, revocationSource: ncaSource(), revocationKinds: ['crl'] });
  assert.deepEqual(v.signers.map((s) => [s.valid, s.error?.code]), [
    [true, undefined],
    [false, 'QT_ERR_CERT_REVOKED'],
  ]);
  assert.equal(v.valid, false);
  assert.equal(v.error?.code, 'QT_ERR_CERT_REVOKED');
});

test('verifyDocument tells documents from evidence, and unreadable input is a QtError, never a verdict', async () => {
  await assert.rejects(verifyDocument(readFixture(...nca.rsaCrl), rsaTrust()), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID') && /evidence, not a signed document/.test(e.message));
  await assert.rejects(verifyDocument(new Uint8Array([0x30, 0x03, 0x06, 0x01, 0x2a]), rsaTrust()), (e) => isQtError(e, 'QT_ERR_CMS_MALFORMED'));
  await assert.rejects(verifyDocument('<a><b></a>', rsaTrust()), (e) => isQtError(e, 'QT_ERR_XML_MALFORMED'));
  await assert.rejects(verifyDocument('<a/>', rsaTrust()), (e) => isQtError(e, 'QT_ERR_XML_NO_SIGNATURE'));
});

test('xmlDepth reads nesting without a parser: comments, CDATA, declarations, quoted ">" and empty elements do not count', () => {
  assert.equal(xmlDepth('<?xml version="1.0"?><a><b x="1>2"><c/><!-- <d><e> --><![CDATA[<f><g>]]></b></a>'), 2);
  assert.equal(xmlDepth(`<r>${'<a>'.repeat(1000)}</r>`, 100), 101, 'stops counting past the limit');
  assert.equal(xmlDepth('no markup'), 0);
  assert.equal(xmlDepth('<a'), 0);
});
