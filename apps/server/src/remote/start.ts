/**
 * The first steps of remote issuance: «start» (the IIN, checked against the population registry and the
 * mobile-citizens registry, then an SMS code) and the code itself, which makes this browser session the
 * application's owner.
 *
 * One open application per person (the applications table's unique index): a second start for the same IIN
 * — another window, another device, or the same person after their session ended — joins the open
 * application as a claimant and gets the code step; whoever enters the current code owns it. The code
 * only ever goes to the registry's phone, so only its holder can take an application over.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Locale } from '@qoltanba/i18n';
import { isQtError, parseIin, QtError } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import { maskPhone } from '../notify/index.ts';
import { checkEmailAddress } from '../notify/mail/mailer.ts';
import { checkCodeIn, sendCode } from '../portal/reissue/otp.ts';
import { keepAnonymousSessionUntil } from '../portal/session/sessions.ts';
import { countApplications, createApplication } from '../ra/index.ts';
import type { RemoteDeps, Visitor } from './deps.ts';
import { accessOf, expireIfDue, loadRemote, OPEN_STATES, moveRemote, stepOf, type RemoteApplication } from './store.ts';
import { remoteDb } from './tables.ts';

export interface StartInput {
  iin: unknown;
  email: unknown;
  storage: unknown;
  consent: unknown;
}

export type CodeSending = 'sent' | 'already-sent' | 'not-sent';

export interface Started {
  id: string;
  code: CodeSending;
  /** Why no code went out when `code` is 'not-sent'. */
  error?: QtError | undefined;
}

const DAY = 86_400_000;

