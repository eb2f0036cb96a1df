/**
 * The re-issuance wizard's steps as service functions (routes.ts only parses and renders):
 *   create («Подать заявку») → sign the application with the current SIGN key → SMS code → new keys' CSRs →
 *   two certificates issued by the RA (same profiles and subject as the current ones) → installed by the agent.
 * Each step checks the application is at that step, for this person, and leaves the state in the database.
 */
import { formatDateTime, type Locale, type Translator } from '@qoltanba/i18n';
import { getProfile, inspectCertificate, isProfileName, isQtError, QtError } from '@qoltanba/pki';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { appendAudit, queueAuditFrom } from '../../audit/index.ts';
import { createApplication, issueForApplication, listBySubject, moveApplication, openIssuance, type CertificateRecord, type IssuedForAgent, type IssueSubject } from '../../ra/index.ts';
import { checkEmailAddress } from '../../notify/mail/mailer.ts';
import type { Database } from '../../store/schema.ts';
import type { PortalDeps } from '../deps.ts';
import { isUsable, storageLabel } from '../keys/describe.ts';
import { challengeNonce, consumeChallenge, createChallenge, type Challenge } from '../session/challenges.ts';
import { answerKeys, readInstalled } from './agent.ts';
import { checkCodeIn, deliverCode, firstCodeInsert, newCode, rightCodeCondition, sendCode, type OtpStatus } from './otp.ts';
import { expectStep, expireIfDue, identityOf, loadReissue, type Reissue } from './store.ts';
import { isUuid } from '../../store/uuid.ts';

export interface Me {
  iin: string;
  sessionSha256: Buffer;
}

export interface CurrentPair {
  auth: CertificateRecord;
  sign: CertificateRecord;
}

/**
 * The person's newest valid AUTH and SIGN certificates: re-issuance is allowed only while both exist. A
 * restricted certificate (an RA operator's) is never one of them: re-issuing it would let an operator renew
 * the role without the administrators.
 */
export async function currentPair(deps: PortalDeps, iin: string): Promise<CurrentPair | undefined> {
  const now = deps.ctx.now();
  const all = await listBySubject(deps.ra, iin, { limit: 1000 });
  const personal = (c: CertificateRecord) => !(isProfileName(c.profile) && getProfile(c.profile).restricted);
  const newest = (kind: 'AUTH' | 'SIGN') => all.filter((c) => c.kind === kind && personal(c) && isUsable(c, now)).sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime())[0];
  const auth = newest('AUTH');
  const sign = newest('SIGN');
  return auth && sign ? { auth, sign } : undefined;
}

/** The person as the current certificate names them, and how the wizard writes the name. */
export interface SubjectOfRecord extends IssueSubject {
  display: string;
}

/** Name and IIN as the current certificate states them: the wizard shows them and never lets them change. */
export function subjectOf(c: CertificateRecord): SubjectOfRecord {
  const kz = inspectCertificate(c.der).kz;
  if (!kz.surname || !kz.name || !kz.iin) throw new QtError('QT_ERR_SUBJECT_INVALID', 'The current certificate does not name the person fully');
  return {
    surname: kz.surname,
    name: kz.name,
    ...(kz.patronymic ? { patronymic: kz.patronymic } : {}),
    iin: kz.iin,
    ...(kz.organization ? { organization: kz.organization } : {}),
    ...(kz.bin ? { bin: kz.bin } : {}),
    display: [kz.surname, kz.name, kz.patronymic].filter(Boolean).join(' '),
  };
}

export interface CreateInput {
  email: string | undefined;
  storage: 'file' | 'token';
  revokeOld: boolean;
}

