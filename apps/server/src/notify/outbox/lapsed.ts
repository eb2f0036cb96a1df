/**
 * Messages left in `sending` after their lease lapsed: their worker died or hung. What happened to them?
 *
 *  - No destination recorded: the worker died before handing the message to a transport. Certainly not
 *    sent; back to pending, and the attempt does not count.
 *  - Destination recorded: the transport may have accepted it before the worker died (no protocol can make
 *    "the SMSC accepted it" and "our commit" one atomic step). For SMS, a delivery receipt for the same
 *    number, submitted after the claim, that no message owns, proves the send: the message is settled as
 *    sent by that receipt. SMSCs re-send unacknowledged receipts when the next session binds, so we wait
 *    `graceMs` past the lease for one to arrive. Without such proof (no receipt in time, or e-mail, which has
 *    no receipts) the message is sent again: a reminder twice is a nuisance, a reminder lost can cost a
 *    citizen their keys. Either outcome is recorded in uncertain_resolution.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { settleFromReceipts } from './rows.ts';

export interface LapsedResult {
  readonly neverSent: number;
  readonly provenByReceipt: number;
  readonly retried: number;
  readonly waiting: number;
}

/** Receipt dates have minute resolution and SMSC clocks drift: accept submits from a little before the claim. */
const SUBMIT_SKEW_MS = 2 * 60_000;

export async function resolveLapsedLeases(db: Kysely<Database>, o: { now: Date; graceMs: number; limit?: number }): Promise<LapsedResult> {
  return db.transaction().execute(async (trx) => {
    const lapsed = await trx
      .selectFrom('notify_messages')
      .select(['id', 'channel', 'attempts', 'claimed_at', 'lease_until', 'destination_hash'])
      .where('state', '=', 'sending')
      .where('lease_until', '<', o.now)
      .orderBy('lease_until')
      .limit(o.limit ?? 500)
      .forUpdate()
      .skipLocked()
      .execute();
    const result = { neverSent: 0, provenByReceipt: 0, retried: 0, waiting: 0 };
    for (const m of lapsed) {
      if (!m.destination_hash) {
        await trx
          .updateTable('notify_messages')
          .set({ state: 'pending', attempts: m.attempts - 1, lease_until: null, next_attempt_at: o.now, updated_at: sql`now()` })
          .where('id', '=', m.id)
          .execute();
        result.neverSent++;
        continue;
      }
      if (m.channel === 'sms') {
        const since = new Date(m.claimed_at!.getTime() - SUBMIT_SKEW_MS);
        const { rows } = await sql<{ provider_id: string }>`
          UPDATE notify_receipts SET message_id = ${m.id}
          WHERE id IN (
            SELECT id FROM notify_receipts
            WHERE message_id IS NULL AND recipient_hash = ${m.destination_hash}
              AND submitted_at >= ${since} AND submitted_at <= ${new Date(m.lease_until!.getTime() + SUBMIT_SKEW_MS)})
          RETURNING provider_id`.execute(trx);
        if (rows.length > 0) {
          await trx
            .updateTable('notify_messages')
            .set({
              state: 'sent',
              provider_ids: [...new Set(rows.map((r) => r.provider_id))],
              sent_at: m.claimed_at,
              lease_until: null,
              uncertain_resolution: 'receipt',
              updated_at: sql`now()`,
            })
            .where('id', '=', m.id)
            .execute();
          await settleFromReceipts(trx, [m.id]);
          result.provenByReceipt++;
          continue;
        }
      }
      if (m.lease_until!.getTime() + o.graceMs > o.now.getTime()) {
        result.waiting++;
        continue;
      }
      await trx
        .updateTable('notify_messages')
        .set({ state: 'pending', lease_until: null, next_attempt_at: o.now, uncertain_resolution: 'retried', last_error_code: 'outcome_unknown', last_error: 'the sending worker stopped before recording the outcome; sent again', updated_at: sql`now()` })
        .where('id', '=', m.id)
        .execute();
      result.retried++;
    }
    return result;
  });
}
