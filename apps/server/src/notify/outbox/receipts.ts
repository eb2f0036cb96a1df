/**
 * SMS delivery receipts, recorded as they arrive against the send they are about:
 *  1. by the SMSC's message id, when we have recorded it (submit_sm_resp);
 *  2. else by the reference we chose and the SMSC echoed (user_message_reference) with the recipient — the
 *     send whose answer never came (connection dropped, worker killed) or has not come yet (a receipt can
 *     overtake its submit_sm_resp). A receipt for a send that is 'unknown' decides it: the SMSC accepted it.
 * A receipt that names neither is kept unmatched; markSent() adopts it if its id shows up later.
 *
 * Receipts come in bursts (one per part of every message sent), so they are written in groups: whatever
 * arrived while the previous group was being committed goes in the next transaction. The SMSC is told we
 * have a receipt (deliver_sm_resp) only once its group is committed: see ReceiptWriter.add.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { DeliveryReceipt } from '../sms/gateway.ts';
import { receiptRecipientHash } from './destination.ts';
import { lockProviderIds, settleFromReceipts } from './rows.ts';
import { decideByReceipts } from './settle.ts';

/** Receipt dates have minute resolution and SMSC clocks drift: a receipt's submit time may precede our claim by this much. */
const SUBMIT_SKEW_MS = 2 * 60_000;

/** Writes receipts (one transaction); returns the message each was matched to, in order. */
export async function recordReceipts(db: Kysely<Database>, receipts: readonly DeliveryReceipt[]): Promise<Array<string | undefined>> {
  if (receipts.length === 0) return [];
  const hashes = receipts.map((r) => receiptRecipientHash(r.recipient));
  return db.transaction().execute(async (trx) => {
    await lockProviderIds(trx, receipts.map((r) => r.messageId));
    // SMSC ids are unique per SMSC, not forever: the newest message with that id and recipient wins.
    const { rows: byId } = await sql<{ n: number; id: string }>`
      SELECT DISTINCT ON (v.n) v.n, m.id
      FROM unnest(${receipts.map((r) => r.messageId)}::text[], ${hashes}::bytea[]) WITH ORDINALITY AS v(provider_id, hash, n)
      JOIN notify_messages m ON m.provider_ids IS NOT NULL AND m.provider_ids @> ARRAY[v.provider_id] AND (v.hash IS NULL OR m.destination_hash = v.hash)
      ORDER BY v.n, m.id DESC`.execute(trx);
    const matched: Array<string | undefined> = receipts.map(() => undefined);
    for (const r of byId) matched[Number(r.n) - 1] = String(r.id);
    // Our reference and the recipient: 16 bits are few, but a number gets few sends, and the newest one whose
    // attempt started before the SMSC says it was submitted is the one.
    const byReference = receipts.flatMap((r, i) => (matched[i] === undefined && r.reference !== undefined && hashes[i] ? [{ n: i + 1, reference: r.reference, hash: hashes[i]!, submitted: r.submittedAt ?? null }] : []));
    if (byReference.length > 0) {
      const { rows } = await sql<{ n: number; id: string }>`
        SELECT DISTINCT ON (v.n) v.n, m.id
        FROM unnest(${byReference.map((r) => r.n)}::int[], ${byReference.map((r) => r.reference)}::int[], ${byReference.map((r) => r.hash)}::bytea[],
                    ${byReference.map((r) => r.submitted)}::timestamptz[]) AS v(n, reference, hash, submitted)
        JOIN notify_messages m ON m.destination_hash = v.hash AND m.submit_reference = v.reference
        WHERE v.submitted IS NULL OR m.claimed_at <= v.submitted + ${`${SUBMIT_SKEW_MS} milliseconds`}::interval
        ORDER BY v.n, m.id DESC`.execute(trx);
      for (const r of rows) matched[Number(r.n) - 1] = String(r.id);
    }
    const owners = [...new Set(matched.filter((m): m is string => m !== undefined))].sort((a, b) => Number(a) - Number(b));
    // The rows are locked before the insert: its foreign key takes a share lock on them, and two receipts of one
    // message each holding that and then asking for the row (settleFromReceipts) would deadlock.
    const attempts = new Map<string, number>();
    if (owners.length) {
      const { rows } = await sql<{ id: string; attempts: number }>`SELECT id, attempts FROM notify_messages WHERE id = ANY(${owners}::bigint[]) ORDER BY id FOR UPDATE`.execute(trx);
      for (const r of rows) attempts.set(String(r.id), r.attempts);
    }
    await trx
      .insertInto('notify_receipts')
      .values(
        receipts.map((r, i) => ({
          provider_id: r.messageId,
          message_id: matched[i] ?? null,
          attempt: matched[i] === undefined ? null : (attempts.get(matched[i]!) ?? null),
          reference: r.reference ?? null,
          state: r.state,
          final: r.final,
          error_code: r.errorCode ?? null,
          recipient_hash: hashes[i] ?? null,
          submitted_at: r.submittedAt ?? null,
          done_at: r.doneAt ?? null,
        })),
      )
      .execute();
    // An 'unknown' send with a receipt now: the SMSC accepted it. Others (sent, delivered) just count parts.
    const decided = new Set(await decideByReceipts(trx, owners));
    await settleFromReceipts(trx, owners.filter((o) => !decided.has(o)));
    return matched;
  });
}

export async function recordReceipt(db: Kysely<Database>, receipt: DeliveryReceipt): Promise<{ messageId: string | undefined }> {
  return { messageId: (await recordReceipts(db, [receipt]))[0] };
}

/** Group commit for receipts: add() resolves when the receipt is written (then, and only then, it is acknowledged). */
export class ReceiptWriter {
  #queue: Array<{ receipt: DeliveryReceipt; done: () => void; fail: (e: unknown) => void }> = [];
  #running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (e: unknown, count: number) => void,
    private readonly maxGroup = 500,
  ) {}

  add(receipt: DeliveryReceipt): Promise<void> {
    return new Promise((done, fail) => {
      this.#queue.push({ receipt, done, fail });
      this.#running ??= this.#drain();
    });
  }

  async flushed(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    // Let a burst gather before the first write.
    await new Promise((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, this.maxGroup);
      try {
        await recordReceipts(this.db, group.map((g) => g.receipt));
        for (const g of group) g.done();
      } catch {
        // One bad receipt (or a lost connection) must not take its whole group down: one by one, once more.
        for (const g of group) {
          await recordReceipts(this.db, [g.receipt]).then(g.done, (e: unknown) => {
            this.onError(e, 1);
            g.fail(e);
          });
        }
      }
    }
    this.#running = undefined;
  }
}