/** «Подать заявку»: one open re-issuance per person (the RA's unique index); a second submit returns the open one. */
export async function createReissue(deps: PortalDeps, iin: string, input: CreateInput): Promise<string> {
  const { ctx, options } = deps;
  const email = input.email ? checkEmailAddress(input.email) : undefined;
  const pair = await currentPair(deps, iin);
  if (!pair) throw new QtError('QT_ERR_REISSUE_NOT_ALLOWED');
  const now = ctx.now();
  const id = randomUUID();
  try {
    // One statement: the day's limit, the application, its audit entry and this surface's row beside it.
    return await createApplication(ctx.store.db, {
      id,
      kind: 'reissue',
      iin,
      storage: input.storage,
      identification: 'remote',
      targetCertificateId: pair.auth.id,
      request: { via: 'portal', storage: input.storage, email: email ?? null, revokeOld: input.revokeOld },
      now,
      expiresAt: new Date(now.getTime() + options.applicationMs),
      actor: `citizen:${iin}`,
      details: { storage: input.storage, revokeOld: input.revokeOld, email: email ? email.replace(/^(.).*@/, '$1***@') : null, current: [`${pair.auth.ca}/${pair.auth.serial}`, `${pair.sign.ca}/${pair.sign.serial}`] },
      limit: { max: options.applicationsPerDay, since: new Date(now.getTime() - 86_400_000) },
      alongside: sql`INSERT INTO portal_reissues (application_id, iin, email, storage, revoke_old, old_certificate_ids, created_at, updated_at)
        SELECT app.id, ${iin}::text, ${email ?? null}::text, ${input.storage}::text, ${input.revokeOld}::boolean, ${[pair.auth.id, pair.sign.id]}::bigint[], ${now}::timestamptz, ${now}::timestamptz FROM app`,
    });
  } catch (e) {
    // The unique index on open issuances: an application is already open — continue that one.
    if ((e as { code?: string }).code === '23505') {
      const open = await openIssuance(ctx.store.db, iin);
      if (open) return open.id;
    }
    throw e;
  }
}

export async function loadOwn(deps: PortalDeps, id: string, iin: string): Promise<Reissue> {
  return expireIfDue(deps.ctx.store.db, await loadReissue(deps.ctx.store.db, id, iin), deps.ctx.now());
}

/** The exact application text the person signs (in their language; the agent shows it before signing). */
export async function applicationChallenge(deps: PortalDeps, me: Me, id: string, t: Translator): Promise<Challenge> {
  // Both reads at once (one round trip's wait); judged in the old order, the application first.
  const [own, current] = await Promise.allSettled([loadOwn(deps, id, me.iin), currentPair(deps, me.iin)]);
  const r = unwrap(own);
  expectStep(r, 'sign');
  const pair = unwrap(current);
  if (!pair) throw new QtError('QT_ERR_REISSUE_NOT_ALLOWED');
  const subject = subjectOf(pair.auth);
  const now = deps.ctx.now();
  const content = t.t('sign.application', {
    id: r.id,
    name: subject.display,
    iin: me.iin,
    email: r.email ?? t.t('common.notGiven'),
    storage: storageLabel(t, r.storage),
    revokeOld: t.t(r.revokeOld ? 'common.yes' : 'common.no'),
    nonce: challengeNonce(),
    time: formatDateTime(t.locale, now),
  });
  return createChallenge(deps.ctx.store.db, { sessionSha256: me.sessionSha256, purpose: 'application', applicationId: r.id, content, now, ttlMs: deps.options.challengeMs });
}

