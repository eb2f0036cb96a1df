/**
 * What the CA's administrator sees and may do (`qoltanba notify status|retry`): counts per channel and state, the
 * dead letters, the sends whose outcome is unknown (the person may have none) and those sent again without
 * evidence (the person may have two), and a retry — which is also how the administrator decides an unknown one:
 * send it again, or record it as sent.
 */
import { sql, type Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import type { Database } from '../../store/schema.ts';
import { MESSAGE_STATES, type MessageState, type NotifyChannel, type UncertainResolution } from '../tables.ts';

export interface OutboxStatus {
  /** Messages per channel and state (every state listed, zeros included). */
  readonly counts: Record<NotifyChannel, Record<MessageState, number>>;
  /** Reminders (certificate × channel × threshold) ever created: the certificates the messages cover. */
  readonly reminders: number;
  readonly oldestDuePending: Date | undefined;
  /** Why messages were skipped or failed, with how many. */
  readonly reasons: ReadonlyArray<{ channel: NotifyChannel; state: MessageState; code: string; count: number }>;
  /** The most recent dead letters, for a first look (masked destinations only). */
  readonly recentFailures: ReadonlyArray<{ id: string; channel: NotifyChannel; destination: string | null; code: string | null; error: string | null; attempts: number; at: Date }>;
  /**
   * Sends whose outcome is unknown (oldest first, up to 100): on the wire when the worker died or the connection
   * dropped, and no evidence from the SMSC yet. A receipt still decides one by itself; `notify retry` decides.
   */
  readonly unknown: ReadonlyArray<{ id: string; channel: NotifyChannel; destination: string | null; reference: number | null; code: string | null; error: string | null; since: Date }>;
  /** How many sends whose outcome was hidden were decided, and how (tables.ts UncertainResolution). */
  readonly resolutions: ReadonlyArray<{ channel: NotifyChannel; resolution: UncertainResolution; count: number }>;
  /** Sent again for want of evidence (notify.uncorrelatedSends at-least-once): the person may have it twice (newest first, up to 100). */
  readonly possiblyTwice: ReadonlyArray<{ id: string; channel: NotifyChannel; destination: string | null; state: MessageState; at: Date }>;
}

export async function outboxStatus(db: Kysely<Database>, now = new Date()): Promise<OutboxStatus> {
  const empty = () => Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0])) as Record<MessageState, number>;
  const counts: Record<NotifyChannel, Record<MessageState, number>> = { sms: empty(), email: empty() };
  const rows = await db.selectFrom('notify_messages').select(['channel', 'state', sql<string>`count(*)`.as('n')]).groupBy(['channel', 'state']).execute();
  for (const r of rows) counts[r.channel][r.state] = Number(r.n);
  const reminders = await db.selectFrom('notify_messages').select(sql<string>`coalesce(sum(cardinality(certificate_ids)), 0)`.as('n')).executeTakeFirstOrThrow();
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
  const unknown = await db
    .selectFrom('notify_messages')
    .select(['id', 'channel', 'destination_masked', 'submit_reference', 'last_error_code', 'last_error', 'updated_at'])
    .where('state', '=', 'unknown')
    .orderBy('updated_at')
    .limit(100)
    .execute();
  const resolutions = await db
    .selectFrom('notify_messages')
    .select(['channel', 'uncertain_resolution', sql<string>`count(*)`.as('n')])
    .where('uncertain_resolution', 'is not', null)
    .groupBy(['channel', 'uncertain_resolution'])
    .orderBy('channel')
    .execute();
  const twice = await db
    .selectFrom('notify_messages')
    .select(['id', 'channel', 'destination_masked', 'state', 'updated_at'])
    .where('uncertain_resolution', '=', 'resent')
    .orderBy('updated_at', 'desc')
    .limit(100)
    .execute();
  return {
    counts,
    unknown: unknown.map((r) => ({ id: r.id, channel: r.channel, destination: r.destination_masked, reference: r.submit_reference, code: r.last_error_code, error: r.last_error, since: r.updated_at })),
    resolutions: resolutions.map((r) => ({ channel: r.channel, resolution: r.uncertain_resolution!, count: Number(r.n) })),
    possiblyTwice: twice.map((r) => ({ id: r.id, channel: r.channel, destination: r.destination_masked, state: r.state, at: r.updated_at })),
    reminders: Number(reminders.n),
    oldestDuePending: oldest.at ? new Date(oldest.at) : undefined,
    reasons: reasons.map((r) => ({ channel: r.channel, state: r.state, code: r.last_error_code ?? 'unknown', count: Number(r.n) })),
    recentFailures: recent.map((r) => ({ id: r.id, channel: r.channel, destination: r.destination_masked, code: r.last_error_code, error: r.last_error, attempts: r.attempts, at: r.updated_at })),
  };
}

