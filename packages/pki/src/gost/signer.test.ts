import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOST2015_KEY_PASSWORD, nca, prod2018, PROD_2018_TIME, readFixture, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { utf8 } from '../encoding.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { verifySignature } from '../crypto/index.ts';
import { signCms } from '../cms/sign.ts';
import { verifyCms } from '../cms/verify.ts';
import { parseCms } from '../cms/inspect.ts';
import { signXml } from '../xmldsig/sign.ts';
import { verifyXml } from '../xmldsig/verify.ts';
import { importPkcs12Key } from '../pkcs12/import-key.ts';
import { KZ_GOST_2004, KZ_GOST_2015_512 } from './kz-algorithms.ts';
import { readKzGostPkcs8, readKzGostSpki } from './kz-encoding.ts';
import { generateGostKeyPair, gostSigner } from './signer.ts';

const data = utf8('<Құжат>Мен келісемін</Құжат>');

const keys = [
  { label: '2015-512 individual', path: nca.valid2015Key, password: GOST2015_KEY_PASSWORD, sigOid: oid.kzGost2015_512Sign, at: new Date('2022-09-01T00:00:00Z') },
  { label: '2004 prod CEO', path: prod2018.gostKey, password: TEST_KEY_PASSWORD, sigOid: oid.kzGost2004Sign, at: PROD_2018_TIME },
];

test('CMS signed with NCA GOST key files (2015-512 and 2004) verifies, names the GOST algorithms, and breaks when changed', async () => {
  for (const k of keys) {
    const key = await importPkcs12Key(readFixture(...k.path), k.password);
    const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, chain: key.chain });
    const report = parseCms(cms);
    assert.equal(report.signers[0]?.signatureAlgorithm.oid, k.sigOid, k.label);
    assert.equal(report.signers[0]?.digestAlgorithm.oid, k.sigOid === oid.kzGost2004Sign ? oid.kzGost34311_95 : oid.kzStreebog512);
    const verified = await verifyCms(cms, { at: k.at });
    assert.deepEqual(verified.content, data);
    assert.equal(verified.signers[0]?.signingCertificateV2Matches, true);
    await assert.rejects(verifyCms(cms, { content: utf8('<Құжат>Мен келіспеймін</Құжат>') }), (e) => isQtError(e, 'QT_ERR_CMS_DIGEST_MISMATCH'));
    // A detached signature over a precomputed Streebog/GOST digest (NCALayer's createCAdESFromBase64Hash).
    const digest = key.signer.algorithm.oid === oid.kzGost2004Sign ? KZ_GOST_2004.hash(data) : KZ_GOST_2015_512.hash(data);
    const overHash = await signCms({ content: digest, digested: true, signer: key.signer, certificate: key.certificate });
    await verifyCms(overHash, { content: data, at: k.at });
  }
});

test('XML signed with NCA GOST key files uses Kalkan’s URIs and verifies; a changed element does not', async () => {
  for (const k of keys) {
    const key = await importPkcs12Key(readFixture(...k.path), k.password);
    const signed = await signXml('<root><key>NONCE-123</key></root>', { signer: key.signer, certificate: key.certificate });
    const uri = k.sigOid === oid.kzGost2004Sign
      ? 'http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311'
      : 'urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512';
    assert.ok(signed.includes(`SignatureMethod Algorithm="${uri}"`), k.label);
    const verified = await verifyXml(signed, { at: k.at });
    assert.equal(verified.signatures.length, 1);
    await assert.rejects(verifyXml(signed.replace('NONCE-123', 'NONCE-124'), { at: k.at }), (e) => isQtError(e, 'QT_ERR_XML_SIGNATURE_INVALID'));
  }
});

test('generated key pairs are NCA-shaped 2015-512 (or 2004) keys that sign verifiably', async () => {
  for (const algorithm of [KZ_GOST_2015_512, KZ_GOST_2004]) {
    const pair = generateGostKeyPair(algorithm);
    const pub = readKzGostSpki(pair.publicKey);
    assert.equal(pub.algorithm, algorithm);
    assert.equal(pub.curveOid, algorithm.defaultParams?.curveOid);
    assert.equal(readKzGostPkcs8(pair.privateKey).algorithm, algorithm);
    const signer = gostSigner(pair.privateKey);
    assert.deepEqual(signer.publicKey, pair.publicKey);
    assert.deepEqual(signer.algorithm.parameters, new Uint8Array([5, 0]), 'NULL parameters, as NCA writes them');
    const signature = await signer.sign(data);
    assert.equal(await verifySignature(algorithm.signatureOid, { spki: pair.publicKey, data, signature }), true);
  }
  assert.notDeepEqual(generateGostKeyPair().privateKey, generateGostKeyPair().privateKey);
});

test('a signer refuses a public key that is not its own', async () => {
  const a = generateGostKeyPair();
  const b = generateGostKeyPair();
  assert.throws(() => gostSigner(a.privateKey, { publicKey: b.publicKey }), (e) => isQtError(e, 'QT_ERR_KEY_MISMATCH'));
  assert.deepEqual(gostSigner(a.privateKey, { publicKey: a.publicKey }).publicKey, a.publicKey);
});
