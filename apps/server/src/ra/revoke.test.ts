import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError, parseCrl, parseOcspResponse } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { verifyAudit } from '../audit/index.ts';
import { caFixture, uniqueIin, type CaFixture } from './testing/fixture.ts';
import { opensslCsr } from './testing/openssl.ts';
import { issue } from './batch.ts';
import { hold, releaseHold, revoke } from './revoke.ts';
import { createApplication, moveApplication } from './applications.ts';
import { certificateStatus, listBySubject } from './records.ts';
import { normalizeSerial } from './serial.ts';

const rejects = (code: string) => (e: unknown) => {
  assert.ok(isQtError(e), `expected a QtError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

describeEachBackend('RA revocation', (ctx) => {
  let fx: CaFixture;
  after(async () => fx?.close());

  async function newCertificate(options: { iin?: string; keyPem?: string; profile?: string } = {}) {
    const csr = await opensslCsr(options.keyPem ? { keyPem: options.keyPem } : {});
    const { certificate } = await issue(fx.ra, {
      csr: csr.pem,
      profile: options.profile ?? 'individual-auth',
      subject: { surname: 'Нұрланов', name: 'Ерлан', iin: options.iin ?? uniqueIin() },
      storage: 'file',
      idempotencyKey: `k-${Math.random()}`,
      actor: 'operator:test',
    });
    return { ...certificate, keyPem: csr.keyPem };
  }

  async function ocspStatus(serial: string) {
    const row = await ctx.store.db.selectFrom('ocsp_responses').select(['der', 'cert_status']).where('serial', '=', normalizeSerial(serial)).executeTakeFirstOrThrow();
    const single = parseOcspResponse(row.der).basic?.responses[0];
    return { stored: row.cert_status, said: single?.status, reason: single && 'reason' in single ? single.reason : undefined };
  }

  test('revocation is final, shows in OCSP at once and in the next CRL, and is audited', async () => {
    fx = await caFixture(ctx.store);
    const c = await newCertificate();
    const invalidityDate = new Date(Date.now() - 3_600_000);
    const r = await revoke(fx.ra, { ca: fx.caName, serial: c.serial.toLowerCase(), reason: 'affiliationChanged', invalidityDate, actor: 'operator:test' });
    assert.equal(r.changed, true);
    assert.equal(r.certificate.status, 'revoked');
    assert.equal(r.certificate.revocationReason, 'affiliationChanged');
    assert.equal(r.certificate.invalidityDate?.getTime(), invalidityDate.getTime());
    assert.deepEqual(await ocspStatus(c.serial), { stored: 'revoked', said: 'revoked', reason: 'affiliationChanged' });

    const crl = await fx.status.generateCrl(fx.caId, 'full');
    assert.ok(crl);
    const stored = await ctx.store.db.selectFrom('crls').select('der').where('ca_id', '=', fx.caId).where('crl_number', '=', String(crl.crlNumber)).executeTakeFirstOrThrow();
    const entry = parseCrl(stored.der).findRevocation(c.serial);
    assert.equal(entry?.reason, 'affiliationChanged');

    // The same revocation again is harmless; another reason is refused; keyCompromise may still be added.
    const again = await revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'affiliationChanged', actor: 'operator:test' });
    assert.equal(again.changed, false);
    await assert.rejects(revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'superseded', actor: 'operator:test' }), rejects('QT_ERR_CERT_ALREADY_REVOKED'));
    await assert.rejects(hold(fx.ra, { ca: fx.caName, serial: c.serial, actor: 'operator:test' }), rejects('QT_ERR_CERT_ALREADY_REVOKED'));
    await assert.rejects(releaseHold(fx.ra, { ca: fx.caName, serial: c.serial, actor: 'operator:test' }), rejects('QT_ERR_CERT_NOT_ON_HOLD'));
    const raised = await revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'keyCompromise', actor: 'operator:test' });
    assert.equal(raised.certificate.revocationReason, 'keyCompromise');
    assert.equal(raised.certificate.revokedAt?.getTime(), r.certificate.revokedAt?.getTime());
    assert.deepEqual(await ocspStatus(c.serial), { stored: 'revoked', said: 'revoked', reason: 'keyCompromise' });

    const actions = await ctx.store.db.selectFrom('audit_log').select(['action', 'details']).where('target', '=', `certificate:${fx.caName}/${c.serial}`).orderBy('seq').execute();
    assert.deepEqual(actions.map((a) => [a.action, a.details.reason ?? null]), [
      ['certificate.issued', null],
      ['certificate.revoked', 'affiliationChanged'],
      ['certificate.revoked', 'keyCompromise'],
    ]);
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
  });

  test('hold and release: on hold says certificateHold, release makes it good again and a delta CRL says removeFromCRL', async () => {
    const c = await newCertificate();
    await assert.rejects(releaseHold(fx.ra, { ca: fx.caName, serial: c.serial, actor: 'operator:test' }), rejects('QT_ERR_CERT_NOT_ON_HOLD'));
    const held = await hold(fx.ra, { ca: fx.caName, serial: c.serial, actor: 'operator:test' });
    assert.equal(held.certificate.status, 'on_hold');
    assert.equal(held.certificate.revocationReason, 'certificateHold');
    assert.deepEqual(await ocspStatus(c.serial), { stored: 'on_hold', said: 'revoked', reason: 'certificateHold' });
    assert.equal((await hold(fx.ra, { ca: fx.caName, serial: c.serial, actor: 'operator:test' })).changed, false);
    const full = await fx.status.generateCrl(fx.caId, 'full');
    assert.ok(full);

    const released = await releaseHold(fx.ra, { ca: fx.caName, serial: c.serial, actor: 'operator:test' });
    assert.equal(released.certificate.status, 'good');
    assert.equal(released.certificate.revocationReason, null);
    assert.deepEqual(await ocspStatus(c.serial), { stored: 'good', said: 'good', reason: undefined });
    const delta = await fx.status.generateCrl(fx.caId, 'delta');
    assert.equal(delta?.kind, 'delta');
    const der = (await ctx.store.db.selectFrom('crls').select('der').where('ca_id', '=', fx.caId).where('crl_number', '=', String(delta!.crlNumber)).executeTakeFirstOrThrow()).der;
    assert.equal(parseCrl(der).findRevocation(c.serial)?.reason, 'removeFromCRL');

    // A held certificate can be revoked for good.
    await hold(fx.ra, { ca: fx.caName, serial: c.serial, actor: 'operator:test' });
    const revoked = await revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'cessationOfOperation', actor: 'operator:test' });
    assert.equal(revoked.certificate.status, 'revoked');
  });

  test('key compromise revokes every certificate of the key and the key is never certified again', async () => {
    const iin = uniqueIin();
    const auth = await newCertificate({ iin });
    const sign = await newCertificate({ iin, keyPem: auth.keyPem, profile: 'individual-sign' });
    const other = await newCertificate({ iin });
    const r = await revoke(fx.ra, { ca: fx.caName, serial: auth.serial, reason: 'keyCompromise', actor: 'operator:test' });
    assert.deepEqual(r.alsoRevoked, [`${fx.caName}/${sign.serial}`]);
    assert.equal((await certificateStatus(fx.ra, fx.caName, sign.serial)).revocationReason, 'keyCompromise');
    assert.deepEqual(await ocspStatus(sign.serial), { stored: 'revoked', said: 'revoked', reason: 'keyCompromise' });
    assert.equal((await certificateStatus(fx.ra, fx.caName, other.serial)).status, 'good');
    await assert.rejects(newCertificate({ iin, keyPem: auth.keyPem }), rejects('QT_ERR_KEY_COMPROMISED'));

    const mine = await listBySubject(fx.ra, iin);
    assert.deepEqual(new Set(mine.map((m) => m.serial)), new Set([auth.serial, sign.serial, other.serial]));
    assert.ok(mine.every((m) => m.pem.startsWith('-----BEGIN CERTIFICATE-----')));
  });

  test('unknown CAs and serials, malformed serials, future invalidity dates and hold reasons get their codes', async () => {
    const c = await newCertificate();
    const actor = 'operator:test';
    await assert.rejects(revoke(fx.ra, { ca: 'nope', serial: c.serial, reason: 'unspecified', actor }), rejects('QT_ERR_CA_NOT_FOUND'));
    await assert.rejects(revoke(fx.ra, { ca: fx.caName, serial: '1234abcd', reason: 'unspecified', actor }), rejects('QT_ERR_CERT_NOT_FOUND'));
    await assert.rejects(revoke(fx.ra, { ca: fx.caName, serial: 'xyz', reason: 'unspecified', actor }), rejects('QT_ERR_INPUT_INVALID'));
    await assert.rejects(revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'certificateHold' as never, actor }), rejects('QT_ERR_REVOCATION_REASON_INVALID'));
    await assert.rejects(revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'removeFromCRL' as never, actor }), rejects('QT_ERR_REVOCATION_REASON_INVALID'));
    await assert.rejects(revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'bogus' as never, actor }), rejects('QT_ERR_REVOCATION_REASON_INVALID'));
    await assert.rejects(
      revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'keyCompromise', invalidityDate: new Date(Date.now() + 86_400_000), actor }),
      rejects('QT_ERR_INPUT_INVALID'),
    );
    await assert.rejects(certificateStatus(fx.ra, fx.caName, 'ffff'), rejects('QT_ERR_CERT_NOT_FOUND'));
    await assert.rejects(listBySubject(fx.ra, '123'), rejects('QT_ERR_IIN_INVALID'));
    assert.equal((await certificateStatus(fx.ra, fx.caName, `00:${c.serial.toUpperCase()}`)).status, 'good');
  });

  test('a revocation application is completed in the transaction that revokes its certificate; another certificate’s is refused and nothing changes', async () => {
    const iin = uniqueIin();
    const c = await newCertificate({ iin });
    const other = await newCertificate({ iin });
    const now = new Date();
    const applicationFor = (target: { id: string }) =>
      ctx.store.db.transaction().execute(async (trx) => {
        const id = await createApplication(trx, {
          kind: 'revoke', iin, targetCertificateId: target.id, identification: 'remote', request: { via: 'test' },
          now, expiresAt: new Date(now.getTime() + 3_600_000), actor: `citizen:${iin}`, details: {},
        });
        await moveApplication(trx, id, 'submitted', 'verified', now, { actor: `citizen:${iin}` });
        await moveApplication(trx, id, 'verified', 'approved', now, { actor: 'system:test' });
        return id;
      });
    const stateOf = async (id: string) => (await ctx.store.db.selectFrom('applications').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
    const forOther = await applicationFor(other);
    await assert.rejects(revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'superseded', actor: 'citizen:x', application: { id: forOther, actor: 'system:test' } }), rejects('QT_ERR_APPLICATION_NOT_APPROVED'));
    assert.equal((await certificateStatus(fx.ra, fx.caName, c.serial)).status, 'good', 'the refusal rolled the revocation back');
    assert.equal(await stateOf(forOther), 'approved');
    const mine = await applicationFor(c);
    const request = { ca: fx.caName, serial: c.serial, reason: 'superseded' as const, actor: `citizen:${iin}`, application: { id: mine, actor: 'system:test' } };
    assert.equal((await revoke(fx.ra, request)).changed, true);
    assert.equal(await stateOf(mine), 'completed');
    // The repeated request (a lost answer) changes nothing and is answered as before.
    assert.equal((await revoke(fx.ra, request)).changed, false);
    const completed = await ctx.store.db.selectFrom('audit_log').select('actor').where('action', '=', 'application.completed').where('target', '=', `application:${mine}`).execute();
    assert.deepEqual(completed.map((a) => a.actor), ['system:test']);
  });
});