/** The signed application: verified like a login, but with the SIGN key, and it must be the applicant's. */
export async function signApplication(deps: PortalDeps, me: Me, id: string, body: { challengeId: unknown; cms: unknown }, locale: Locale): Promise<OtpStatus | QtError> {
  const { ctx } = deps;
  const now = ctx.now();
  // The application and the challenge at once (one round trip's wait), judged in the old order: the application
  // first. A challenge is single-use whatever happens next; one burnt beside an application at another step could
  // not have signed anything anyway (it names this application).
  const [own, consumed] = await Promise.allSettled([
    loadOwn(deps, id, me.iin),
    isUuid(id) ? consumeChallenge(ctx.store.db, { id: body.challengeId, sessionSha256: me.sessionSha256, purpose: 'application', applicationId: id.toLowerCase(), now }) : Promise.reject(new Error('not an id')),
  ]);
  const r = unwrap(own);
  expectStep(r, 'sign');
  const challenge = unwrap(consumed);
  // The registry's phone for the code is read while the signature is verified (a read; used only if it verifies).
  const registry = deps.mobileCitizens.lookup([me.iin]);
  registry.catch(() => undefined);
  const verified = await deps.verifier.verify({ cms: body.cms, content: challenge.content, purpose: 'emailProtection', iin: me.iin });
  const cms = String(body.cms);
  // The first code is stored in the same statement when the registry has a verified number (the usual case);
  // anything else — no number, a code already there, the day's cap — goes sendCode's way below, which says why.
  const entry = await registry.then((m) => m.get(me.iin), () => undefined);
  const code = entry?.verified ? newCode(deps, { applicationId: r.id, iin: me.iin, phone: entry.phone, locale }) : undefined;
  // One statement: the application locked if it is still at this step, the signature kept, its audit entry queued
  // (and the first code stored).
  const { rows } = await sql<{ application_id: string; sends: number | null }>`
    WITH locked AS (
      SELECT a.id FROM applications a JOIN portal_reissues r ON r.application_id = a.id
      WHERE a.id = ${r.id} AND a.iin = ${me.iin} AND a.kind = 'reissue' AND a.state = 'submitted' AND r.signed_at IS NULL
      FOR UPDATE
    ), signed AS (
      UPDATE portal_reissues SET signed_cms = ${Buffer.from(cmsDer(cms))}, signed_at = ${now}, signer_certificate_id = ${verified.certificate.id}, updated_at = ${now}
      FROM locked WHERE portal_reissues.application_id = locked.id
      RETURNING portal_reissues.application_id
    ), audit AS (${queueAuditFrom('signed', {
      actor: `citizen:${me.iin}`,
      action: 'application.signed',
      target: `application:${r.id}`,
      details: { applicationId: r.id, iin: me.iin, signer: `${verified.certificate.ca}/${verified.certificate.serial}`, challengeId: challenge.id },
    })})${code ? sql`, first AS (${firstCodeInsert(deps, code, sql`signed`)})` : sql``}
    SELECT application_id, ${code ? sql`(SELECT sends FROM first)` : sql`NULL::int`} AS sends FROM signed`.execute(ctx.store.db);
  if (!rows[0]) {
    // Moved on meanwhile (cancelled, expired, signed by a racing request): the step it is at says so.
    expectStep(await loadReissue(ctx.store.db, id, me.iin), 'sign');
    throw new QtError('QT_ERR_APPLICATION_STATE', 'The application changed while it was being signed');
  }
  // The code goes out at once; when it cannot (no number in the registry, SMS centre down), the page shows why
  // and offers to send it again — the signature is kept.
  try {
    const sends = rows[0].sends;
    if (code && sends !== null) return await deliverCode(deps, code, sends);
    return await sendCode(deps, { applicationId: r.id, iin: me.iin, locale, registry });
  } catch (e) {
    if (isQtError(e)) return e;
    throw e;
  }
}

export async function resendCode(deps: PortalDeps, me: Me, id: string, locale: Locale): Promise<OtpStatus> {
  const r = await loadOwn(deps, id, me.iin);
  expectStep(r, 'code');
  return sendCode(deps, { applicationId: r.id, iin: me.iin, locale });
}

/**
 * The SMS code: right → verified (identity: the key's signature and the registry's phone) → approved (policy:
 * the current keys are still valid) in one transaction. Wrong → counted; the last allowed wrong one refuses
 * the application.
 */
