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
  return storedAnswer(first, hash);
}

/** What a key that was not claimed answers: the first request's stored response, or why there is none to give. */
export function storedAnswer(first: { request_hash: Buffer; response_status: number | null; response: unknown } | undefined, hash: Buffer): Claim {
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
  return { kind: 'replay', status: first.response_status, response: first.response as JsonObject };
}

export interface KeyClaim {
  scope: string;
  key: string;
  hash: Buffer;
  /** The number `onClaim` is given for this key once it is claimed (issuance: its public key's lock). */
  lock: number;
}

/**
 * claimIdempotencyKey for several keys in one statement (ra/batch.ts; each (scope, key) at most once): returns the
 * indexes of the claims that were new; the others are read with the batch's next statement (storedAnswer).
 * `onClaim(lock)` is evaluated per claimed key in the same statement, in the order of `lock`, so two batches on two
 * nodes take their public-key locks in one order. One statement text whatever the number of keys: prepared once.
 */
export async function claimIdempotencyKeys(
  trx: Kysely<Database>,
  claims: readonly KeyClaim[],
  hours: number,
  onClaim: (lock: RawBuilder<number>) => RawBuilder<unknown>,
): Promise<Set<number>> {
  if (claims.length === 0) return new Set();
  const { rows } = await sql<{ i: number }>`
    WITH m AS (
      SELECT m.scope, m.key, m.hash, m.lock, m.i FROM unnest(${claims.map((c) => c.scope)}::text[], ${claims.map((c) => c.key)}::text[], ${claims.map((c) => c.hash)}::bytea[],
                           ${claims.map((c) => c.lock)}::int4[], ${claims.map((_, i) => i)}::int4[]) AS m(scope, key, hash, lock, i)
    ), claimed AS (
      INSERT INTO idempotency_keys AS k (scope, key, request_hash, expires_at)
      SELECT scope, key, hash, now() + make_interval(hours => ${hours}) FROM m ORDER BY lock, i
      ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, expires_at = excluded.expires_at, created_at = now(),
        response_status = NULL, response = NULL, completed_at = NULL
      WHERE k.expires_at <= now()
      RETURNING scope, key
    )
    -- The select list runs once per claimed row, only once the INSERT claimed it, in the INSERT's order (a CTE is
    -- scanned in the order its rows were returned; the scalar subqueries look each row's own values up).
    SELECT x.i, ${onClaim(sql<number>`x.lock`)} AS on_claim
    FROM (SELECT (SELECT m.i FROM m WHERE m.scope = c.scope AND m.key = c.key) AS i,
                 (SELECT m.lock FROM m WHERE m.scope = c.scope AND m.key = c.key) AS lock
          FROM claimed c) x`.execute(trx);
  return new Set(rows.map((r) => Number(r.i)));
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
