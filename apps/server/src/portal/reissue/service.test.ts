/**
 * The re-issuance wizard's steps as the routes call them, on both backends, where issue 16 folded a step's
 * statements together: every state change still has its own audit entry, in order, and the chain verifies; the
 * day's application limit and the one open application still hold; the installation report is recorded once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { verifyAudit } from '../../audit/index.ts';
import { SmsSink, silentLog } from '../../notify/index.ts';
import { caFixture, uniqueIin, type CaFixture } from '../../ra/testing/fixture.ts';
import { opensslCsr } from '../../ra/testing/openssl.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import type { PortalDeps } from '../deps.ts';
import { portalDb } from '../tables.ts';
import { createPortalDeps } from '../feature.ts';
import { translatorFor } from '../messages.ts';
import { createCitizen, registerPhones, signAs, type Citizen } from '../testing/citizens.ts';
import * as svc from './service.ts';

const refused = (code: string) => (e: unknown) => {
  assert.ok(isQtError(e), `expected a QtError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

describeEachBackend('portal re-issuance steps', (ctx) => {
  let fx: CaFixture;
  let deps: PortalDeps;
  let close: () => Promise<void>;
  const sms = new SmsSink({ type: 'log', keep: 100 }, silentLog);
  const t = translatorFor('ru');
  let n = 0;

  async function person(): Promise<{ citizen: Citizen; phone: string; me: svc.Me }> {
    const citizen = await createCitizen(deps.ra, { iin: uniqueIin(), surname: 'ТЕСТОВА', name: 'АЙГЕРИМ' });
    const phone = `+7701555${String(1000 + n++).slice(-4)}`;
    await registerPhones(ctx.store, [{ iin: citizen.iin, phone }]);
    return { citizen, phone, me: { iin: citizen.iin, sessionSha256: randomBytes(32) } };
  }

  test('setup: a CA and the portal services', async () => {
    fx = await caFixture(ctx.store);
    ({ deps, close } = createPortalDeps(fx.ctx, { sms, status: fx.status, applicationsPerDay: 2, otp: { resendAfterSeconds: 0 } }));
  });
  after(async () => {
    await close?.();
    await fx?.close();
  });

  test('a whole re-issuance: each state change has its own audit entry, in order, and the chain verifies INTACT', async () => {
    const p = await person();
    const id = await svc.createReissue(deps, p.me.iin, { email: undefined, storage: 'file', revokeOld: false });
    assert.equal(await svc.createReissue(deps, p.me.iin, { email: undefined, storage: 'file', revokeOld: false }), id, 'a second submit continues the open one');
    const challenge = await svc.applicationChallenge(deps, p.me, id, t);
    const sent = await svc.signApplication(deps, p.me, id, { challengeId: challenge.id, cms: await signAs(p.citizen.sign, challenge.content) }, 'ru');
    assert.ok(!(sent instanceof Error), String(sent));
    const code = /Код: (\d{6})/.exec(sms.last(p.phone)?.text ?? '')?.[1] ?? '';
    await svc.confirmCode(deps, p.me, id, code);
    const [auth, sign] = await Promise.all([opensslCsr(), opensslCsr()]);
    const keys = [{ keyType: 'AUTHENTICATION', csr: auth.pem }, { keyType: 'SIGNATURE', csr: sign.pem }];
    const issued = await svc.issueFor(deps, p.me, id, { requestId: 'req1', keys });
    assert.equal(issued.certificates.length, 2);
    assert.deepEqual(await svc.issueFor(deps, p.me, id, { requestId: 'req1', keys }), issued, 'a retry gets the same certificates');
    await svc.markInstalled(deps, p.me, id, [{ keyType: 'AUTHENTICATION' }, { keyType: 'SIGNATURE' }]);

    const entries = await ctx.store.db.selectFrom('audit_log').select(['action', 'target', 'details']).where('target', '=', `application:${id}`).orderBy('seq').execute();
    assert.deepEqual(entries.map((e) => e.action), [
      'application.submitted',
      'application.signed',
      'portal.code-sent',
      'application.verified',
      'application.approved',
      'application.completed',
      'portal.keys-installed',
    ]);
    const details = (action: string) => entries.find((e) => e.action === action)!.details as Record<string, unknown>;
    assert.deepEqual(
      { kind: details('application.submitted').kind, identification: details('application.submitted').identification, iin: details('application.submitted').iin },
      { kind: 'reissue', identification: 'remote', iin: p.me.iin },
    );
    for (const [action, from, to] of [['application.verified', 'submitted', 'verified'], ['application.approved', 'verified', 'approved'], ['application.completed', 'approved', 'completed']] as const) {
      assert.deepEqual({ ...details(action), issued: undefined, current: undefined, agentRequestId: undefined, by: undefined }, {
        applicationId: id, kind: 'reissue', identification: 'remote', iin: p.me.iin, from, to, issued: undefined, current: undefined, agentRequestId: undefined, by: undefined,
      });
    }
    const certificatesIssued = await ctx.store.db.selectFrom('audit_log').select('details').where('action', '=', 'certificate.issued').execute();
    assert.equal(certificatesIssued.filter((e) => (e.details as { applicationId?: string }).applicationId === id).length, 2);
    const row = await portalDb(ctx.store.db).selectFrom('portal_reissues').select(['signed_at', 'signer_certificate_id', 'installed_at', 'auth_certificate_id', 'sign_certificate_id']).where('application_id', '=', id).executeTakeFirstOrThrow();
    assert.ok(row.signed_at && row.signer_certificate_id && row.installed_at && row.auth_certificate_id && row.sign_certificate_id);
    await fx.status.presigner.settled();
    const audit = await verifyAudit(ctx.store.db);
    assert.equal(audit.ok, true, JSON.stringify(audit.problems));
  });

  /** An application at the code step, and the code the person got. */
  async function atCodeStep(p: Awaited<ReturnType<typeof person>>): Promise<{ id: string; code: string }> {
    const id = await svc.createReissue(deps, p.me.iin, { email: undefined, storage: 'file', revokeOld: false });
    const challenge = await svc.applicationChallenge(deps, p.me, id, t);
    const sent = await svc.signApplication(deps, p.me, id, { challengeId: challenge.id, cms: await signAs(p.citizen.sign, challenge.content) }, 'ru');
    assert.ok(!(sent instanceof Error), String(sent));
    return { id, code: /Код: (\d{6})/.exec(sms.last(p.phone)?.text ?? '')?.[1] ?? '' };
  }
  const otp = (id: string) => portalDb(ctx.store.db).selectFrom('portal_otps').select(['attempts', 'verified_at']).where('application_id', '=', id).executeTakeFirstOrThrow();
  const state = async (id: string) => (await ctx.store.db.selectFrom('applications').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;

  test('the SMS code checked in the statement that moves the application: only the right, fresh, unused code of this person at this step confirms', async () => {
    const p = await person();
    const other = await person();
    const { id, code } = await atCodeStep(p);
    // Another person's session with the right code: not found, nothing changes, no attempt counted.
    await assert.rejects(svc.confirmCode(deps, other.me, id, code), refused('QT_ERR_APPLICATION_NOT_FOUND'));
    // Expired: refused as expired, nothing changes.
    const times = await portalDb(ctx.store.db).selectFrom('portal_otps').select(['sent_at', 'expires_at']).where('application_id', '=', id).executeTakeFirstOrThrow();
    await portalDb(ctx.store.db).updateTable('portal_otps').set({ sent_at: new Date(Date.now() - 600_000), expires_at: new Date(Date.now() - 1000) }).where('application_id', '=', id).execute();
    await assert.rejects(svc.confirmCode(deps, p.me, id, code), refused('QT_ERR_OTP_EXPIRED'));
    await portalDb(ctx.store.db).updateTable('portal_otps').set(times).where('application_id', '=', id).execute();
    assert.deepEqual({ ...(await otp(id)), state: await state(id) }, { attempts: 0, verified_at: null, state: 'submitted' });
    // Wrong (and not even digits): counted, as ever.
    const wrong = code === '000000' ? '000001' : '000000';
    await assert.rejects(svc.confirmCode(deps, p.me, id, wrong), refused('QT_ERR_OTP_INVALID'));
    await assert.rejects(svc.confirmCode(deps, p.me, id, 'abc'), refused('QT_ERR_OTP_INVALID'));
    assert.equal((await otp(id)).attempts, 2);
    // Right, with spaces as people type it: verified and approved, each with its entry; the code is used.
    await svc.confirmCode(deps, p.me, id, `${code.slice(0, 3)} ${code.slice(3)}`);
    assert.equal(await state(id), 'approved');
    assert.ok((await otp(id)).verified_at);
    const moves = await ctx.store.db.selectFrom('audit_log').select('action').where('target', '=', `application:${id}`).where('action', 'in', ['application.verified', 'application.approved']).execute();
    assert.equal(moves.length, 2);
    // The same code again: the application is past this step.
    await assert.rejects(svc.confirmCode(deps, p.me, id, code), refused('QT_ERR_APPLICATION_STATE'));
    await svc.cancelReissue(deps, p.me, id);
  });

  test('the signed application and its first code: stored together, one code-sent entry; past the day\'s cap the signature is kept and the cap is said', async () => {
    const p = await person();
    const { id } = await atCodeStep(p);
    const row = await portalDb(ctx.store.db).selectFrom('portal_otps').select(['sends', 'phone_masked']).where('application_id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.sends, 1);
    const entries = await ctx.store.db.selectFrom('audit_log').select('action').where('target', '=', `application:${id}`).orderBy('seq').execute();
    assert.deepEqual(entries.map((e) => e.action), ['application.submitted', 'application.signed', 'portal.code-sent']);
    await svc.cancelReissue(deps, p.me, id);

    // The person's codes today already at the cap: the signature is still kept, the code is refused with its code.
    await portalDb(ctx.store.db).updateTable('portal_otps').set({ sends: deps.options.otp.perPersonPerDay }).where('application_id', '=', id).execute();
    const second = await svc.createReissue(deps, p.me.iin, { email: undefined, storage: 'file', revokeOld: false });
    const challenge = await svc.applicationChallenge(deps, p.me, second, t);
    const sent = await svc.signApplication(deps, p.me, second, { challengeId: challenge.id, cms: await signAs(p.citizen.sign, challenge.content) }, 'ru');
    assert.ok(isQtError(sent) && sent.code === 'QT_ERR_OTP_SEND_LIMIT', String(sent));
    assert.ok((await svc.loadOwn(deps, second, p.me.iin)).signedAt, 'the signature is kept');
    assert.equal(await portalDb(ctx.store.db).selectFrom('portal_otps').select('sends').where('application_id', '=', second).executeTakeFirst(), undefined);
    await svc.cancelReissue(deps, p.me, second);
  });

  test('a challenge names its application: sent for another one (closed) it is refused for that step and not spent', async () => {
    const p = await person();
    const { id } = await atCodeStep(p);
    await svc.cancelReissue(deps, p.me, id);
    const next = await svc.createReissue(deps, p.me.iin, { email: undefined, storage: 'file', revokeOld: false });
    const challenge = await svc.applicationChallenge(deps, p.me, next, t);
    const cms = await signAs(p.citizen.sign, challenge.content);
    // Signed for the right application but sent for the closed one: refused for its step.
    await assert.rejects(svc.signApplication(deps, p.me, id, { challengeId: challenge.id, cms }, 'ru'), refused('QT_ERR_APPLICATION_STATE'));
    const sent = await svc.signApplication(deps, p.me, next, { challengeId: challenge.id, cms }, 'ru');
    assert.ok(!isQtError(sent), 'the challenge names the other application, so it was not burnt');
    await svc.cancelReissue(deps, p.me, next);
  });

  test('the right code sent twice at once: one confirms, the other finds the application past the step; one verified and one approved entry', async () => {
    const p = await person();
    const { id, code } = await atCodeStep(p);
    const results = await Promise.allSettled([svc.confirmCode(deps, p.me, id, code), svc.confirmCode(deps, p.me, id, code)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    refused('QT_ERR_APPLICATION_STATE')(failed.reason);
    assert.equal(await state(id), 'approved');
    const moves = await ctx.store.db.selectFrom('audit_log').select('action').where('target', '=', `application:${id}`).where('action', 'in', ['application.verified', 'application.approved']).execute();
    assert.deepEqual(moves.map((m) => m.action).sort(), ['application.approved', 'application.verified']);
    await svc.cancelReissue(deps, p.me, id);
  });

  test('the right code with the attempts used up refuses the application, as ever', async () => {
    const p = await person();
    const { id, code } = await atCodeStep(p);
    await portalDb(ctx.store.db).updateTable('portal_otps').set({ attempts: deps.options.otp.maxAttempts }).where('application_id', '=', id).execute();
    await assert.rejects(svc.confirmCode(deps, p.me, id, code), refused('QT_ERR_OTP_ATTEMPTS'));
    assert.equal(await state(id), 'rejected');
  });

  test('the installation report is recorded once; at another step it is refused as ever, whatever it says', async () => {
    const p = await person();
    const id = await svc.createReissue(deps, p.me.iin, { email: undefined, storage: 'file', revokeOld: false });
    await assert.rejects(svc.markInstalled(deps, p.me, id, [{ keyType: 'AUTHENTICATION' }]), refused('QT_ERR_APPLICATION_STATE'));
    await assert.rejects(svc.markInstalled(deps, p.me, id, 'nonsense'), refused('QT_ERR_APPLICATION_STATE'));
    await assert.rejects(svc.markInstalled(deps, p.me, NOBODYS_APPLICATION, [{ keyType: 'AUTHENTICATION' }]), refused('QT_ERR_APPLICATION_NOT_FOUND'));
    await assert.rejects(svc.markInstalled(deps, p.me, 'not-a-uuid', [{ keyType: 'AUTHENTICATION' }]), refused('QT_ERR_APPLICATION_NOT_FOUND'));
    await svc.cancelReissue(deps, p.me, id);
  });

  test('«Подать заявку» past the day\'s limit is refused with QT_ERR_APPLICATION_LIMIT and files nothing', async () => {
    const p = await person();
    for (let i = 0; i < 2; i++) {
      const id = await svc.createReissue(deps, p.me.iin, { email: 'a@mail.kz', storage: 'token', revokeOld: true });
      const r = await svc.loadOwn(deps, id, p.me.iin);
      assert.deepEqual({ state: r.state, email: r.email, storage: r.storage, revokeOld: r.revokeOld, identification: r.identification }, { state: 'submitted', email: 'a@mail.kz', storage: 'token', revokeOld: true, identification: 'remote' });
      await svc.cancelReissue(deps, p.me, id);
    }
    const before = await ctx.store.db.selectFrom('applications').select('id').where('iin', '=', p.me.iin).execute();
    await assert.rejects(svc.createReissue(deps, p.me.iin, { email: undefined, storage: 'file', revokeOld: false }), refused('QT_ERR_APPLICATION_LIMIT'));
    assert.equal((await ctx.store.db.selectFrom('applications').select('id').where('iin', '=', p.me.iin).execute()).length, before.length);
    assert.equal((await portalDb(ctx.store.db).selectFrom('portal_reissues').select('application_id').where('iin', '=', p.me.iin).execute()).length, before.length);
  });
});

/** A well-formed application id no application has. */
const NOBODYS_APPLICATION = '0b7c6a2e-1f4d-4c8e-9a3b-5d6e7f8091a2';
