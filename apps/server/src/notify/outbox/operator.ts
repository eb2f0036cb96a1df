/** What an operator sees and may do: counts per channel and state, the dead letters, and a retry. */
import { sql, type Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import type { Database } from '../../store/schema.ts';
import { MESSAGE_STATES, type MessageState, type NotifyChannel } from '../tables.ts';

export interface OutboxStatus {
  /** Messages per channel and state (every state listed, zeros included). */
  readonly counts: Record<NotifyChannel, Record<MessageState, number>>;
  /** Reminders (certificate × channel × threshold) ever created. */
  readonly reminders: number;
  readonly oldestDuePending: Date | undefined;
  /** Why messages were skipped or failed, with how many. */
  readonly reasons: ReadonlyArray<{ channel: NotifyChannel; state: MessageState; code: string; count: number }>;
  /** The most recent dead letters, for a first look (masked destinations only). */
  readonly recentFailures: ReadonlyArray<{ id: string; channel: NotifyChannel; destination: string | null; code: string | null; error: string | null; attempts: number; at: Date }>;
}

export async function outboxStatus(db: Kysely<Database>, now = new Date()): Promise<OutboxStatus> {
  const empty = () => Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0])) as Record<MessageState, number>;
  const counts: Record<NotifyChannel, Record<MessageState, number>> = { sms: empty(), email: empty() };
  const rows = await db.selectFrom('notify_messages').select(['channel', 'state', sql<string>`count(*)`.as('n')]).groupBy(['channel', 'state']).execute();
  for (const r of rows) counts[r.channel][r.state] = Number(r.n);
  const reminders = await db.selectFrom('notify_reminders').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const oldest = await db.selectFrom('notify_messages').select(sql<Date | null>`min(next_attempt_at)`.as('at')).where('state', '=', 'pending').where('next_attempt_at', '<=', now).executeTakeFirstOrThrow();
  const reasons = await db
    .selectFrom('notify_messages')
    .select(['channel', 'state', 'last_error_code', sql<string>`count(*)`.as('n')])
    .where('state', 'in', ['skipped', 'failed', 'undelivered'])
    .groupBy(['channel', 'state', 'last_error_code'])
    .orderBy('channel')
    .orderBy('state')
    .execute();
  const recent = await db
    .selectFrom('notify_messages')
    .select(['id', 'channel', 'destination_masked', 'last_error_code', 'last_error', 'attempts', 'updated_at'])
    .where('state', '=', 'failed')
    .orderBy('updated_at', 'desc')
    .limit(10)
    .execute();
  return {
    counts,
    reminders: Number(reminders.n),
    oldestDuePending: oldest.at ? new Date(oldest.at) : undefined,
    reasons: reasons.map((r) => ({ channel: r.channel, state: r.state, code: r.last_error_code ?? 'unknown', count: Number(r.n) })),
    recentFailures: recent.map((r) => ({ id: r.id, channel: r.channel, destination: r.destination_masked, code: r.last_error_code, error: r.last_error, attempts: r.attempts, at: r.updated_at })),
  };
}

export interface RetrySelection {
  /** These message ids (each must be failed or undelivered). */
  readonly ids?: readonly string[];
  /** Every failed message (optionally of one channel). */
  readonly allFailed?: boolean;
  readonly channel?: NotifyChannel;
}

/**
 * Moves dead letters (and undelivered SMS) back to pending with a fresh attempt budget, now. Audited per
 * message, with the operator's name. Anything else named is refused, so a typo cannot resend a sent SMS.
 */
export async function retryMessages(db: Kysely<Database>, selection: RetrySelection, actor: string, now = new Date()): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('notify_messages').select(['id', 'state', 'channel', 'last_error_code']).forUpdate();
    if (selection.ids?.length) {
      if (!selection.ids.every((id) => /^\d{1,18}$/.test(id))) throw new QtError('QT_ERR_INPUT_INVALID', 'Message ids are numbers, as `notify status` shows them');
      query = query.where('id', 'in', [...selection.ids]);
    } else if (selection.allFailed) query = query.where('state', '=', 'failed');
    else throw new QtError('QT_ERR_INPUT_INVALID', 'Name the messages to retry, or ask for all failed ones');
    if (selection.channel) query = query.where('channel', '=', selection.channel);
    const rows = await query.execute();
    const found = new Map(rows.map((r) => [String(r.id), r]));
    for (const id of selection.ids ?? []) {
      const row = found.get(id);
      if (!row) throw new QtError('QT_ERR_NOTIFY_MESSAGE_NOT_FOUND', `No reminder message has id ${id}`, { id });
      if (row.state !== 'failed' && row.state !== 'undelivered') {
        throw new QtError('QT_ERR_NOTIFY_NOT_RETRYABLE', `Message ${id} is ${row.state}; only failed or undelivered messages can be retried`, { id, state: row.state });
      }
    }
    const ids = rows.map((r) => String(r.id));
    if (ids.length === 0) return [];
    await trx
      .updateTable('notify_messages')
      .set({ state: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, updated_at: sql`now()` })
      .where('id', 'in', ids)
      .execute();
    for (const r of rows) {
      await appendAudit(trx, { actor, action: 'notify.retried', target: `notify_message:${r.id}`, details: { channel: r.channel, previousState: r.state, code: r.last_error_code } });
    }
    return ids;
  });
}
