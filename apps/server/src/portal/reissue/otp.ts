/**
 * One-time SMS codes confirming an application: random digits, only a salted SHA-256 kept, a limited life,
 * a limited number of wrong entries (then the application is refused), a limited number of sends per
 * application and per person per day. The limits live in the database, so they hold across portal nodes
 * and restarts. The code travels through the notifier's SmsGateway, the same interface as the reminders.
 *
 * A 6-digit code's hash is no secret to someone who can read the database (10^6 guesses); what protects
 * it is its 5-minute life, single use, and that it only completes an application already signed with the
 * person's key in this session. The code itself is never logged (the gateway masks it; the audit log gets
 * the masked phone and counters only).
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Locale } from '@qoltanba/i18n';
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import { maskPhone, oneTimeCodeSms, type OneTimeCodePurpose } from '../../notify/index.ts';
import type { Database } from '../../store/schema.ts';
import type { MobileCitizenEntry } from '../../notify/mobile-citizens/index.ts';
import type { PortalDeps } from '../deps.ts';
import { portalDb } from '../tables.ts';

export interface OtpStatus {
  phoneMasked: string;
  sends: number;
  attempts: number;
  sentAt: Date;
  expiresAt: Date;
  verifiedAt: Date | null;
}

export function codeHash(salt: Buffer, applicationId: string, code: string): Buffer {
  return createHash('sha256').update(salt).update(applicationId).update('\0').update(code).digest();
}

export async function otpStatus(db: Kysely<Database>, applicationId: string): Promise<OtpStatus | undefined> {
  const row = await portalDb(db).selectFrom('portal_otps').selectAll().where('application_id', '=', applicationId).executeTakeFirst();
  return row
    ? { phoneMasked: row.phone_masked, sends: row.sends, attempts: row.attempts, sentAt: row.sent_at, expiresAt: row.expires_at, verifiedAt: row.verified_at }
    : undefined;
}

/** Sends a new code for the application to the phone the registry has for the IIN. */
export async function sendCode(
  deps: PortalDeps,
  input: {
    applicationId: string;
    iin: string;
    locale: Locale;
    purpose?: OneTimeCodePurpose;
    /** The registry's answer for this IIN when the caller asked for it already (beside other work). */
    registry?: Promise<ReadonlyMap<string, MobileCitizenEntry>>;
  },
): Promise<OtpStatus> {
  const { ctx, options } = deps;
  const o = options.otp;
  const entry = (await (input.registry ?? deps.mobileCitizens.lookup([input.iin]))).get(input.iin);
  if (!entry || !entry.verified) {
    await appendAudit(ctx.store.db, {
      actor: `citizen:${input.iin}`,
      action: 'portal.code-not-sent',
      target: `application:${input.applicationId}`,
      details: { applicationId: input.applicationId, why: entry ? 'number not verified by the registry' : 'not in the mobile citizens registry' },
    });
    throw new QtError('QT_ERR_PHONE_NOT_REGISTERED');
  }
  const code = newCode(deps, { applicationId: input.applicationId, iin: input.iin, phone: entry.phone, locale: input.locale, purpose: input.purpose });
  const { now, hash, salt, masked, expiresAt } = code;
  // The usual case, the application's first code, is one statement: stored only when no code exists yet and the
  // person is under the day's cap. Anything else (a resend, the cap reached, a racing request) goes the long way
  // below, which decides and says why.
  const first = await firstCodeInsert(deps, code, sql`(SELECT 1) AS one`).execute(ctx.store.db);
  const sends = first.rows[0]?.sends ?? await ctx.store.db.transaction().execute(async (trx) => {
    const pdb = portalDb(trx);
    const current = await pdb.selectFrom('portal_otps').selectAll().where('application_id', '=', input.applicationId).forUpdate().executeTakeFirst();
    if (current?.verified_at) throw new QtError('QT_ERR_APPLICATION_STATE', 'The code was already confirmed');
    if (current && current.sends >= o.maxSends) throw new QtError('QT_ERR_OTP_SEND_LIMIT', undefined, { maxSends: o.maxSends });
    if (current && now.getTime() - current.sent_at.getTime() < o.resendAfterSeconds * 1000) {
      throw new QtError('QT_ERR_RATE_LIMITED', 'A new code can be asked for a little later', { retryAfterSeconds: o.resendAfterSeconds });
    }
    const { rows } = await sql<{ n: string | null }>`
      SELECT sum(sends) AS n FROM portal_otps WHERE iin = ${input.iin} AND sent_at > ${new Date(now.getTime() - 86_400_000)}`.execute(trx);
    if (Number(rows[0]?.n ?? 0) >= o.perPersonPerDay) throw new QtError('QT_ERR_OTP_SEND_LIMIT', undefined, { perPersonPerDay: o.perPersonPerDay });
    const values = {
      code_sha256: hash,
      salt,
      phone_masked: masked,
      attempts: 0,
      sent_at: now,
      expires_at: expiresAt,
    };
    const n = (current?.sends ?? 0) + 1;
    if (current) await pdb.updateTable('portal_otps').set({ ...values, sends: n }).where('application_id', '=', input.applicationId).execute();
    else await pdb.insertInto('portal_otps').values({ application_id: input.applicationId, iin: input.iin, sends: n, ...values }).execute();
    return n;
  });
  return deliverCode(deps, code, sends);
}