export async function startRemote(deps: RemoteDeps, visitor: Visitor, input: StartInput, locale: Locale): Promise<Started> {
  const { ctx } = deps.portal;
  const o = deps.options;
  const db = remoteDb(ctx.store.db);
  const now = ctx.now();
  const since = new Date(now.getTime() - DAY);
  const record = (iin: string, outcome: string) => db.insertInto('remote_starts').values({ at: now, client_ip: visitor.ip, iin, outcome }).execute();

  const storage = input.storage === 'token' ? 'token' : input.storage === 'file' || input.storage === undefined ? 'file' : undefined;
  if (!storage) throw new QtError('QT_ERR_INPUT_INVALID', 'storage must be file or token', { field: 'storage' });
  if (input.consent !== 'yes') throw new QtError('QT_ERR_INPUT_INVALID', 'The consent to the processing of personal and biometric data is required', { field: 'consent' });
  const email = typeof input.email === 'string' && input.email.trim() ? checkEmailAddress(input.email.trim()) : undefined;

  // Per address first, before the registry is asked anything: probing IINs costs the prober, not us.
  const byIp = await sql<{ n: string }>`SELECT count(*) AS n FROM remote_starts WHERE client_ip = ${visitor.ip} AND at > ${since}`.execute(db);
  if (Number(byIp.rows[0]?.n ?? 0) >= o.startsPerIpPerDay) throw new QtError('QT_ERR_RATE_LIMITED', 'Too many remote applications were started from this address today', { retryAfterSeconds: 3600, per: 'ip' });

  const iin = typeof input.iin === 'string' ? input.iin.replace(/\s+/g, '') : '';
  try {
    parseIin(iin, { testMode: deps.portal.options.testMode });
  } catch (e) {
    await record(/^\d{12}$/.test(iin) ? iin : '', 'iin-invalid');
    throw e;
  }
  // Per person: only starts that sent a code count, so nobody can lock another person out by typing their IIN.
  const byIin = await sql<{ n: string }>`
    SELECT count(*) AS n FROM remote_starts WHERE iin = ${iin} AND at > ${since} AND outcome IN ('created', 'resumed')`.execute(db);
  if (Number(byIin.rows[0]?.n ?? 0) >= o.startsPerIinPerDay) {
    await record(iin, 'rate-limited');
    throw new QtError('QT_ERR_RATE_LIMITED', 'Too many remote applications were started for this IIN today', { retryAfterSeconds: 3600, per: 'iin' });
  }

  const person = await deps.population.person(iin);
  if (!person) {
    await record(iin, 'not-found');
    throw new QtError('QT_ERR_PERSON_NOT_FOUND');
  }
  if (person.status !== 'alive') {
    await record(iin, 'not-eligible');
    await appendAudit(ctx.store.db, { actor: 'system:remote', action: 'remote.refused', target: `subject:${iin}`, details: { iin, why: person.status } });
    throw new QtError('QT_ERR_PERSON_NOT_ELIGIBLE');
  }
  const phone = (await deps.portal.mobileCitizens.lookup([iin])).get(iin);
  if (!phone || !phone.verified) {
    await record(iin, 'no-phone');
    throw new QtError('QT_ERR_PHONE_NOT_REGISTERED', undefined, { registered: Boolean(phone) });
  }
  const phoneSha256 = createHash('sha256').update(phone.phone).digest();

  const open = await openApplication(deps, iin);
  let id: string;
  let resumed = Boolean(open);
  if (open) {
    // The owner's own browser typing the IIN again just goes back to its application.
    if ((await accessOf(ctx.store.db, open, visitor.sessionSha256)) === 'owner') return { id: open.id, code: 'already-sent' };
    id = open.id;
  } else {
    const perIin = await countApplications(ctx.store.db, { iin, kind: 'issue', identification: 'remote', since });
    const perPhone = await sql<{ n: string }>`
      SELECT count(*) AS n FROM remote_applications WHERE phone_sha256 = ${phoneSha256} AND created_at > ${since}`.execute(db);
    if (perIin >= o.applicationsPerIinPerDay || Number(perPhone.rows[0]?.n ?? 0) >= o.applicationsPerPhonePerDay) {
      await record(iin, 'limit');
      throw new QtError('QT_ERR_APPLICATION_LIMIT', undefined, { per: Number(perPhone.rows[0]?.n ?? 0) >= o.applicationsPerPhonePerDay ? 'phone' : 'iin' });
    }
    try {
      id = await create(deps, visitor, { iin, person, phoneSha256, masked: maskPhone(phone.phone), email, storage, now });
    } catch (e) {
      // Another window created it a moment ago (the unique index on open issuances): join that one.
      if ((e as { code?: string }).code !== '23505') throw e;
      const joined = await openApplication(deps, iin);
      if (!joined) throw new QtError('QT_ERR_APPLICATION_STATE', 'Another application of this person is open (a re-issuance): finish or cancel it first', { open: 'reissue' });
      id = joined.id;
      resumed = true;
    }
  }
  if (resumed) {
    await db.insertInto('remote_claims').values({ application_id: id, session_sha256: visitor.sessionSha256, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
    // A new code for a taken-over application: the one confirmed earlier is spent.
    await db.updateTable('portal_otps').set({ verified_at: null }).where('application_id', '=', id).execute();
    await appendAudit(ctx.store.db, { actor: `citizen:${iin}`, action: 'remote.resumed', target: `application:${id}`, details: { applicationId: id, iin, phone: maskPhone(phone.phone) } });
  }
  await record(iin, resumed ? 'resumed' : 'created');
  try {
    await sendCode(deps.portal, { applicationId: id, iin, locale, purpose: 'remote' });
    return { id, code: 'sent' };
  } catch (e) {
    // A code sent less than a minute ago (the other window's) is still good: the page asks for it.
    if (isQtError(e, 'QT_ERR_RATE_LIMITED')) return { id, code: 'already-sent' };
    if (isQtError(e)) return { id, code: 'not-sent', error: e };
    throw e;
  }
}

/** The person's open remote application, if any; one past its expiry is closed here, not resumed. */
async function openApplication(deps: RemoteDeps, iin: string): Promise<RemoteApplication | undefined> {
  const db = deps.portal.ctx.store.db;
  const row = await remoteDb(db)
    .selectFrom('applications as a')
    .innerJoin('remote_applications as r', 'r.application_id', 'a.id')
    .select('a.id')
    .where('a.iin', '=', iin)
    .where('a.state', 'in', [...OPEN_STATES])
    .executeTakeFirst();
  if (!row) return undefined;
  const r = await expireIfDue(db, await loadRemote(db, row.id), deps.portal.ctx.now());
  return OPEN_STATES.includes(r.state) ? r : undefined;
}

async function create(
  deps: RemoteDeps,
  visitor: Visitor,
  a: { iin: string; person: { surname: string; name: string; patronymic: string | undefined }; phoneSha256: Buffer; masked: string; email: string | undefined; storage: 'file' | 'token'; now: Date },
): Promise<string> {
  const { ctx } = deps.portal;
  const id = randomUUID();
  await ctx.store.db.transaction().execute(async (trx) => {
    const rdb = remoteDb(trx);
    await createApplication(trx, {
      id,
      kind: 'issue',
      iin: a.iin,
      // A first-time applicant becomes known under the registry's name.
      person: { surname: a.person.surname, givenName: a.person.name, patronymic: a.person.patronymic },
      storage: a.storage,
      identification: 'remote',
      request: { via: 'portal-remote', storage: a.storage, email: a.email ?? null },
      now: a.now,
      expiresAt: new Date(a.now.getTime() + deps.options.applicationMs),
      actor: `citizen:${a.iin}`,
      details: { storage: a.storage, phone: a.masked, email: a.email ? a.email.replace(/^(.).*@/, '$1***@') : null },
    });
    await rdb
      .insertInto('remote_applications')
      .values({ application_id: id, iin: a.iin, phone_sha256: a.phoneSha256, client_ip: visitor.ip, email: a.email ?? null, storage: a.storage, created_at: a.now, updated_at: a.now })
      .execute();
    await rdb.insertInto('remote_claims').values({ application_id: id, session_sha256: visitor.sessionSha256, created_at: a.now }).execute();
  });
  return id;
}

/**
 * The SMS code: right → this session owns the application (a takeover if someone else did); wrong → counted,
 * and the last allowed wrong one refuses the application.
 */
export async function confirmRemoteCode(deps: RemoteDeps, visitor: Visitor, id: string, typed: string): Promise<void> {
  const { ctx } = deps.portal;
  const now = ctx.now();
  const failure = await ctx.store.db.transaction().execute(async (trx): Promise<QtError | undefined> => {
    const r = await loadRemote(trx, id, { forUpdate: true });
    const access = await accessOf(trx, r, visitor.sessionSha256);
    if (!access) throw new QtError('QT_ERR_APPLICATION_NOT_FOUND');
    const step = stepOf(r);
    if (access === 'owner' || step === 'closed' || step === 'done') throw new QtError('QT_ERR_APPLICATION_STATE', 'The code for this application was already confirmed', { step });
    const checked = await checkCodeIn(trx, deps.portal, r.id, typed, now);
    if (!checked.ok) {
      if (checked.error.code === 'QT_ERR_OTP_ATTEMPTS' && r.sessionSha256) {
        // Someone guessing at a takeover must not be able to kill the owner's application: only the claims go.
        await remoteDb(trx).deleteFrom('remote_claims').where('application_id', '=', r.id).execute();
        await appendAudit(trx, { actor: 'system:remote', action: 'remote.takeover-refused', target: `application:${r.id}`, details: { applicationId: r.id, errorCode: checked.error.code } });
      } else if (checked.error.code === 'QT_ERR_OTP_ATTEMPTS' && OPEN_STATES.includes(r.state)) {
        await moveRemote(trx, r, r.state, 'rejected', now, { actor: 'system:remote', reason: 'otp-attempts', details: { attempts: deps.portal.options.otp.maxAttempts } });
      } else {
        await appendAudit(trx, { actor: `citizen:${r.iin}`, action: 'portal.code-refused', target: `application:${r.id}`, details: { applicationId: r.id, errorCode: checked.error.code } });
      }
      return checked.error;
    }
    const rdb = remoteDb(trx);
    await rdb.updateTable('remote_applications').set({ session_sha256: visitor.sessionSha256, code_verified_at: now, updated_at: now }).where('application_id', '=', r.id).execute();
    await rdb.deleteFrom('remote_claims').where('application_id', '=', r.id).execute();
    // The owner's page may wait hours for an operator: its session lasts as long as the application (idle limit kept).
    await keepAnonymousSessionUntil(trx, visitor.sessionSha256, r.expiresAt);
    await appendAudit(trx, {
      actor: `citizen:${r.iin}`,
      action: 'remote.code-confirmed',
      target: `application:${r.id}`,
      details: { applicationId: r.id, iin: r.iin, takeover: r.sessionSha256 !== null },
    });
    return undefined;
  });
  if (failure) throw failure;
}
