/**
 * API tokens for the CA API (table api_tokens, migration 0006). Issuance and revocation are privileged:
 * every call names a token, and every token has scopes — issue, revoke, read.
 *
 * A token reads `qt_<id>_<secret>`: 8 random bytes of public id (finds the row; safe in logs) and 32 of
 * secret, of which only the SHA-256 is stored. The comparison is constant-time, and an unknown id costs
 * the same hash and comparison as a known one, so timing tells an attacker nothing. Tokens are made by
 * createApiToken (the CLI's `qoltanba token create`), shown once, and audited by name — never the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../audit/index.ts';
import { withStore } from '../ra/db-errors.ts';

export const apiScopes = ['issue', 'revoke', 'read'] as const;
export type ApiScope = (typeof apiScopes)[number];

export interface ApiTokensTable {
  id: string;
  name: string;
  secret_sha256: Buffer;
  scopes: string[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

type TokenDb = Kysely<Database & { api_tokens: ApiTokensTable }>;
const tokens = (db: Kysely<Database>): TokenDb => db.withTables<{ api_tokens: ApiTokensTable }>();

/** Who called: a token, by name. `actor` is what the audit log records. */
export interface ApiPrincipal {
  tokenId: string;
  name: string;
  scopes: readonly ApiScope[];
  actor: string;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  scopes: ApiScope[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedApiToken extends ApiTokenInfo {
  /** The only time the token is visible: hand it to its holder, store it nowhere else. */
  token: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TOKEN = /^qt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
// Compared against when the id is unknown, so that path does the same work as a wrong secret.
const DECOY = createHash('sha256').update('qoltanba decoy').digest();

export function actorOf(name: string): string {
  return `token:${name}`;
}

export async function createApiToken(
  db: Kysely<Database>,
  options: { name: string; scopes: readonly string[]; expiresAt?: Date | undefined; actor: string },
): Promise<CreatedApiToken> {
  if (!NAME.test(options.name)) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'A token name is 1–63 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit', { field: 'name' });
  }
  const scopes = [...new Set(options.scopes)];
  const unknown = scopes.filter((s) => !(apiScopes as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length) {
    throw new QtError('QT_ERR_INPUT_INVALID', `Scopes are some of ${apiScopes.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`, { field: 'scopes' });
  }
  if (options.expiresAt && !(options.expiresAt.getTime() > Date.now())) throw new QtError('QT_ERR_INPUT_INVALID', 'expiresAt must lie in the future', { field: 'expiresAt' });
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const row = await withStore('creating an API token', () =>
    tokens(db)
      .transaction()
      .execute(async (trx) => {
        const inserted = await trx
          .insertInto('api_tokens')
          .values({ id, name: options.name, secret_sha256: sha256(secret), scopes, created_by: options.actor, created_at: sql<Date>`now()`, expires_at: options.expiresAt ?? null, revoked_at: null })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!inserted) throw new QtError('QT_ERR_API_TOKEN_EXISTS', `A token named "${options.name}" exists (names are never reused; pick another)`, { name: options.name });
        await appendAudit(trx as unknown as Kysely<Database>, {
          actor: options.actor,
          action: 'api-token.created',
          target: `api-token:${options.name}`,
          details: { id, name: options.name, scopes, expiresAt: options.expiresAt?.toISOString() ?? null },
        });
        return inserted;
      }),
  );
  return { ...info(row), token: `qt_${id}_${secret}` };
}

export async function revokeApiToken(db: Kysely<Database>, options: { name: string; actor: string }): Promise<ApiTokenInfo> {
  const row = await withStore('revoking an API token', () =>
    tokens(db)
      .transaction()
      .execute(async (trx) => {
        const updated = await trx
          .updateTable('api_tokens')
          .set({ revoked_at: sql<Date>`now()` })
          .where('name', '=', options.name)
          .where('revoked_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        if (!updated) throw new QtError('QT_ERR_API_TOKEN_NOT_FOUND', `No live token is named "${options.name}"`, { name: options.name });
        await appendAudit(trx as unknown as Kysely<Database>, { actor: options.actor, action: 'api-token.revoked', target: `api-token:${options.name}`, details: { id: updated.id, name: updated.name } });
        return updated;
      }),
  );
  return info(row);
}

export async function listApiTokens(db: Kysely<Database>): Promise<ApiTokenInfo[]> {
  const rows = await withStore('listing API tokens', () => tokens(db).selectFrom('api_tokens').selectAll().orderBy('created_at').execute());
  return rows.map(info);
}

/** The principal behind an `Authorization` header value, or QT_ERR_UNAUTHENTICATED (one message for every failure). */
export async function authenticateApiToken(db: Kysely<Database>, authorization: string | undefined, now: Date): Promise<ApiPrincipal> {
  const presented = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  const parts = presented ? TOKEN.exec(presented) : null;
  if (!parts) throw unauthenticated(authorization ? 'malformed' : 'missing');
  const [, id, secret] = parts as unknown as [string, string, string];
  const row = await withStore('checking the API token', () =>
    tokens(db).selectFrom('api_tokens').select(['id', 'name', 'secret_sha256', 'scopes', 'expires_at', 'revoked_at']).where('id', '=', id).executeTakeFirst(),
  );
  const matches = timingSafeEqual(sha256(secret), row?.secret_sha256 ?? DECOY);
  if (!row || !matches) throw unauthenticated('unknown');
  if (row.revoked_at !== null) throw unauthenticated('revoked');
  if (row.expires_at !== null && row.expires_at <= now) throw unauthenticated('expired');
  return { tokenId: row.id, name: row.name, scopes: row.scopes as ApiScope[], actor: actorOf(row.name) };
}

/** Callers learn only that the token is not valid; `why` goes to the server log (see the API plugin). */
function unauthenticated(why: 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired'): QtError {
  const error = new QtError('QT_ERR_UNAUTHENTICATED', why === 'missing' ? undefined : 'The API token is not valid (unknown, revoked or expired)');
  Object.defineProperty(error, 'why', { value: why, enumerable: false });
  return error;
}

export function unauthenticatedReason(e: unknown): string | undefined {
  return (e as { why?: string } | null)?.why;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function info(row: ApiTokensTable): ApiTokenInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as ApiScope[],
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