/** A fresh code for an application, not stored or sent yet: what storing it (only its salted hash) and sending it need. */
export interface NewCode {
  applicationId: string;
  iin: string;
  phone: string;
  masked: string;
  locale: Locale;
  purpose: OneTimeCodePurpose | undefined;
  code: string;
  salt: Buffer;
  hash: Buffer;
  now: Date;
  expiresAt: Date;
}

export function newCode(deps: PortalDeps, input: { applicationId: string; iin: string; phone: string; locale: Locale; purpose?: OneTimeCodePurpose | undefined }): NewCode {
  const o = deps.options.otp;
  const now = deps.ctx.now();
  const code = String(randomInt(0, 10 ** o.length)).padStart(o.length, '0');
  const salt = randomBytes(16);
  return {
    ...input,
    purpose: input.purpose,
    masked: maskPhone(input.phone),
    code,
    salt,
    hash: codeHash(salt, input.applicationId, code),
    now,
    expiresAt: new Date(now.getTime() + o.validMinutes * 60_000),
  };
}

/**
 * The application's first code as an INSERT for the caller's statement, `FROM <from>` (a CTE of it, e.g. the
 * signed application's, so the code is stored only when that row is): only when no code exists yet and the person
 * is under the day's cap; RETURNING sends. Nothing inserted means: go sendCode's long way.
 */
export function firstCodeInsert(deps: PortalDeps, c: NewCode, from: RawBuilder<unknown>): RawBuilder<{ sends: number }> {
  return sql<{ sends: number }>`
    INSERT INTO portal_otps (application_id, iin, sends, code_sha256, salt, phone_masked, attempts, sent_at, expires_at)
    SELECT ${c.applicationId}::uuid, ${c.iin}::text, 1, ${c.hash}::bytea, ${c.salt}::bytea, ${c.masked}::text, 0, ${c.now}::timestamptz, ${c.expiresAt}::timestamptz FROM ${from}
    WHERE NOT EXISTS (SELECT 1 FROM portal_otps WHERE application_id = ${c.applicationId}::uuid)
      AND (SELECT coalesce(sum(sends), 0) FROM portal_otps WHERE iin = ${c.iin} AND sent_at > ${new Date(c.now.getTime() - 86_400_000)}) < ${deps.options.otp.perPersonPerDay}
    ON CONFLICT (application_id) DO NOTHING
    RETURNING sends`;
}