export interface RetrySelection {
  /** These message ids (each must be failed, undelivered or unknown). */
  readonly ids?: readonly string[];
  /** Every failed message (optionally of one channel). */
  readonly allFailed?: boolean;
  /** Every message whose outcome is unknown (optionally of one channel). */
  readonly allUnknown?: boolean;
  readonly channel?: NotifyChannel;
  /**
   * For unknown ones only: the operator has seen (in the SMSC's records) that it went out — record it as sent
   * and send nothing. Without it, they are sent again.
   */
  readonly asSent?: boolean;
}

/**
 * Moves dead letters (and undelivered SMS) back to pending with a fresh attempt budget, now, and decides unknown
 * ones: sent again (pending) or, with `asSent`, recorded as sent. Audited per message, with the operator's name.
 * Anything else named is refused, so a typo cannot resend a sent SMS.
 */
export async function retryMessages(db: Kysely<Database>, selection: RetrySelection, actor: string, now = new Date()): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('notify_messages').select(['id', 'state', 'channel', 'last_error_code']).forUpdate();
    if (selection.ids?.length) {
      if (!selection.ids.every((id) => /^\d{1,18}$/.test(id))) throw new QtError('QT_ERR_INPUT_INVALID', 'Message ids are numbers, as `notify status` shows them');
      query = query.where('id', 'in', [...selection.ids]);
    } else if (selection.allFailed || selection.allUnknown) {
      query = query.where('state', 'in', [...(selection.allFailed ? ['failed' as const] : []), ...(selection.allUnknown ? ['unknown' as const] : [])]);
    } else throw new QtError('QT_ERR_INPUT_INVALID', 'Name the messages to retry, or ask for all failed (or all unknown) ones');
    if (selection.channel) query = query.where('channel', '=', selection.channel);
    const rows = await query.execute();
    const found = new Map(rows.map((r) => [String(r.id), r]));
    const allowed: readonly MessageState[] = selection.asSent ? ['unknown'] : ['failed', 'undelivered', 'unknown'];
    for (const id of selection.ids ?? []) {
      const row = found.get(id);
      if (!row) throw new QtError('QT_ERR_NOTIFY_MESSAGE_NOT_FOUND', `No reminder message has id ${id}`, { id });
      if (!allowed.includes(row.state)) {
        throw new QtError(
          'QT_ERR_NOTIFY_NOT_RETRYABLE',
          selection.asSent ? `Message ${id} is ${row.state}; only a message whose outcome is unknown can be recorded as sent` : `Message ${id} is ${row.state}; only failed, undelivered or unknown messages can be retried`,
          { id, state: row.state },
        );
      }
    }
    const chosen = rows.filter((r) => allowed.includes(r.state));
    const ids = chosen.map((r) => String(r.id));
    if (ids.length === 0) return [];
    if (selection.asSent) {
      await trx
        .updateTable('notify_messages')
        .set({ state: 'sent', uncertain_resolution: 'operator-sent', sent_at: sql`coalesce(sent_at, claimed_at)`, updated_at: sql`now()` })
        .where('id', 'in', ids)
        .execute();
    } else {
      const unknown = chosen.filter((r) => r.state === 'unknown').map((r) => String(r.id));
      if (unknown.length) await trx.updateTable('notify_messages').set({ uncertain_resolution: 'operator-resent' }).where('id', 'in', unknown).execute();
      await trx
        .updateTable('notify_messages')
        .set({ state: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, updated_at: sql`now()` })
        .where('id', 'in', ids)
        .execute();
    }
    for (const r of chosen) {
      await appendAudit(trx, {
        actor,
        action: selection.asSent ? 'notify.decided_sent' : 'notify.retried',
        target: `notify_message:${r.id}`,
        details: { channel: r.channel, previousState: r.state, code: r.last_error_code },
      });
    }
    return ids;
  });
}