export async function confirmCode(deps: PortalDeps, me: Me, id: string, typed: string): Promise<void> {
  const { ctx } = deps;
  const now = ctx.now();
  // The person's current keys are read beside the transaction (one round trip's wait); judged only once the code is.
  const current = Promise.allSettled([currentPair(deps, me.iin)]).then(([s]) => s);
  const failure = await ctx.store.db.transaction().execute(async (trx): Promise<QtError | undefined> => {
    const actor = `citizen:${me.iin}`;
    // The right code, as usual, is one statement: the application locked at the code step, the code checked and
    // marked used, submitted → verified with its audit entry. The portal files its re-issuances as 'remote'.
    const applicationId = id.toLowerCase();
    const right = isUuid(id) ? rightCodeCondition(deps, applicationId, typed, now) : undefined;
    let known: ReturnType<typeof identityOf> = { kind: 'reissue', iin: me.iin, identification: 'remote' };
    const verified = right
      ? await moveApplication(trx, applicationId, 'submitted', 'verified', now, {
          actor,
          details: { by: ['signature', 'sms'] },
          known,
          along: {
            ctes: sql`locked AS (
              SELECT a.id FROM applications a JOIN portal_reissues r ON r.application_id = a.id JOIN portal_otps o ON o.application_id = a.id
              WHERE a.id = ${applicationId}::uuid AND a.iin = ${me.iin} AND a.kind = 'reissue' AND a.state = 'submitted' AND r.signed_at IS NOT NULL AND ${right}
              FOR UPDATE
            ), code_used AS (
              UPDATE portal_otps SET verified_at = ${now} FROM locked WHERE portal_otps.application_id = locked.id RETURNING portal_otps.application_id
            )`,
            gate: 'code_used',
          },
        })
      : undefined;
    if (!verified) {
      // Wrong, expired or used code, another step, another person's: the long way counts and says why, as ever.
      const r = await loadReissue(trx, id, me.iin, { forUpdate: true });
      expectStep(r, 'code');
      const checked = await checkCodeIn(trx, deps, r.id, typed, now);
      if (!checked.ok) {
        if (checked.error.code === 'QT_ERR_OTP_ATTEMPTS') {
          await moveApplication(trx, r.id, 'submitted', 'rejected', now, { actor: 'system:portal', reason: 'otp-attempts', details: { attempts: deps.options.otp.maxAttempts }, known: identityOf(r) });
        } else {
          await appendAudit(trx, { actor, action: 'portal.code-refused', target: `application:${r.id}`, details: { applicationId: r.id, errorCode: checked.error.code } });
        }
        return checked.error;
      }
      known = identityOf(r);
      await moveApplication(trx, r.id, 'submitted', 'verified', now, { actor, details: { by: ['signature', 'sms'] }, known });
    }
    const pair = unwrap(await current);
    if (!pair) {
      await moveApplication(trx, applicationId, 'verified', 'rejected', now, { actor: 'system:portal', reason: 'current keys no longer valid', known });
      return new QtError('QT_ERR_REISSUE_NOT_ALLOWED');
    }
    await moveApplication(trx, applicationId, 'verified', 'approved', now, { actor: 'system:portal', details: { current: [`${pair.auth.ca}/${pair.auth.serial}`, `${pair.sign.ca}/${pair.sign.serial}`] }, known });
    return undefined;
  });
  if (failure) throw failure;
}

export interface CsrSubmission {
  requestId: unknown;
  keys: unknown;
}

/**
 * The agent's two CSRs → two certificates, by the RA, for this approved application, with the current
 * certificates' profiles and subject; the RA completes the application and this row names them in the
 * same transaction (ra/issue-for-application.ts). Idempotent per (application, agent request): a retry
 * after a lost answer gets the same certificates.
 */
export async function issueFor(deps: PortalDeps, me: Me, id: string, body: CsrSubmission): Promise<IssuedForAgent> {
  const db = deps.ctx.store.db;
  // The person's certificates are read beside the application (one round trip's wait), for the issuance's profiles and subject.
  const [own, theirs] = await Promise.allSettled([loadOwn(deps, id, me.iin), listBySubject(deps.ra, me.iin, { limit: 1000 })]);
  return answerKeys(db, unwrap(own), body, {
    expectKeys: (r) => expectStep(r, 'keys'),
    issue: async (r, requestId, csrs) => {
      const old = oldCertificatesIn(unwrap(theirs), r);
      const subject = subjectOf(old.auth);
      return issueForApplication(deps.ra, {
        applicationId: r.id,
        via: 'portal',
        requestId,
        subject: { surname: subject.surname, name: subject.name, patronymic: subject.patronymic, iin: subject.iin, organization: subject.organization, bin: subject.bin },
        email: r.email ?? undefined,
        storage: r.storage,
        identification: 'remote',
        auth: { csr: csrs.AUTHENTICATION, profile: old.auth.profile },
        sign: { csr: csrs.SIGNATURE, profile: old.sign.profile },
        actor: `citizen:${me.iin}`,
        // Named in the statement that completes the application (one round trip with the move and its entry).
        recordAlong: (issued) => sql`UPDATE portal_reissues SET auth_certificate_id = ${issued.auth.id}::bigint, sign_certificate_id = ${issued.sign.id}::bigint,
          agent_request_id = ${requestId}::text, updated_at = ${deps.ctx.now()}::timestamptz FROM moved WHERE portal_reissues.application_id = moved.id`,
      });
    },
  });
}

