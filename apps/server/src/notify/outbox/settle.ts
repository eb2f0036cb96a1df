/**
 * Sends whose outcome was hidden — the worker died (its lease lapsed) or the connection dropped after a
 * submit was on the wire — are decided by the SMSC's evidence only, never by a timer:
 *
 *  - nothing recorded as "may reach the next hop" (rows.ts recordIntents): certainly not sent; pending again,
 *    and the attempt does not count;
 *  - the SMSC's answer (submit_sm_resp) recorded: sent (markSent, which also takes a late answer);
 *  - a delivery receipt carrying our reference (SMPP user_message_reference, echoed by the SMSC): the SMSC
 *    accepted that very send; sent, then delivered or not as the receipts say. Receipts are acknowledged only
 *    once written, so one that a killed worker had not written comes again on the next bind;
 *  - no evidence yet: with a transport whose receipts carry our reference the message becomes 'unknown' and
 *    waits — a receipt that arrives later, however late, decides it (receipts.ts), or an operator does
 *    (`notify retry`, `--as-sent`). Never resent on a timer: a receipt that is slow is not a send that failed;
 *  - a transport that can give no evidence: an idempotency key (HTTP) makes sending again harmless, so it is
 *    sent again under the same key; otherwise (SMTP, SMPP without receipts or whose receipts do not carry our
 *    reference) notify.uncorrelatedSends decides: 'at-least-once' sends again (the person may get it twice;
 *    `notify status` lists it), 'at-most-once' leaves it 'unknown' (the person may get none; listed too).
 */
import { sql, type Kysely } from 'kysely';
import { appendAudit } from '../../audit/index.ts';
import type { Database } from '../../store/schema.ts';
import type { SendCorrelation } from '../sms/gateway.ts';
import type { UncorrelatedSends } from '../settings.ts';
import type { MessageState, UncertainResolution } from '../tables.ts';
import { markFailed, settleFromReceipts, type Claimed, type FailureRecord } from './rows.ts';

export interface SettleResult {
  /** Never handed to a transport: pending again. */
  readonly neverSent: number;
  /** A receipt carrying our reference proved the send. */
  readonly provenByReceipt: number;
  /** No evidence yet: 'unknown', listed by `notify status`. */
  readonly unknown: number;
  /** Sent again: under the same idempotency key, or (no evidence possible) at-least-once. */
  readonly resent: number;
}

/** What a hidden outcome becomes when no receipt has proven it (yet). */
export function withoutEvidence(correlation: SendCorrelation | null, policy: UncorrelatedSends): { state: MessageState; resolution: UncertainResolution | null } {
  if (correlation === 'receipt-reference') return { state: 'unknown', resolution: null };
  if (correlation === 'idempotency-key') return { state: 'pending', resolution: 'resent-same-key' };
  return policy === 'at-least-once' ? { state: 'pending', resolution: 'resent' } : { state: 'unknown', resolution: null };
}

/** Messages (locked by the caller) that have a receipt for their current attempt: the SMSC accepted them. */
async function provenByReceipt(trx: Kysely<Database>, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    SELECT DISTINCT m.id FROM notify_messages m JOIN notify_receipts r ON r.message_id = m.id AND r.attempt = m.attempts
    WHERE m.id = ANY(${ids}::bigint[])`.execute(trx);
  return new Set(rows.map((r) => String(r.id)));
}

/**
 * Messages whose receipts proved them — 'unknown', or waiting to be sent again (by the operator's or the
 * policy's decision) and not taken yet, or (settleLapsedLeases) in flight — become sent, with the SMSC ids the
 * receipts named, then delivered/undelivered as the receipts say. The caller holds the rows.
 */
export async function decideByReceipts(trx: Kysely<Database>, ids: readonly string[], states: readonly MessageState[] = ['unknown', 'pending']): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    UPDATE notify_messages m
    SET state = 'sent', uncertain_resolution = 'receipt', sent_at = coalesce(m.sent_at, m.claimed_at), lease_until = NULL,
        provider_ids = (SELECT array_agg(DISTINCT r.provider_id ORDER BY r.provider_id) FROM notify_receipts r WHERE r.message_id = m.id AND r.attempt = m.attempts),
        last_error_code = NULL, last_error = NULL, updated_at = now()
    WHERE m.id = ANY(${ids}::bigint[]) AND m.state = ANY(${states}::text[])
      AND EXISTS (SELECT 1 FROM notify_receipts r WHERE r.message_id = m.id AND r.attempt = m.attempts)
    RETURNING m.id`.execute(trx);
  const decided = rows.map((r) => String(r.id));
  await settleFromReceipts(trx, decided);
  for (const id of decided) await appendAudit(trx, { actor: 'notifier', action: 'notify.decided_by_receipt', target: `notify_message:${id}`, details: {} });
  return decided;
}

