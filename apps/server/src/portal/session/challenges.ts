/**
 * Requests to sign: the server writes the exact text, the person's key signs it through the agent, and the
 * signature counts once — for the session that asked, before the challenge expires. Consuming is one
 * conditional UPDATE, so two racing submissions of the same signature cannot both succeed.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { Database } from '../../store/schema.ts';
import { portalDb, type ChallengePurpose } from '../tables.ts';
import { isUuid } from '../../store/uuid.ts';

export interface Challenge {
  id: string;
  purpose: ChallengePurpose;
  applicationId: string | null;
  targets: string[];
  content: string;
  expiresAt: Date;
}

export function challengeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export async function createChallenge(
  db: Kysely<Database>,
  input: { sessionSha256: Buffer; purpose: ChallengePurpose; content: string; applicationId?: string; targets?: string[]; now: Date; ttlMs: number },
): Promise<Challenge> {
  const expiresAt = new Date(input.now.getTime() + input.ttlMs);
  const row = await portalDb(db)
    .insertInto('portal_challenges')
    .values({
      session_sha256: input.sessionSha256,
      purpose: input.purpose,
      application_id: input.applicationId ?? null,
      targets: input.targets ?? [],
      content: input.content,
      created_at: input.now,
      expires_at: expiresAt,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return { id: row.id, purpose: input.purpose, applicationId: input.applicationId ?? null, targets: input.targets ?? [], content: input.content, expiresAt };
}

/**
 * The challenge, marked used — or QT_ERR_CHALLENGE_INVALID whatever the reason (unknown, another session's,
 * another purpose, expired, used): the page's answer is the same, start the step again.
 */
export async function consumeChallenge(
  db: Kysely<Database>,
  input: { id: unknown; sessionSha256: Buffer; purpose: ChallengePurpose; applicationId?: string; now: Date },
): Promise<Challenge> {
  if (typeof input.id !== 'string' || !isUuid(input.id)) throw invalid();
  let q = portalDb(db)
    .updateTable('portal_challenges')
    .set({ used_at: input.now })
    .where('id', '=', input.id.toLowerCase())
    .where('session_sha256', '=', input.sessionSha256)
    .where('purpose', '=', input.purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', input.now);
  if (input.applicationId) q = q.where('application_id', '=', input.applicationId);
  const row = await q.returning(['id', 'purpose', 'application_id', 'targets', 'content', 'expires_at']).executeTakeFirst();
  if (!row) throw invalid();
  return { id: row.id, purpose: row.purpose, applicationId: row.application_id, targets: row.targets, content: row.content, expiresAt: row.expires_at };
}

function invalid(): QtError {
  return new QtError('QT_ERR_CHALLENGE_INVALID');
}