/** A stored code to the SMS centre, and its audit entry; when it cannot go, the code is void and not counted. */
export async function deliverCode(deps: PortalDeps, c: NewCode, sends: number): Promise<OtpStatus> {
  const { ctx, options } = deps;
  const o = options.otp;
  const { now, masked, expiresAt } = c;
  const phone = c.phone;
  const input = { applicationId: c.applicationId, iin: c.iin };
  const code = c.code;
  const sms = oneTimeCodeSms(c.locale, { code, purpose: c.purpose ?? 'reissue', validMinutes: o.validMinutes });
  try {
    await deps.sms.send({ to: phone, text: sms.text, secrets: sms.secrets, validForMinutes: sms.validForMinutes, reference: `application:${input.applicationId}` });
  } catch (err) {
    // Not delivered to the SMS centre: the code is void and the send is not counted against the person
    // (a first code that never left leaves no row, so the page says "not sent" rather than "sent").
    const pdb = portalDb(ctx.store.db);
    if (sends === 1) await pdb.deleteFrom('portal_otps').where('application_id', '=', input.applicationId).where('sends', '=', 1).execute();
    else await pdb.updateTable('portal_otps').set({ sends: sends - 1, expires_at: new Date(now.getTime() + 1) }).where('application_id', '=', input.applicationId).execute();
    await appendAudit(ctx.store.db, {
      actor: 'system:portal',
      action: 'portal.code-send-failed',
      target: `application:${input.applicationId}`,
      details: { applicationId: input.applicationId, phone: masked, errorCode: (err as QtError).code ?? 'unknown' },
    });
    ctx.log.warn({ err, applicationId: input.applicationId, phone: masked }, 'one-time code SMS not sent');
    throw new QtError('QT_ERR_SMS_UNAVAILABLE');
  }
  await appendAudit(ctx.store.db, {
    actor: `citizen:${input.iin}`,
    action: 'portal.code-sent',
    target: `application:${input.applicationId}`,
    details: { applicationId: input.applicationId, phone: masked, sends, validMinutes: o.validMinutes },
  });
  return { phoneMasked: masked, sends, attempts: 0, sentAt: now, expiresAt, verifiedAt: null };
}

export type CodeCheck = { ok: true } | { ok: false; error: QtError };

/**
 * checkCodeIn's verdict "right" as an SQL condition on the portal_otps row `o` of the caller's statement (the
 * wizard confirms the code and moves the application in one, service.ts): not used yet, attempts left, not
 * expired, and the salted hash of `typed` is the stored one — computed by PostgreSQL's sha256() exactly as
 * codeHash computes it. Undefined when `typed` cannot be a code at all. A wrong code matches no row and
 * changes nothing; the caller then goes checkCodeIn's way, which counts the attempt and says why.
 */
export function rightCodeCondition(deps: PortalDeps, applicationId: string, typed: string, now: Date): RawBuilder<unknown> | undefined {
  const o = deps.options.otp;
  const clean = typed.replace(/\s+/g, '');
  if (!/^\d+$/.test(clean) || clean.length !== o.length) return undefined;
  return sql`o.verified_at IS NULL AND o.attempts < ${o.maxAttempts} AND o.expires_at > ${now}
    AND o.code_sha256 = sha256(o.salt || convert_to(${applicationId}::text, 'UTF8') || decode('00', 'hex') || convert_to(${clean}::text, 'UTF8'))`;
}

/**
 * Checks a typed code inside the caller's transaction (the application row is already locked). A wrong code
 * is counted even though the caller then fails the request: the count is committed, the error returned.
 */
export async function checkCodeIn(trx: Kysely<Database>, deps: PortalDeps, applicationId: string, typed: string, now: Date): Promise<CodeCheck> {
  const o = deps.options.otp;
  const pdb = portalDb(trx);
  const row = await pdb.selectFrom('portal_otps').selectAll().where('application_id', '=', applicationId).forUpdate().executeTakeFirst();
  if (!row) return { ok: false, error: new QtError('QT_ERR_OTP_EXPIRED', 'No code has been sent yet') };
  if (row.verified_at) return { ok: false, error: new QtError('QT_ERR_APPLICATION_STATE') };
  if (row.attempts >= o.maxAttempts) return { ok: false, error: new QtError('QT_ERR_OTP_ATTEMPTS') };
  if (now >= row.expires_at) return { ok: false, error: new QtError('QT_ERR_OTP_EXPIRED') };
  const clean = typed.replace(/\s+/g, '');
  const right = /^\d+$/.test(clean) && clean.length === o.length && timingSafeEqual(codeHash(row.salt, applicationId, clean), row.code_sha256);
  if (right) {
    await pdb.updateTable('portal_otps').set({ verified_at: now }).where('application_id', '=', applicationId).execute();
    return { ok: true };
  }
  const attempts = row.attempts + 1;
  await pdb.updateTable('portal_otps').set({ attempts }).where('application_id', '=', applicationId).execute();
  if (attempts >= o.maxAttempts) return { ok: false, error: new QtError('QT_ERR_OTP_ATTEMPTS', undefined, { attempts }) };
  return { ok: false, error: new QtError('QT_ERR_OTP_INVALID', undefined, { attemptsLeft: o.maxAttempts - attempts }) };
}
