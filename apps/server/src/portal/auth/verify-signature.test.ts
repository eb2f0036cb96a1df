/**
 * The verifier's acceptance on our record (ours.ts), on both backends: once the full procedure has accepted
 * a signer under our CA, later signers are accepted from our record without our OCSP answer or the chain —
 * and every certificate the server refused before is still refused, with the same code, by a verifier that
 * has taken that shortcut as by one that never did.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCsr, generateRsaKeyPair, inspectCertificate, issueCaCertificate, isQtError, issueCertificate, webCryptoSigner } from '@qoltanba/pki';
import { hold, revoke } from '../../ra/index.ts';
import { uniqueIin } from '../../ra/testing/fixture.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createCitizen, signAs, type Citizen, type CitizenKey } from '../testing/citizens.ts';
import { portalHarness, type PortalHarness } from '../testing/harness.ts';
import { SignatureVerifier, type VerifyRequest } from './verify-signature.ts';

describeEachBackend('signature verifier: acceptance on our record', (b) => {
  let h: PortalHarness;
  let warm: SignatureVerifier;
  let aigerim: Citizen;
  let answers = 0;

  const request = async (key: CitizenKey, iin: string | undefined, purpose: VerifyRequest['purpose'] = 'emailProtection'): Promise<VerifyRequest> => {
    const content = `Заявление ${Math.random()}`;
    return { cms: await signAs(key, content), content, purpose, ...(iin ? { iin } : {}) };
  };
  /** The code a verifier answers with ('ok' when it accepts). */
  const outcome = async (v: SignatureVerifier, req: VerifyRequest): Promise<string> => {
    try {
      await v.verify(req);
      return 'ok';
    } catch (e) {
      if (isQtError(e)) return e.code;
      throw e;
    }
  };
  /** The same request through the warmed verifier and a fresh one (full procedure only): the same answer. */
  const bothSay = async (req: VerifyRequest): Promise<string> => {
    const fresh = new SignatureVerifier(h.ctx, h.fx.status);
    const [a, f] = [await outcome(warm, req), await outcome(fresh, req)];
    assert.equal(a, f, 'the shortcut never changes an answer');
    return a;
  };

  test('setup: a CA, the portal, a citizen; the full procedure accepts the first signer', async () => {
    h = await portalHarness(b.store);
    const answer = h.fx.status.responder.answer.bind(h.fx.status.responder);
    h.fx.status.responder.answer = (...args) => {
      answers++;
      return answer(...args);
    };
    warm = new SignatureVerifier(h.ctx, h.fx.status);
    aigerim = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ' });
    const first = await warm.verify(await request(aigerim.sign, aigerim.iin));
    assert.equal(first.certificate.id, aigerim.sign.record.id);
    assert.equal(answers, 1, 'the first signer under the CA is judged with our OCSP answer');
  });

  test('later signers under the same CA are accepted on our record: no OCSP answer asked, the same result', async () => {
    const dana = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ДАНА', name: 'ТЕСТ' });
    const before = answers;
    const v = await warm.verify(await request(dana.sign, dana.iin));
    assert.equal(answers, before, 'accepted without our responder');
    assert.equal(v.certificate.id, dana.sign.record.id);
    assert.equal(v.iin, dana.iin);
    assert.equal(v.info.serialHex, dana.sign.record.serial);
    // The other purpose is judged the full way once, then on the record too.
    await warm.verify(await request(dana.auth, undefined, 'clientAuth'));
    assert.equal(answers, before + 1);
    await warm.verify(await request(aigerim.auth, undefined, 'clientAuth'));
    assert.equal(answers, before + 1);
  });

  test("another person's certificate, or the wrong key purpose: refused with the same codes", async () => {
    const other = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'БАСҚА', name: 'АДАМ' });
    assert.equal(await bothSay(await request(other.sign, aigerim.iin)), 'QT_ERR_SIGNER_NOT_ALLOWED');
    assert.equal(await bothSay(await request(aigerim.auth, aigerim.iin)), 'QT_ERR_KEY_USAGE');
    assert.equal(await bothSay(await request(aigerim.sign, undefined, 'clientAuth')), 'QT_ERR_KEY_USAGE');
  });

  test('revoked and on-hold certificates: refused with the same codes', async () => {
    const gone = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ҚАЙТАРЫЛҒАН', name: 'КІЛТ' });
    assert.equal(await bothSay(await request(gone.sign, gone.iin)), 'ok');
    await revoke(h.deps.ra, { ca: gone.sign.record.ca, serial: gone.sign.record.serial, reason: 'keyCompromise', actor: 'operator:test' });
    assert.equal(await bothSay(await request(gone.sign, gone.iin)), 'QT_ERR_CERT_REVOKED');
    const held = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ТОҚТАТЫЛҒАН', name: 'КІЛТ' });
    await hold(h.deps.ra, { ca: held.sign.record.ca, serial: held.sign.record.serial, actor: 'operator:test' });
    assert.equal(await bothSay(await request(held.sign, held.iin)), 'QT_ERR_CERT_ON_HOLD');
  });

  test('an expired (or not yet valid) certificate: refused with the same code', async () => {
    const req = await request(aigerim.sign, aigerim.iin);
    h.clock.advance(400 * 86_400_000);
    try {
      assert.equal(await bothSay(req), 'QT_ERR_CERT_EXPIRED');
    } finally {
      h.clock.reset();
    }
    h.clock.advance(-86_400_000);
    try {
      assert.equal(await bothSay(await request(aigerim.sign, aigerim.iin)), 'QT_ERR_CERT_NOT_YET_VALID');
    } finally {
      h.clock.reset();
    }
  });

  test('a forged certificate (our CA, a serial we issued, the IIN, but not our bytes) and a foreign CA: refused with the same codes', async () => {
    const urls = { crl: 'http://evil.example/crl', deltaCrl: 'http://evil.example/delta', ocsp: 'http://evil.example/ocsp', caIssuers: 'http://evil.example/ca' };
    const rogue = await generateRsaKeyPair(2048);
    const rogueSigner = await webCryptoSigner(rogue.privateKey, rogue.publicKey);
    const keys = await generateRsaKeyPair(2048);
    // Our certificate's bytes with its CA signature altered: our CA's name, a serial we issued, the person's
    // IIN and key — but not bytes we signed.
    const forged = Buffer.from(aigerim.sign.record.der);
    forged.writeUInt8(forged.readUInt8(forged.length - 1) ^ 0x01, forged.length - 1);
    assert.equal(inspectCertificate(forged).serialHex, aigerim.sign.record.serial, 'the forgery names a serial we issued');
    const key = { ...aigerim.sign, record: { ...aigerim.sign.record, der: forged } };
    const code = await bothSay(await request(key, aigerim.iin));
    assert.equal(code, 'QT_ERR_SIGNATURE_INVALID', 'our CA\'s signature on it does not verify');

    // A CA of its own, and a certificate from it for the same person.
    const now = new Date();
    const root = await issueCaCertificate({ profile: 'root-ca', subject: [{ type: 'CN', value: 'ҚОЛТАҢБА ТЕСТ ОРТАЛЫҒЫ (поддельный)' }, { type: 'C', value: 'KZ' }], signer: rogueSigner, notBefore: now, notAfter: new Date(now.getTime() + 86_400_000 * 365) });
    const foreignCert = await issueCertificate({
      csr: (await createCsr(await webCryptoSigner(keys.privateKey, keys.publicKey))).der,
      profile: 'individual-sign',
      subject: { surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ', iin: aigerim.iin },
      issuer: { certificate: root.info, signer: rogueSigner },
      urls,
      notBefore: now,
    } as Parameters<typeof issueCertificate>[0]);
    const foreign = { ...aigerim.sign, record: { ...aigerim.sign.record, der: Buffer.from(foreignCert.der) }, keys };
    assert.equal(await bothSay(await request(foreign, aigerim.iin)), 'QT_ERR_CHAIN_INCOMPLETE');
  });

  test('a newer root CRL sends the next signer the full way once', async () => {
    const before = answers;
    await warm.verify(await request(aigerim.sign, aigerim.iin));
    assert.equal(answers, before, 'on the record');
    const [root] = await b.store.db.selectFrom('cas').select(['id']).where('kind', '=', 'root').execute();
    assert.ok(await h.fx.status.generateCrl(root!.id, 'full'), 'the root published a new full CRL');
    await warm.verify(await request(aigerim.sign, aigerim.iin));
    assert.equal(answers, before + 1, 'the changed CRL was judged by the full procedure');
    await warm.verify(await request(aigerim.sign, aigerim.iin));
    assert.equal(answers, before + 1, 'and then remembered');
  });

  test('cleanup', async () => {
    await h.close();
  });
});
