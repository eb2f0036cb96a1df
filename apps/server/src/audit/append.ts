/**
 * Appends to the audit hash chain inside the caller's transaction, so an entry exists exactly when the
 * state change it records commits.
 *
 * The entry is queued in audit_pending and sealed into the chain by a deferred trigger at COMMIT
 * (migration 0005): seq, time and hash are assigned then, under the lock on the chain's head. Holding
 * that lock only from the seal to the end of the commit, instead of from the append through every later
 * round trip of the transaction, is what lets a serial chain keep up with many concurrent issuances;
 * and since it is always the last lock taken, it can never take part in a deadlock. Until the commit,
 * the entry is not in audit_log, even for the transaction that queued it.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../store/schema.ts';
import { canonicalRowAround } from './canonical.ts';
import { checkEntry, type AuditEntry } from './entry.ts';

/**
 * Queues `entry` for the chain. Given a transaction, the entry is sealed when that transaction commits
 * (several entries in the call order); given the database itself, the one statement is a transaction of
 * its own and the entry is sealed before this returns.
 */
export async function appendAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  const row = auditPendingRow(entry);
  await sql`
    INSERT INTO audit_pending (actor, action, target, details, canonical_before_at, canonical_before_seq, canonical_after)
    VALUES (${row.actor}, ${row.action}, ${row.target}, ${row.details}::jsonb, ${row.beforeAt}, ${row.beforeSeq}, ${row.after})`.execute(db);
}

/** The audit_pending row for `entry` (checked, canonical text cut); `details` is JSON text for a `::jsonb` parameter. */
function auditPendingRow(entry: AuditEntry): { actor: string; action: string; target: string | null; details: string; beforeAt: string; beforeSeq: string; after: string } {
  const checked = checkEntry(entry);
  const text = canonicalRowAround(checked);
  return { actor: checked.actor, action: checked.action, target: checked.target, details: JSON.stringify(checked.details), ...text };
}

/**
 * `INSERT INTO audit_pending … SELECT … FROM <cte>`: queues `entry` once per row of a CTE of the caller's statement
 * (none when the CTE wrote nothing), so a change and its audit entry go to the database in one statement, and the
 * entry exists exactly when the change does (ra/applications.ts moves an application this way; ra/issue.ts stores
 * certificate, subject, entry and idempotency answer in one statement).
 */
export function queueAuditFrom(cte: string, entry: AuditEntry): RawBuilder<unknown> {
  const row = auditPendingRow(entry);
  return sql`INSERT INTO audit_pending (actor, action, target, details, canonical_before_at, canonical_before_seq, canonical_after)
    SELECT ${row.actor}::text, ${row.action}::text, ${row.target}::text, ${row.details}::jsonb, ${row.beforeAt}::text, ${row.beforeSeq}::text, ${row.after}::text FROM ${sql.table(cte)}`;
}

/**
 * `INSERT INTO audit_pending … SELECT … FROM unnest(…) JOIN <cte>`: queues each item's entry when the row of the
 * caller's CTE whose `cteKey` equals the item's `key` exists (none for a key the CTE did not write), in the items'
 * order — several changes of one statement and their entries together (ra/batch.ts stores a batch of certificates
 * this way). The statement's text does not depend on how many items there are, so it is prepared once.
 */
export function queueAuditsFrom(cte: string, cteKey: RawBuilder<string>, items: readonly { key: string; entry: AuditEntry }[]): RawBuilder<unknown> {
  const rows = items.map((i) => auditPendingRow(i.entry));
  const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
  return sql`INSERT INTO audit_pending (actor, action, target, details, canonical_before_at, canonical_before_seq, canonical_after)
    SELECT e.actor, e.action, e.target, e.details::jsonb, e.before_at, e.before_seq, e.after
    FROM unnest(${items.map((i) => i.key)}::text[], ${col('actor')}::text[], ${col('action')}::text[], ${col('target')}::text[], ${col('details')}::text[],
                ${col('beforeAt')}::text[], ${col('beforeSeq')}::text[], ${col('after')}::text[])
         WITH ORDINALITY AS e(key, actor, action, target, details, before_at, before_seq, after, ord)
    JOIN ${sql.table(cte)} ON ${cteKey} = e.key
    ORDER BY e.ord`;
}
