import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { nca, readFixture } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { toHex } from '../encoding.ts';
import { objectIdentifier, sequence } from '../der/write.ts';
import { createCsr } from '../csr/index.ts';
import { generateGostKeyPair, gostSigner, KZ_GOST_2004, readKzGostSpki } from '../gost/index.ts';
import { validatePath } from '../path/validate.ts';
import { readCertificate } from '../path/certificate.ts';
import { writePkcs12 } from '../pkcs12/write.ts';
import { importPkcs12Key } from '../pkcs12/import-key.ts';
import { keyFileName } from '../pkcs12/file-name.ts';
import { buildCrl } from '../crl/build.ts';
import { verifyCrl } from '../crl/verify.ts';
import type { Signer } from '../crypto/index.ts';
import { issueCaCertificate, issueCertificate, type IssuedCertificate } from './issue.ts';
import { keyIdentifier } from './key-id.ts';
import { newSigner, testUrls } from './testing/issue.ts';

const person = { surname: 'Сәрсенбаев', name: 'Нұрлан', patronymic: 'Асқарұлы', iin: '900101300017' };

let root: IssuedCertificate;
let rootSigner: Signer;
let issuing: IssuedCertificate;
let issuingSigner: Signer;

before(async () => {
  // A GOST hierarchy like NCA's own: a GOST 34.10-2015 (512) root and issuing CA.
  rootSigner = gostSigner(generateGostKeyPair().privateKey);
  issuingSigner = gostSigner(generateGostKeyPair().privateKey);
  root = await issueCaCertificate({ profile: 'root-ca', subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'ҚОЛТАҢБА ТҮБІРЛІК ОРТАЛЫҚ (GOST) TEST' }], signer: rootSigner });
  issuing = await issueCaCertificate({
    profile: 'issuing-ca',
    subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'ҚОЛТАҢБА КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST' }],
    publicKey: issuingSigner.publicKey,
    issuer: { certificate: root.der, signer: rootSigner },
    urls: { crl: 'http://127.0.0.1:8080/crl/root-gost.crl', caIssuers: 'http://127.0.0.1:8080/cert/root-gost.cer' },
  });
});

test('a GOST 34.10-2015 (512) root and issuing CA issue a GOST SIGN certificate that validates to the root', async () => {
  const subscriber = generateGostKeyPair();
  const csr = await createCsr(gostSigner(subscriber.privateKey), [{ type: 'CN', value: 'ignored' }]);
  const leaf = await issueCertificate({ csr: csr.der, profile: 'individual-sign', subject: person, issuer: { certificate: issuing.der, signer: issuingSigner }, urls: testUrls });
  const facts = readCertificate(leaf.der);
  assert.equal(facts.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
  // NULL parameters, as NCA writes them: in the TBS and again outside it.
  const algId = Buffer.from(sequence(objectIdentifier(oid.kzGost2015_512Sign), new Uint8Array([5, 0])));
  const der = Buffer.from(leaf.der);
  assert.ok(der.indexOf(algId) > 0 && der.lastIndexOf(algId) > der.indexOf(algId));
  assert.deepEqual(facts.spki, subscriber.publicKey);
  assert.equal(readKzGostSpki(facts.spki).curveOid, oid.kzGost2015_512Params);
  assert.equal(leaf.info.publicKey.bits, 512);
  // RFC 5280 method 1 — what NCA's 2022 GOST CA uses too (SHA-1 of the key bits; see the fixtures).
  assert.equal(leaf.subjectKeyId, toHex(await keyIdentifier(subscriber.publicKey)));
  const verdict = await validatePath({ leaf: leaf.der, intermediates: [issuing.der], trustAnchors: [root.der], at: new Date(leaf.notBefore.getTime() + 60_000), purpose: 'emailProtection' });
  assert.equal(verdict.ok, true, verdict.error?.message);

  // The certificate and the key go into NCA's file name and format, and sign again once reopened.
  assert.equal(keyFileName('SIGN', oid.kzGost2015_512Key, leaf.subjectKeyId), `GOST512_${leaf.subjectKeyId}.p12`);
  const p12 = await writePkcs12({ privateKey: subscriber.privateKey, certificate: leaf.der, chain: [issuing.der, root.der], password: 'Qwerty12' });
  const reopened = await importPkcs12Key(p12, 'Qwerty12');
  assert.equal(reopened.signer.algorithm.oid, oid.kzGost2015_512Sign);
  assert.deepEqual(reopened.publicKey, subscriber.publicKey);
});

test('the GOST issuing CA signs a CRL that verifies', async () => {
  const thisUpdate = new Date();
  const crl = await buildCrl({
    issuer: { certificate: issuing.der, signer: issuingSigner },
    crlNumber: 1n,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 86_400_000),
    entries: [{ serial: '0123456789abcdef', revokedAt: thisUpdate, reason: 'keyCompromise' }],
  });
  const parsed = await verifyCrl(crl, issuing.der, { at: new Date(thisUpdate.getTime() + 1000) });
  assert.equal(parsed.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
  assert.equal(parsed.entryCount, 1);
});

test('GOST 34.310-2004 keys, RSA keys with a GOST CSR signature, and off-curve keys are not certified by the GOST CA', async () => {
  const old = generateGostKeyPair(KZ_GOST_2004);
  const oldCsr = await createCsr(gostSigner(old.privateKey));
  await assert.rejects(
    issueCertificate({ csr: oldCsr.der, profile: 'individual-sign', subject: person, issuer: { certificate: issuing.der, signer: issuingSigner }, urls: testUrls }),
    (e) => isQtError(e, 'QT_ERR_ALGORITHM_UNSUPPORTED') && /GOST 34\.310-2004 keys are not certified/.test(e.message),
  );
  // An RSA subscriber key is fine under a GOST CA: the CA's algorithm and the subject's are independent.
  const rsa = await newSigner();
  const rsaCsr = await createCsr(rsa);
  const rsaLeaf = await issueCertificate({ csr: rsaCsr.der, profile: 'individual-auth', subject: person, issuer: { certificate: issuing.der, signer: issuingSigner }, urls: testUrls });
  assert.equal(readCertificate(rsaLeaf.der).signatureAlgorithm.oid, oid.kzGost2015_512Sign);
  // A CA signer whose key is not the CA certificate's is refused before anything is signed.
  await assert.rejects(
    issueCertificate({ csr: rsaCsr.der, profile: 'individual-auth', subject: person, issuer: { certificate: issuing.der, signer: rootSigner }, urls: testUrls }),
    (e) => isQtError(e, 'QT_ERR_KEY_MISMATCH'),
  );
});

test('NCA’s own 2015 user certificates pass our key policy (GOST 2015-512 on paramSetA)', async () => {
  const { checkPublicKeyPolicy } = await import('../csr/key-policy.ts');
  const ca = readCertificate(readFixture(...nca.gost2015Ca));
  assert.equal(checkPublicKeyPolicy(ca.spki).bits, 512);
});
