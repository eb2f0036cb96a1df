/**
 * SMS delivery receipts, recorded as they arrive against the message whose SMSC id they name. A receipt for an
 * id we have not stored yet (it raced our commit, or the sending process died before committing) is kept
 * unmatched: markSent() adopts the first kind, lapsed.ts the second.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { DeliveryReceipt } from '../sms/gateway.ts';
import { receiptRecipientHash } from './destination.ts';
import { lockProviderIds, settleFromReceipts } from './rows.ts';

export async function recordReceipt(db: Kysely<Database>, receipt: DeliveryReceipt): Promise<{ messageId: string | undefined }> {
  const recipientHash = receiptRecipientHash(receipt.recipient);
  return db.transaction().execute(async (trx) => {
    await lockProviderIds(trx, [receipt.messageId]);
    // SMSC ids are unique per SMSC, not forever: the newest message with that id and this recipient wins.
    const { rows } = await sql<{ id: string }>`
      SELECT id FROM notify_messages
      WHERE provider_ids @> ARRAY[${receipt.messageId}]::text[]
        AND (${recipientHash}::bytea IS NULL OR destination_hash = ${recipientHash}::bytea)
      ORDER BY id DESC LIMIT 1
      -- Before the insert: its foreign key takes a share lock on the row, and two receipts of one message
      -- each holding that and then asking for the row (settleFromReceipts) would deadlock.
      FOR UPDATE`.execute(trx);
    const messageId = rows[0] ? String(rows[0].id) : undefined;
    await trx
      .insertInto('notify_receipts')
      .values({
        provider_id: receipt.messageId,
        message_id: messageId ?? null,
        state: receipt.state,
        final: receipt.final,
        error_code: receipt.errorCode ?? null,
        recipient_hash: recipientHash,
        submitted_at: receipt.submittedAt ?? null,
        done_at: receipt.doneAt ?? null,
      })
      .execute();
    if (messageId) await settleFromReceipts(trx, messageId);
    return { messageId };
  });
}
