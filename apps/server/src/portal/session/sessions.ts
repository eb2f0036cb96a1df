/**
 * Browser sessions in the database, so any portal node can serve any request (nothing in memory).
 *
 * The cookie carries a 256-bit random token; the row is keyed by its SHA-256, so the table (or a backup)
 * opens no session. A session ends by logout, by idle timeout (no request for `idleMs`), by absolute
 * timeout (`absoluteMs` after sign-in, however active), or by a new sign-in in the same browser. Signing
 * in always starts a new token (the login page's session is ended), so a token fixed before login is useless.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { portalDb, type SessionAudience, type SessionEndReason } from '../tables.ts';

export interface Session {
  readonly tokenSha256: Buffer;
  /** Absent on the login page's session (not signed in). */
  readonly iin: string | undefined;
  readonly certificateId: string | undefined;
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly idleExpiresAt: Date;
  readonly expiresAt: Date;
  readonly audience: SessionAudience;
}

export type SessionLookup =
  | { kind: 'active'; session: Session }
  | { kind: 'ended'; reason: SessionEndReason }
  | { kind: 'none' };

export interface SessionTimes {
  idleMs: number;
  absoluteMs: number;
  anonymousMs: number;
}

/** Don't write last_seen on every request: once a minute keeps the idle timeout accurate to a minute. */
const TOUCH_EVERY_MS = 30_000;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export async function createSession(
  db: Kysely<Database>,
  times: SessionTimes,
  now: Date,
  who?: { iin: string; certificateId: string },
  audience: SessionAudience = 'citizen',
): Promise<{ token: string; session: Session }> {
  const token = newToken();
  const tokenSha256 = hashToken(token);
  const csrfToken = randomBytes(32).toString('base64url');
  const lifetime = who ? times.absoluteMs : times.anonymousMs;
  const expiresAt = new Date(now.getTime() + lifetime);
  const idleExpiresAt = new Date(Math.min(expiresAt.getTime(), now.getTime() + (who ? times.idleMs : times.anonymousMs)));
  await portalDb(db)
    .insertInto('portal_sessions')
    .values({
      token_sha256: tokenSha256,
      iin: who?.iin ?? null,
      certificate_id: who?.certificateId ?? null,
      csrf_token: csrfToken,
      created_at: now,
      last_seen_at: now,
      idle_expires_at: idleExpiresAt,
      expires_at: expiresAt,
      audience,
    })
    .execute();
  return {
    token,
    session: { tokenSha256, iin: who?.iin, certificateId: who?.certificateId, csrfToken, createdAt: now, idleExpiresAt, expiresAt, audience },
  };
}

/**
 * The session a cookie names, moving its idle deadline; an expired one is ended here and reported as such.
 * A session of another audience is no session here (an operator's token in the citizen cookie opens nothing).
 */
export async function findSession(db: Kysely<Database>, token: string | undefined, times: SessionTimes, now: Date, audience: SessionAudience = 'citizen'): Promise<SessionLookup> {
  if (!token || !TOKEN.test(token)) return { kind: 'none' };
  const pdb = portalDb(db);
  const tokenSha256 = hashToken(token);
  const row = await pdb.selectFrom('portal_sessions').selectAll().where('token_sha256', '=', tokenSha256).executeTakeFirst();
  if (!row || row.audience !== audience) return { kind: 'none' };
  if (row.ended_at) return { kind: 'ended', reason: row.end_reason ?? 'logout' };
  const expired: SessionEndReason | undefined =
    now >= row.expires_at ? 'absolute' : now >= row.idle_expires_at ? 'idle' : undefined;
  if (expired) {
    await endSession(db, tokenSha256, expired, now);
    return { kind: 'ended', reason: expired };
  }
  let idleExpiresAt = row.idle_expires_at;
  if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) {
    const idle = row.iin ? times.idleMs : times.anonymousMs;
    idleExpiresAt = new Date(Math.min(row.expires_at.getTime(), now.getTime() + idle));
    await pdb
      .updateTable('portal_sessions')
      .set({ last_seen_at: now, idle_expires_at: idleExpiresAt })
      .where('token_sha256', '=', tokenSha256)
      .where('ended_at', 'is', null)
      .execute();
  }
  return {
    kind: 'active',
    session: {
      tokenSha256,
      iin: row.iin ?? undefined,
      certificateId: row.certificate_id ?? undefined,
      csrfToken: row.csrf_token,
      createdAt: row.created_at,
      idleExpiresAt,
      expiresAt: row.expires_at,
      audience: row.audience,
    },
  };
}

export async function endSession(db: Kysely<Database>, tokenSha256: Buffer, reason: SessionEndReason, now: Date): Promise<boolean> {
  const r = await portalDb(db)
    .updateTable('portal_sessions')
    .set({ ended_at: now, end_reason: reason })
    .where('token_sha256', '=', tokenSha256)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Lets a browser's anonymous session last until `until` (never shortening it): a remote applicant waiting
 * for an operator may need hours, while the idle limit still ends a session nobody uses. Sessions of
 * signed-in people keep their absolute limit.
 */
export async function keepAnonymousSessionUntil(db: Kysely<Database>, tokenSha256: Buffer, until: Date): Promise<void> {
  await portalDb(db)
    .updateTable('portal_sessions')
    .set({ expires_at: sql<Date>`GREATEST(expires_at, ${until})` })
    .where('token_sha256', '=', tokenSha256)
    .where('iin', 'is', null)
    .where('ended_at', 'is', null)
    .execute();
}

/** Deletes sessions and challenges that expired more than `keepMs` ago (the portal feature runs it hourly). */
export async function purgePortalState(db: Kysely<Database>, now: Date, keepMs = 7 * 86_400_000): Promise<{ sessions: number; challenges: number }> {
  const before = new Date(now.getTime() - keepMs);
  const pdb = portalDb(db);
  // Login-page sessions (no IIN) are no evidence of anything: they go as soon as they expire.
  const s = await pdb
    .deleteFrom('portal_sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb.and([eb('iin', 'is', null), eb('expires_at', '<', now)])]))
    .executeTakeFirst();
  const c = await pdb.deleteFrom('portal_challenges').where('expires_at', '<', before).executeTakeFirst();
  return { sessions: Number(s.numDeletedRows), challenges: Number(c.numDeletedRows) };
}
