import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCsr,
  generateGostKeyPair,
  gostSigner,
  inspectCertificate,
  isQtError,
  oid,
  validatePath,
  verifyOcspResponse,
} from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { caFixture, uniqueIin, type CaFixture } from '../ra/testing/fixture.ts';
import { issue } from '../ra/batch.ts';
import { normalizeSerial } from '../ra/serial.ts';
import { gostIssuingPlan, validateCeremonyConfig, defaultCeremonyConfig } from './ceremony-config.ts';

describeEachBackend('CA ceremony with a GOST issuing CA beside the RSA one', (ctx) => {
  let fx: CaFixture | undefined;
  after(async () => fx?.close());

  test('the ceremony makes a GOST-2015-512 issuing CA and GOST OCSP responder; the RA issues a GOST SIGN certificate from it', async () => {
    fx = await caFixture(ctx.store, { ceremony: (plan) => plan.issuing.push(gostIssuingPlan()) });
    const gostCa = await ctx.store.db.selectFrom('cas').selectAll().where('name', '=', 'gost').executeTakeFirstOrThrow();
    const caInfo = inspectCertificate(gostCa.certificate);
    assert.equal(caInfo.publicKey.algorithmOid, oid.kzGost2015_512Key);
    assert.equal(caInfo.publicKey.bits, 512);
    const root = readFileSync(fx.rootFile);
    assert.equal((await validatePath({ leaf: gostCa.certificate, trustAnchors: [root], at: new Date() })).ok, true);
    const responder = await ctx.store.db.selectFrom('ocsp_signers').select('certificate').where('ca_id', '=', gostCa.id).executeTakeFirstOrThrow();
    assert.equal(inspectCertificate(responder.certificate).signatureAlgorithm.oid, oid.kzGost2015_512Sign, 'the GOST CA signs its responder with GOST');
    // The published CA file is the one relying parties fetch.
    assert.deepEqual(inspectCertificate(readFileSync(join(fx.home, 'ca', 'gost.crt'), 'utf8')).der, new Uint8Array(gostCa.certificate));

    // A citizen's GOST key (as the agent makes it) asks for a SIGN certificate from the GOST CA.
    const subscriber = generateGostKeyPair();
    const csr = await createCsr(gostSigner(subscriber.privateKey), [{ type: 'CN', value: 'whatever the CSR says' }]);
    // No CA named: the RA routes a GOST key to the GOST CA by itself.
    const { certificate } = await issue(fx.ra, {
      csr: csr.pem,
      profile: 'individual-sign',
      subject: { surname: 'Сәрсенбаев', name: 'Асқар', patronymic: 'Бауыржанұлы', iin: uniqueIin() },
      storage: 'file',
      identification: 'in-person',
      idempotencyKey: `gost-${Math.random()}`,
      actor: 'operator:test',
    });
    const leaf = inspectCertificate(certificate.pem);
    assert.equal(certificate.ca, 'gost');
    assert.equal(leaf.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
    assert.deepEqual(leaf.publicKey.spki, subscriber.publicKey);
    const at = new Date(leaf.notBefore.getTime() + 60_000);
    const chain = await validatePath({ leaf: leaf.der, intermediates: [gostCa.certificate], trustAnchors: [root], at, purpose: 'emailProtection' });
    assert.equal(chain.ok, true, chain.error?.message);

    // Issuance pre-signs the OCSP answer with the GOST responder; it verifies and says good.
    const stored = await ctx.store.db
      .selectFrom('ocsp_responses')
      .select('der')
      .where('ca_id', '=', gostCa.id)
      .where('serial', '=', normalizeSerial(certificate.serial))
      .executeTakeFirstOrThrow();
    const verdict = await verifyOcspResponse(stored.der, { issuer: gostCa.certificate, at });
    assert.equal(verdict.responses[0]?.status, 'good');
  });
});

test('a plan with a GOST CA validates; GOST keys with bits, or an unknown algorithm, are refused', () => {
  const plan = defaultCeremonyConfig();
  plan.issuing.push(gostIssuingPlan());
  assert.equal(validateCeremonyConfig(plan).issuing[1]?.key.algorithm, 'GOST-2015-512');
  const withBits = defaultCeremonyConfig();
  withBits.issuing.push({ ...gostIssuingPlan(), key: { uri: 'soft:x', algorithm: 'GOST-2015-512', bits: 4096 } });
  assert.throws(() => validateCeremonyConfig(withBits), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID') && /takes no bits/.test(e.message));
  const unknown = defaultCeremonyConfig() as unknown as { issuing: { key: { algorithm: string } }[] };
  unknown.issuing[0]!.key.algorithm = 'ECDSA';
  assert.throws(() => validateCeremonyConfig(unknown), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID') && /"RSA" or "GOST-2015-512"/.test(e.message));
});
