/**
 * Idempotency keys (table idempotency_keys, migration 0004) for requests that create something.
 *
 * The key is claimed inside the very transaction that does the work, and completed in it: a committed
 * row therefore always carries its response, and a transaction that fails leaves no claim behind, so a
 * retry simply runs again. A doubled request racing the first blocks on the first one's uncommitted
 * row (INSERT … ON CONFLICT waits for the other transaction), then reads the committed response: the
 * same certificate, never a second one, and never a signature the database does not hold.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { Database, JsonObject } from '../store/schema.ts';

// Visible ASCII: what clients put in an HTTP header (UUIDs, ULIDs, request ids).
const KEY = /^[\x21-\x7e]{1,255}$/;

export function checkIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new QtError('QT_ERR_IDEMPOTENCY_KEY_REQUIRED', undefined, { header: 'Idempotency-Key' });
  }
  return key;
}

/** SHA-256 of the request's canonical JSON (keys sorted, undefined members dropped). */
export function requestHash(request: Readonly<Record<string, unknown>>): Buffer {
  return createHash('sha256').update(canonicalJson(request)).digest();
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type Claim = { kind: 'new' } | { kind: 'replay'; status: number; response: JsonObject };

/**
 * Claims (scope, key) for this request, or returns what the first request with it answered. `onClaim`, when
 * given, is evaluated in the same statement once the key is claimed — never for a replay — so work that must
 * follow the claim (issuance's public-key lock) costs no round trip of its own.
 */
export async function claimIdempotencyKey(trx: Kysely<Database>, scope: string, key: string, hash: Buffer, hours: number, onClaim?: RawBuilder<unknown>): Promise<Claim> {
  // One statement: a new key is inserted, and an expired one is forgotten — taken over as if new, so the same
  // key may start a new request. A live key is left as it is (no row returned) and read below.
  const claimed = await trx
    .with('claimed', (db) =>
      db
        .insertInto('idempotency_keys')
        .values({ scope, key, request_hash: hash, expires_at: sql<Date>`now() + make_interval(hours => ${hours})` })
        .onConflict((oc) =>
          oc
            .columns(['scope', 'key'])
            .doUpdateSet({
              request_hash: (eb) => eb.ref('excluded.request_hash'),
              expires_at: (eb) => eb.ref('excluded.expires_at'),
              created_at: sql<Date>`now()`,
              response_status: null,
              response: null,
              completed_at: null,
            })
            .where('idempotency_keys.expires_at', '<=', sql<Date>`now()`),
        )
        .returning('key'),
    )
    // The select list runs once per claimed row, i.e. only after the INSERT claimed the key.
    .selectFrom('claimed')
    .select(['claimed.key', (onClaim ?? sql`NULL`).as('on_claim')])
    .executeTakeFirst();
  if (claimed) return { kind: 'new' };
  const first = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_status', 'response'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!first) {
    // Only when the first request's row expired and was swept between our two statements.
    throw new QtError('QT_ERR_STORE_BUSY', 'The idempotency key changed hands during this request; please retry', { retry: true });
  }
  if (!first.request_hash.equals(hash)) {
    throw new QtError('QT_ERR_IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was already used for a different request; use a new key for a new request', {
      header: 'Idempotency-Key',
    });
  }
  if (first.response_status === null || first.response === null || typeof first.response !== 'object' || Array.isArray(first.response)) {
    throw new QtError('QT_ERR_IDEMPOTENCY_CONFLICT', 'The first request with this Idempotency-Key has not finished', { header: 'Idempotency-Key', inProgress: true });
  }
  return { kind: 'replay', status: first.response_status, response: first.response };
}

export async function completeIdempotencyKey(trx: Kysely<Database>, scope: string, key: string, status: number, response: JsonObject): Promise<void> {
  await trx
    .updateTable('idempotency_keys')
    .set({ response_status: status, response: JSON.stringify(response), completed_at: sql<Date>`now()` })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
}

/**
 * Forgets idempotency records past their expiry, a batch at a time (a worker calls this on a schedule;
 * a key reused after expiry is forgotten on the spot by claimIdempotencyKey anyway). Returns how many went.
 */
export async function purgeExpiredIdempotencyKeys(db: Kysely<Database>, batch = 10_000): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_keys WHERE ctid IN (
      SELECT ctid FROM idempotency_keys WHERE expires_at <= now() ORDER BY expires_at LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
