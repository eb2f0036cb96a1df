/**
 * Appends to the audit hash chain (canonical.ts defines the hash) inside the caller's transaction, so an
 * entry exists exactly when the state change it records commits.
 *
 * The chain's head (audit_head: last seq and hash) is locked FOR UPDATE until that transaction ends. The
 * lock numbers rows without gaps and orders appenders in every process and on every node, but it also
 * serialises every audited transaction from its append to its commit: append last, just before commit,
 * and take any other locks (certificate rows, crl_state) first.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema.ts';
import { rowHash } from './canonical.ts';
import { checkEntry, type AuditEntry } from './entry.ts';

export interface AppendedAudit {
  /** A JS number is exact up to 2^53 rows: 285 000 years at 1 000 appends per second. */
  seq: number;
  at: Date;
  hash: Buffer;
}

/**
 * Appends `entry`. Given a transaction, the entry joins it; given the database itself, the entry is
 * written in a transaction of its own.
 */
export async function appendAudit(db: Kysely<Database>, entry: AuditEntry): Promise<AppendedAudit> {
  // Checked before the head is locked: a refused entry must not hold up other appenders.
  const checked = checkEntry(entry);
  if (!db.isTransaction) return db.transaction().execute((trx) => appendAudit(trx, entry));

  // The time comes from the database clock, read after the lock: one clock for every node, and times
  // that follow seq order. Truncated to milliseconds so that it survives the trip through a JS Date.
  const { rows } = await sql<{ seq: string; hash: Buffer; at: Date }>`
    SELECT seq, hash, date_trunc('milliseconds', clock_timestamp()) AS at FROM audit_head FOR UPDATE`.execute(db);
  const head = rows[0];
  if (!head) throw new Error('audit_head has no row: the audit migration has not been applied');
  const row = { seq: (BigInt(head.seq) + 1n).toString(), at: head.at, ...checked };
  const hash = rowHash(head.hash, row);
  const details = JSON.stringify(checked.details);
  await sql`
    WITH appended AS (
      INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash)
      VALUES (${row.seq}, ${row.at}, ${row.actor}, ${row.action}, ${row.target}, ${details}::jsonb, ${head.hash}, ${hash})
      RETURNING seq, hash
    )
    UPDATE audit_head SET seq = appended.seq, hash = appended.hash FROM appended`.execute(db);
  return { seq: Number(row.seq), at: row.at, hash };
}