export async function settleLapsedLeases(db: Kysely<Database>, o: { now: Date; uncorrelatedSends: UncorrelatedSends; limit?: number }): Promise<SettleResult> {
  return db.transaction().execute(async (trx) => {
    const lapsed = await trx
      .selectFrom('notify_messages')
      .select(['id', 'attempts', 'destination_hash', 'correlation'])
      .where('state', '=', 'sending')
      .where('lease_until', '<', o.now)
      .orderBy('lease_until')
      .limit(o.limit ?? 500)
      .forUpdate()
      .skipLocked()
      .execute();
    const result = { neverSent: 0, provenByReceipt: 0, unknown: 0, resent: 0 };
    const proven = await provenByReceipt(trx, lapsed.filter((m) => m.destination_hash).map((m) => m.id));
    result.provenByReceipt = (await decideByReceipts(trx, [...proven], ['sending'])).length;
    for (const m of lapsed) {
      if (proven.has(m.id)) continue;
      if (!m.destination_hash) {
        await trx
          .updateTable('notify_messages')
          .set({ state: 'pending', attempts: m.attempts - 1, lease_until: null, next_attempt_at: o.now, updated_at: sql`now()` })
          .where('id', '=', m.id)
          .execute();
        result.neverSent++;
        continue;
      }
      const next = withoutEvidence(m.correlation, o.uncorrelatedSends);
      await trx
        .updateTable('notify_messages')
        .set({
          state: next.state,
          lease_until: null,
          next_attempt_at: o.now,
          uncertain_resolution: next.resolution,
          last_error_code: 'outcome_unknown',
          last_error:
            next.state === 'unknown'
              ? 'the sending worker stopped before the SMSC answered; waiting for the SMSC to say (a receipt), or for an operator'
              : 'the sending worker stopped before the next hop answered; sent again',
          updated_at: sql`now()`,
        })
        .where('id', '=', m.id)
        .execute();
      if (next.state === 'unknown') result.unknown++;
      else result.resent++;
      await appendAudit(trx, {
        actor: 'notifier',
        action: next.state === 'unknown' ? 'notify.outcome_unknown' : 'notify.resent_without_evidence',
        target: `notify_message:${m.id}`,
        details: { attempt: m.attempts, correlation: m.correlation, why: 'lease lapsed', ...(next.resolution && { resolution: next.resolution }) },
      });
    }
    return result;
  });
}

/**
 * A send on the wire whose answer never came (the connection dropped, or the SMSC did not answer in time), with
 * the worker alive: a receipt that already came decides it; else as settleLapsedLeases would. A "send again"
 * counts as an attempt (and dead-letters when they are used up), like any transient failure.
 */
export async function markUncertain(
  db: Kysely<Database>,
  c: Claimed,
  o: { failure: FailureRecord; retryAt: Date; uncorrelatedSends: UncorrelatedSends; maxAttempts: number },
): Promise<'sent' | 'unknown' | 'retry' | 'failed' | 'lost'> {
  const decided = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('notify_messages')
      .select(['correlation'])
      .where('id', '=', c.id)
      .where('attempts', '=', c.attempts)
      .where('state', '=', 'sending')
      .forUpdate()
      .executeTakeFirst();
    if (!row) return 'lost' as const;
    if ((await decideByReceipts(trx, [c.id], ['sending'])).length > 0) return 'sent' as const;
    const next = withoutEvidence(row.correlation, o.uncorrelatedSends);
    if (next.state !== 'unknown') return next.resolution;
    await trx
      .updateTable('notify_messages')
      .set({
        state: 'unknown',
        lease_until: null,
        last_error_code: o.failure.code,
        last_error: `${o.failure.message.slice(0, 800)} — waiting for the SMSC to say (a receipt), or for an operator`,
        updated_at: sql`now()`,
      })
      .where('id', '=', c.id)
      .execute();
    await appendAudit(trx, { actor: 'notifier', action: 'notify.outcome_unknown', target: `notify_message:${c.id}`, details: { attempt: c.attempts, correlation: row.correlation, code: o.failure.code } });
    return 'unknown' as const;
  });
  if (decided === 'sent' || decided === 'unknown' || decided === 'lost') return decided;
  // Sent again: as a transient failure, under the same key or (no evidence possible) at least once.
  const dead = c.attempts >= o.maxAttempts;
  const result = await markFailed(db, c, o.failure, dead ? undefined : o.retryAt, decided ?? undefined);
  return result === 'retry' ? 'retry' : result === 'failed' ? 'failed' : 'lost';
}
