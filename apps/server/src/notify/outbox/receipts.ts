/**
 * SMS delivery receipts, recorded as they arrive against the message whose SMSC id they name. A receipt for an
 * id we have not stored yet (it raced our commit, or the sending process died before committing) is kept
 * unmatched: markSent() adopts the first kind, lapsed.ts the second.
 *
 * Receipts come in bursts (one per part of every message sent), so they are written in groups: whatever
 * arrived while the previous group was being committed goes in the next transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { DeliveryReceipt } from '../sms/gateway.ts';
import { receiptRecipientHash } from './destination.ts';
import { lockProviderIds, settleFromReceipts } from './rows.ts';

/** Writes receipts (one transaction); returns the message each was matched to, in order. */
export async function recordReceipts(db: Kysely<Database>, receipts: readonly DeliveryReceipt[]): Promise<Array<string | undefined>> {
  if (receipts.length === 0) return [];
  const hashes = receipts.map((r) => receiptRecipientHash(r.recipient));
  return db.transaction().execute(async (trx) => {
    await lockProviderIds(trx, receipts.map((r) => r.messageId));
    // SMSC ids are unique per SMSC, not forever: the newest message with that id and recipient wins. The
    // rows are locked before the insert: its foreign key takes a share lock on them, and two receipts of one
    // message each holding that and then asking for the row (settleFromReceipts) would deadlock.
    const { rows } = await sql<{ n: number; id: string }>`
      SELECT DISTINCT ON (v.n) v.n, m.id
      FROM unnest(${receipts.map((r) => r.messageId)}::text[], ${hashes}::bytea[]) WITH ORDINALITY AS v(provider_id, hash, n)
      JOIN notify_messages m ON m.provider_ids @> ARRAY[v.provider_id] AND (v.hash IS NULL OR m.destination_hash = v.hash)
      ORDER BY v.n, m.id DESC`.execute(trx);
    const matched: Array<string | undefined> = receipts.map(() => undefined);
    for (const r of rows) matched[Number(r.n) - 1] = String(r.id);
    const owners = [...new Set(matched.filter((m): m is string => m !== undefined))].sort((a, b) => Number(a) - Number(b));
    if (owners.length) await sql`SELECT 1 FROM notify_messages WHERE id = ANY(${owners}::bigint[]) ORDER BY id FOR UPDATE`.execute(trx);
    await trx
      .insertInto('notify_receipts')
      .values(
        receipts.map((r, i) => ({
          provider_id: r.messageId,
          message_id: matched[i] ?? null,
          state: r.state,
          final: r.final,
          error_code: r.errorCode ?? null,
          recipient_hash: hashes[i] ?? null,
          submitted_at: r.submittedAt ?? null,
          done_at: r.doneAt ?? null,
        })),
      )
      .execute();
    await settleFromReceipts(trx, owners);
    return matched;
  });
}

export async function recordReceipt(db: Kysely<Database>, receipt: DeliveryReceipt): Promise<{ messageId: string | undefined }> {
  return { messageId: (await recordReceipts(db, [receipt]))[0] };
}

/** Group commit for receipts: add() never waits on the database; flushed() resolves when all added are written. */
export class ReceiptWriter {
  #queue: DeliveryReceipt[] = [];
  #running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (e: unknown, count: number) => void,
    private readonly maxGroup = 500,
  ) {}

  add(receipt: DeliveryReceipt): void {
    this.#queue.push(receipt);
    this.#running ??= this.#drain();
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
        await recordReceipts(this.db, group);
      } catch {
        // One bad receipt (or a lost connection) must not take its whole group down: one by one, once more.
        for (const r of group) await recordReceipts(this.db, [r]).catch((e: unknown) => this.onError(e, 1));
      }
    }
    this.#running = undefined;
  }
}