export async function markInstalled(deps: PortalDeps, me: Me, id: string, installed: unknown): Promise<void> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const now = ctx.now();
  let files: ReturnType<typeof readInstalled>;
  try {
    files = readInstalled(installed);
  } catch (e) {
    // A report for an application not at this step is refused as such first, whatever the report says.
    expectStep(await loadReissue(db, id, me.iin), 'install', 'done');
    throw e;
  }
  // One statement: recorded once, with its audit entry, for the person's completed application.
  const { rows } = await sql<{ application_id: string }>`
    WITH locked AS (
      SELECT a.id FROM applications a JOIN portal_reissues r ON r.application_id = a.id
      WHERE a.id = ${isUuid(id) ? id.toLowerCase() : null}::uuid AND a.iin = ${me.iin} AND a.kind = 'reissue' AND a.state = 'completed' AND r.installed_at IS NULL
      FOR UPDATE
    ), installed AS (
      UPDATE portal_reissues SET installed = ${JSON.stringify(files)}::jsonb, installed_at = ${now}, updated_at = ${now}
      FROM locked WHERE portal_reissues.application_id = locked.id
      RETURNING portal_reissues.application_id
    ), audit AS (${queueAuditFrom('installed', { actor: `citizen:${me.iin}`, action: 'portal.keys-installed', target: `application:${id.toLowerCase()}`, details: { applicationId: id.toLowerCase(), files: files as unknown as Record<string, string>[] } })})
    SELECT application_id FROM installed`.execute(db);
  if (rows[0]) return;
  // Not recorded: unknown, not this person's, not at this step (each refused as ever) — or already recorded (done).
  expectStep(await loadReissue(db, id, me.iin), 'install', 'done');
}

export async function cancelReissue(deps: PortalDeps, me: Me, id: string): Promise<void> {
  const now = deps.ctx.now();
  await deps.ctx.store.db.transaction().execute(async (trx) => {
    const r = await loadReissue(trx, id, me.iin, { forUpdate: true });
    expectStep(r, 'sign', 'code', 'keys');
    await moveApplication(trx, r.id, r.state, 'cancelled', now, { actor: `citizen:${me.iin}`, reason: 'cancelled by the applicant', known: identityOf(r) });
  });
}

export async function oldCertificates(deps: PortalDeps, r: Reissue): Promise<{ auth: CertificateRecord; sign: CertificateRecord }> {
  return oldCertificatesIn(await listBySubject(deps.ra, r.iin, { limit: 1000 }), r);
}

function oldCertificatesIn(all: readonly CertificateRecord[], r: Reissue): { auth: CertificateRecord; sign: CertificateRecord } {
  const auth = all.find((c) => c.id === r.oldCertificateIds[0]);
  const sign = all.find((c) => c.id === r.oldCertificateIds[1]);
  if (!auth || !sign) throw new QtError('QT_ERR_INTERNAL', 'The application names certificates the person does not have');
  return { auth, sign };
}

/** A read's result, judged in its turn: both reads were settled together, so an early refusal leaves no unhandled rejection. */
function unwrap<T>(s: PromiseSettledResult<T>): T {
  if (s.status === 'rejected') throw s.reason;
  return s.value;
}

function cmsDer(text: string): Uint8Array {
  const b64 = text.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

export type { Kysely, Database };
