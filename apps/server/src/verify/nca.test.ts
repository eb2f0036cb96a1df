/**
 * The verification service on NCA's own artefacts — RSA, GOST 34.310-2004 and GOST 34.10-2015 — with
 * revocation fetched over HTTP from the addresses in NCA's certificates (through a mirror of NCA's test
 * publication point serving the real NCA CRLs and OCSP responses). NCA's test certificates have expired,
 * so every check is "as of" a time inside their windows (the CRLs: 2022-03-29 … 2022-09-25 for RSA and
 * GOST 2004, 2022-07-27 … 2023-01-23 for GOST 2015; the OCSP answers: produced 2022-09-02 ~17:00 UTC).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { importPkcs12Key, signCms, signXml, toBase64, utf8 } from '@qoltanba/pki';
import { GOST2015_KEY_PASSWORD, TEST_KEY_PASSWORD, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { startNcaMirror, type NcaMirror } from './testing/nca-mirror.ts';
import { verifyApp } from './testing/harness.ts';

const IN_CRL_WINDOW = '2022-04-01T00:00:00Z';
const AT_OCSP = '2022-09-02T17:00:00Z';

let mirror: NcaMirror;
let app: FastifyInstance;
let close: () => Promise<void>;

before(async () => {
  mirror = await startNcaMirror();
  ({ app, close } = await verifyApp({ trust: { presets: ['nca-test'] }, fetch: { mirrors: mirror.mirrors } }));
});
after(async () => {
  await close?.();
  await mirror?.close();
});

async function post(url: string, body: object) {
  const r = await app.inject({ method: 'POST', url, payload: body });
  return { status: r.statusCode, body: r.json() };
}

const b64 = (path: readonly string[]) => toBase64(readFixture(...path));
const pemBody = (path: readonly string[]) => new TextDecoder().decode(readFixture(...path)).replace(/-----[^-]+-----|\s/g, '');

async function signedCms(key: readonly string[], password: string, content: string): Promise<string> {
  const k = await importPkcs12Key(readFixture(...key), password);
  return toBase64(await signCms({ signer: k.signer, certificate: k.certificate, content: utf8(content) }));
}

test('RSA: NCA’s individual SIGN certificate is valid as of 2022-04-01 in NCANode’s shape, good by NCA’s CRL fetched from its CRL distribution point', async () => {
  const r = await post('/x509/info', { certs: [pemBody(nca.signCert)], revocationCheck: ['OCSP', 'CRL'], at: IN_CRL_WINDOW });
  assert.equal(r.status, 200);
  assert.equal(r.body.valid, true, r.body.message);
  const info = r.body.signers[0];
  assert.deepEqual(info.revocations, [{ revoked: false, by: 'CRL', revocationTime: null, reason: null }]);
  assert.equal(info.keyUsage, 'SIGN');
  assert.deepEqual(info.keyUser, ['INDIVIDUAL']);
  assert.equal(info.signAlg, 'SHA256withRSA');
  assert.equal(info.serialNumber, '41e45cc8a04c705963e5cd6769848a934d8eaef5');
  assert.equal(info.notBefore, '2022-01-18T04:38:50.000+00:00');
  assert.equal(info.subject.iin, '123456789011');
  assert.equal(info.subject.country, 'KZ');
  assert.match(info.subject.dn, /^GIVENNAME=.*, C=KZ, SERIALNUMBER=IIN123456789011, SURNAME=.*, CN=/);
  assert.equal(info.issuer.commonName, 'ҰКО 3.0 (RSA TEST)');
  assert.ok((mirror.hits.get('/crl/nca_rsa_test.crl') ?? 0) >= 1);
});

test('RSA: a CMS signed with NCA’s revoked SIGN key is not valid — revoked (superseded) by NCA’s CRL — in both REST shapes', async () => {
  const cms = await signedCms(nca.revokedSignKey, TEST_KEY_PASSWORD, 'Өтініш');
  const ours = await post('/api/v1/verify', { cms, at: IN_CRL_WINDOW });
  assert.equal(ours.body.valid, false);
  assert.equal(ours.body.error.code, 'QT_ERR_CERT_REVOKED');
  assert.deepEqual(ours.body.signers[0].chain[0].revocation, { status: 'revoked', source: 'crl', reason: 'superseded', revokedAt: '2022-01-18T04:40:24.000Z' });
  const theirs = await post('/cms/verify', { cms, revocationCheck: ['CRL'], at: IN_CRL_WINDOW });
  assert.equal(theirs.body.valid, false);
  assert.deepEqual([theirs.body.signers[0].status, theirs.body.signers[0].subIndication], ['INVALID', 'CERT_REVOKED']);
  assert.deepEqual(theirs.body.signers[0].certificates[0].revocations, [{ revoked: true, by: 'CRL', revocationTime: '2022-01-18T04:40:24.000+00:00', reason: 'superseded' }]);
});

test('GOST 2004: the CEO certificate names the RSA CA’s CRL, so its status is unknown (fail-closed, reason given); with its own CA’s CRL brought along it is valid', async () => {
  const fetched = await post('/api/v1/verify', { certificate: b64(nca.ceoGostCert), at: IN_CRL_WINDOW });
  assert.equal(fetched.body.valid, false);
  assert.equal(fetched.body.error.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.match(fetched.body.error.message, /nca_rsa_test\.crl: it is the CRL of "C=KZ, CN=ҰКО 3\.0 \(RSA TEST\)", not of this certificate's issuer/);
  const brought = await post('/api/v1/verify', { certificate: b64(nca.ceoGostCert), at: IN_CRL_WINDOW, crls: [b64(nca.gostCrl)] });
  assert.equal(brought.body.valid, true, JSON.stringify(brought.body.error));
  assert.deepEqual(brought.body.signers[0].chain[0].revocation, { status: 'good', source: 'crl' });
  assert.match(brought.body.signers[0].certificate.signatureAlgorithm, /GOST 34\.310-2004/);
});

test('GOST 2004: a CMS signed with NCA’s revoked CEO key is revoked according to NCA’s OCSP responder', async () => {
  const cms = await signedCms(nca.ceoSignRevoked2004Key, TEST_KEY_PASSWORD, 'Бұйрық');
  const r = await post('/cms/verify', { cms, revocationCheck: ['OCSP'], at: AT_OCSP });
  assert.equal(r.body.valid, false);
  const info = r.body.signers[0].certificates[0];
  assert.deepEqual(info.revocations, [{ revoked: true, by: 'OCSP', revocationTime: '2022-01-18T06:30:55.000+00:00', reason: info.revocations[0].reason }]);
  assert.equal(info.signAlg, 'ECGOST34310');
  assert.deepEqual(info.keyUser.sort(), ['CEO', 'ORGANIZATION']);
  assert.equal(info.subject.bin, '123456789021');
});

test('GOST 2015: NCA’s responder says the individual key was never issued (revoked); by NCA’s 2022 CRL alone it is good — CMS, XML and PKCS#12 agree', async () => {
  const cms = await signedCms(nca.valid2015Key, GOST2015_KEY_PASSWORD, 'Келісім');
  const byOcsp = await post('/api/v1/verify', { cms, at: AT_OCSP });
  assert.equal(byOcsp.body.valid, false);
  assert.equal(byOcsp.body.error.code, 'QT_ERR_CERT_REVOKED');
  assert.match(byOcsp.body.error.message, /never issued/);

  const byCrl = await post('/cms/verify', { cms, revocationCheck: ['CRL'], at: AT_OCSP });
  assert.equal(byCrl.body.valid, true, byCrl.body.message);
  assert.equal(byCrl.body.signers[0].certificates[0].signAlg, 'ECGOST3410-2015-512');
  assert.deepEqual(byCrl.body.signers[0].certificates[0].revocations, [{ revoked: false, by: 'CRL', revocationTime: null, reason: null }]);

  const key = await importPkcs12Key(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD);
  const xml = await signXml('<?xml version="1.0" encoding="UTF-8"?><root><data>Қолтаңба</data></root>', { signer: key.signer, certificate: key.certificate });
  const x = await post('/xml/verify', { xml, revocationCheck: ['CRL'], at: AT_OCSP });
  assert.equal(x.body.valid, true, x.body.message);
  assert.equal(x.body.adesStatus, 'VALID');
  assert.equal(x.body.signers[0].subject.iin, x.body.signers[0].subject.iin.replace(/\D/g, ''));

  const p12 = await post('/pkcs12/info', { keys: [{ key: b64(nca.valid2015Key), password: GOST2015_KEY_PASSWORD, keyAlias: null }], revocationCheck: ['CRL'], at: AT_OCSP });
  assert.equal(p12.body.valid, true, p12.body.message);
  assert.equal(p12.body.signers[0].serialNumber, 'ff06211dc82beb00253ffa000f1de84abef454f');
  const wrong = await post('/pkcs12/info', { keys: [{ key: b64(nca.valid2015Key), password: 'Wrong1234' }] });
  assert.equal(wrong.status, 401);
  assert.deepEqual([wrong.body.status, wrong.body.code], [401, 'QT_ERR_PKCS12_PASSWORD']);
});

test('GOST 2015: NCA’s responder has the CEO key on hold (suspended); a bare signature over data (NCANode /x509/verify) verifies, and fails for other data', async () => {
  const cms = await signedCms(nca.ceoRevoked2015Key, GOST2015_KEY_PASSWORD, 'Шешім');
  const r = await post('/api/v1/verify', { cms, at: AT_OCSP });
  assert.equal(r.body.error.code, 'QT_ERR_CERT_ON_HOLD');
  assert.deepEqual([r.body.signers[0].chain[0].revocation.source, r.body.signers[0].chain[0].revocation.reason], ['ocsp', 'certificateHold']);

  const key = await importPkcs12Key(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD);
  const signature = toBase64(await key.signer.sign(utf8('payload-to-sign')));
  const certificate = toBase64(key.certificate);
  const good = await post('/x509/verify', { certificate, signature, data: 'payload-to-sign', revocationCheck: ['CRL'], at: AT_OCSP });
  assert.equal(good.body.valid, true, good.body.message);
  const bad = await post('/x509/verify', { certificate, signature, data: 'payload-to-sigN', revocationCheck: ['CRL'], at: AT_OCSP });
  assert.equal(bad.body.valid, false);
  assert.match(bad.body.message, /does not verify/);
});

test('NCANode’s odd cases: an unreadable certificate is "[0]: Invalid certificate given." (not an error); /cms/extract gives attached content and refuses a detached CMS', async () => {
  const r = await post('/x509/info', { certs: ['YXNkYXNk'] });
  assert.equal(r.status, 200);
  assert.deepEqual([r.body.valid, r.body.signers, r.body.message], [false, [null], '[0]: Invalid certificate given.']);
  const raw = await post('/x509/verify', { certificate: 'YXNkYXNk', signature: 'YXNk', data: 'x' });
  assert.deepEqual([raw.status, raw.body.valid, raw.body.message], [200, false, '[0]: Invalid certificate given.']);

  const k = await importPkcs12Key(readFixture(...nca.validSignKey), TEST_KEY_PASSWORD);
  const attached = toBase64(await signCms({ signer: k.signer, certificate: k.certificate, content: utf8('мазмұн') }));
  const extracted = await post('/cms/extract', { cms: attached });
  assert.deepEqual([extracted.status, Buffer.from(extracted.body.data, 'base64').toString('utf8'), extracted.body.message], [200, 'мазмұн', 'OK']);
  const detached = toBase64(await signCms({ signer: k.signer, certificate: k.certificate, content: utf8('мазмұн'), detached: true }));
  const refused = await post('/cms/extract', { cms: detached });
  assert.deepEqual([refused.status, refused.body.status, refused.body.code], [400, 400, 'QT_ERR_CMS_NO_CONTENT']);
});
