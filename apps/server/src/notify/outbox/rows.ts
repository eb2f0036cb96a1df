/**
 * The outbox's state changes, each one short transaction or statement. A claimed message is identified by
 * (id, attempts): a worker whose lease lapsed and whose message was taken over finds its later writes
 * matching no row, so two workers can never both record an outcome for the same attempt.
 */
import { sql, type Kysely } from 'kysely';
import { appendAudit } from '../../audit/index.ts';
import type { Database } from '../../store/schema.ts';
import type { KeyKind } from '../messages.ts';
import type { SendCorrelation } from '../sms/gateway.ts';
import type { NotifyChannel, NotifyLanguage, UncertainResolution } from '../tables.ts';

export interface Claimed {
  readonly id: string;
  readonly channel: NotifyChannel;
  readonly iin: string;
  readonly thresholdDays: number;
  readonly expiresAt: Date;
  readonly attempts: number;
}

/** Takes up to `limit` due pending messages: state sending, one more attempt, a lease until now + leaseMs. */
export async function claimDue(db: Kysely<Database>, o: { now: Date; leaseMs: number; limit: number; channels: readonly NotifyChannel[] }): Promise<Claimed[]> {
  if (o.channels.length === 0) return [];
  const { rows } = await sql<{ id: string; channel: NotifyChannel; iin: string; threshold_days: number; expires_at: Date; attempts: number }>`
    UPDATE notify_messages m
    SET state = 'sending', attempts = m.attempts + 1, claimed_at = ${o.now}, lease_until = ${new Date(o.now.getTime() + o.leaseMs)},
        destination_masked = NULL, destination_hash = NULL, submit_reference = NULL, parts = NULL, correlation = NULL,
        provider_ids = NULL, updated_at = now()
    WHERE m.id IN (
      SELECT id FROM notify_messages
      WHERE state = 'pending' AND next_attempt_at <= ${o.now} AND channel = ANY(${o.channels}::text[])
      ORDER BY next_attempt_at, id
      LIMIT ${o.limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING m.id, m.channel, m.iin, m.threshold_days, m.expires_at, m.attempts`.execute(db);
  return rows.map((r) => ({ id: String(r.id), channel: r.channel, iin: r.iin, thresholdDays: r.threshold_days, expiresAt: new Date(r.expires_at), attempts: r.attempts }));
}

export interface LiveCertificates {
  /** 'both' | 'auth' | 'sign', from the message's certificates that still need the reminder; undefined when none does. */
  readonly kind: KeyKind | undefined;
  readonly expiresAt: Date | undefined;
}

/**
 * Which of each message's certificates still deserve a reminder now: still good, not expired, not
 * superseded by a newer valid certificate of the same kind (the person may have re-issued since the scan).
 */
export async function liveCertificates(db: Kysely<Database>, messageIds: readonly string[], now: Date): Promise<Map<string, LiveCertificates>> {
  const out = new Map<string, LiveCertificates>(messageIds.map((id) => [id, { kind: undefined, expiresAt: undefined }]));
  if (messageIds.length === 0) return out;
  const { rows } = await sql<{ message_id: string; kinds: string[]; expires_at: Date }>`
    SELECT m.id AS message_id, array_agg(DISTINCT c.kind) AS kinds, min(c.not_after) AS expires_at
    FROM notify_messages m CROSS JOIN LATERAL unnest(m.certificate_ids) AS r(certificate_id) JOIN certificates c ON c.id = r.certificate_id
    WHERE m.id = ANY(${messageIds}::bigint[])
      AND c.status = 'good' AND c.not_after > ${now}
      AND NOT EXISTS (
        SELECT 1 FROM certificates n
        WHERE n.subject_iin = c.subject_iin AND n.not_after > c.not_after
          AND n.kind = c.kind AND n.status = 'good' AND n.subject_bin IS NOT DISTINCT FROM c.subject_bin)
    GROUP BY m.id`.execute(db);
  for (const r of rows) {
    const kinds = new Set(r.kinds);
    out.set(String(r.message_id), { kind: kinds.size > 1 ? 'both' : kinds.has('AUTH') ? 'auth' : 'sign', expiresAt: new Date(r.expires_at) });
  }
  return out;
}

export interface Destination {
  readonly id: string;
  readonly attempts: number;
  readonly masked: string;
  readonly hash: Buffer;
  readonly language: NotifyLanguage;
}

export interface Intent extends Destination {
  /** SMS parts this attempt submits (1 for e-mail). */
  readonly parts: number;
  readonly correlation: SendCorrelation;
}

/**
 * Records, for each message, that its send may reach the next hop from now on — where it goes, how many parts,
 * what evidence the transport gives, and (for SMS) the reference the SMSC will echo in receipts — in one
 * statement, right before the transport writes the first byte. Before this a lapsed lease means "certainly
 * not sent"; after it, only the SMSC's evidence decides (settle.ts). Returns, for the messages still ours (a
 * lapsed lease may have been settled meanwhile), their reference.
 */
export async function recordIntents(db: Kysely<Database>, list: readonly Intent[]): Promise<Map<string, number>> {
  if (list.length === 0) return new Map();
  const { rows } = await sql<{ id: string; submit_reference: number }>`
    UPDATE notify_messages m
    SET destination_masked = v.masked, destination_hash = v.hash, language = v.language, parts = v.parts, correlation = v.correlation,
        submit_reference = nextval('notify_submit_reference'), updated_at = now()
    FROM unnest(${list.map((d) => d.id)}::bigint[], ${list.map((d) => d.attempts)}::int[], ${list.map((d) => d.masked)}::text[],
                ${list.map((d) => d.hash)}::bytea[], ${list.map((d) => d.language)}::text[], ${list.map((d) => d.parts)}::int[],
                ${list.map((d) => d.correlation)}::text[]) AS v(id, attempts, masked, hash, language, parts, correlation)
    WHERE m.id = v.id AND m.attempts = v.attempts AND m.state = 'sending'
    RETURNING m.id, m.submit_reference`.execute(db);
  return new Map(rows.map((r) => [String(r.id), Number(r.submit_reference)]));
}

/** No destination, or nothing left to remind about: a final, visible state rather than silence. */
export async function markSkipped(db: Kysely<Database>, items: ReadonlyArray<{ id: string; attempts: number; reason: string }>): Promise<void> {
  if (items.length === 0) return;
  await sql`
    UPDATE notify_messages m
    SET state = 'skipped', lease_until = NULL, last_error_code = v.reason, last_error = NULL, updated_at = now()
    FROM unnest(${items.map((i) => i.id)}::bigint[], ${items.map((i) => i.attempts)}::int[], ${items.map((i) => i.reason)}::text[]) AS v(id, attempts, reason)
    WHERE m.id = v.id AND m.attempts = v.attempts AND m.state = 'sending'`.execute(db);
}

export interface SentRecord {
  readonly id: string;
  readonly attempts: number;
  readonly providerIds: readonly string[];
}

/**
 * The transports accepted these messages. One transaction for a group of them (each commit costs a WAL
 * flush, and per-message commits capped a 2-core machine at ~200 SMS/s). Receipts that raced ahead of this
 * commit are attached now. A message whose lease lapsed meanwhile and was settled as 'unknown' (or as "send
 * again" for want of evidence, not yet taken) is recorded all the same: this answer is the evidence it lacked.
 * Returns the ids recorded; a missing id was taken over by another worker meanwhile.
 */
export async function markSent(db: Kysely<Database>, sent: readonly SentRecord[], now: Date): Promise<Set<string>> {
  if (sent.length === 0) return new Set();
  return db.transaction().execute(async (trx) => {
    await lockProviderIds(trx, sent.flatMap((s) => s.providerIds));
    const { rows } = await sql<{ id: string }>`
      UPDATE notify_messages m
      SET state = 'sent', provider_ids = ARRAY(SELECT jsonb_array_elements_text(v.ids)), sent_at = ${now},
          uncertain_resolution = CASE WHEN m.state = 'sending' THEN m.uncertain_resolution END,
          lease_until = NULL, last_error_code = NULL, last_error = NULL, updated_at = now()
      FROM jsonb_to_recordset(${JSON.stringify(sent.map((s) => ({ id: Number(s.id), attempts: s.attempts, ids: s.providerIds })))}::jsonb)
           AS v(id bigint, attempts int, ids jsonb)
      WHERE m.id = v.id AND m.attempts = v.attempts
        -- 'unknown', or sent again for want of evidence but not yet taken: the SMSC's answer is the evidence.
        AND (m.state IN ('sending', 'unknown') OR (m.state = 'pending' AND m.uncertain_resolution IN ('resent', 'resent-same-key')))
      RETURNING m.id`.execute(trx);
    const recorded = rows.map((r) => String(r.id));
    if (recorded.length > 0) {
      // Receipts that came before this commit: those that named our reference are attached already; those that
      // named only the SMSC's id (an SMSC that does not echo references) are adopted now.
      await sql`
        UPDATE notify_receipts r SET message_id = v.id, attempt = v.attempts
        FROM (SELECT m.id, m.attempts, unnest(m.provider_ids) AS provider_id, m.destination_hash FROM notify_messages m WHERE m.id = ANY(${recorded}::bigint[])) AS v
        WHERE r.message_id IS NULL AND r.provider_id = v.provider_id
          AND (r.recipient_hash IS NULL OR r.recipient_hash = v.destination_hash)`.execute(trx);
      await settleFromReceipts(trx, recorded);
    }
    return new Set(recorded);
  });
}

/**
 * A receipt can arrive while the send that it is about is being committed. Both sides take these locks
 * first, so one of them always sees the other's row: without them, on PostgreSQL, the receipt's lookup and
 * the send's adoption of early receipts could each miss the other's uncommitted write. Taken in one order
 * (by key) everywhere, so two transactions never wait on each other in a circle.
 */
export async function lockProviderIds(trx: Kysely<Database>, providerIds: readonly string[]): Promise<void> {
  if (providerIds.length === 0) return;
  await sql`
    SELECT pg_advisory_xact_lock(${PROVIDER_LOCK_SPACE}::int, k)
    FROM (SELECT DISTINCT hashtext(x) AS k FROM unnest(${[...providerIds]}::text[]) AS x ORDER BY k OFFSET 0) AS keys`.execute(trx);
}
const PROVIDER_LOCK_SPACE = 7_245_100;

export interface FailureRecord {
  readonly code: string;
  readonly message: string;
  readonly permanent: boolean;
}

/**
 * A failed attempt: back to pending after `retryAt`, or — permanent, or out of attempts — the dead letters,
 * with the reason, audited.
 */
export async function markFailed(db: Kysely<Database>, c: Claimed, failure: FailureRecord, retryAt: Date | undefined, resolution?: UncertainResolution): Promise<'retry' | 'failed' | 'lost'> {
  return db.transaction().execute(async (trx) => {
    const dead = retryAt === undefined;
    const r = await trx
      .updateTable('notify_messages')
      .set({
        state: dead ? 'failed' : 'pending',
        next_attempt_at: retryAt ?? sql`next_attempt_at`,
        ...(resolution && { uncertain_resolution: resolution }),
        lease_until: null,
        last_error_code: failure.code,
        last_error: failure.message.slice(0, 1000),
        updated_at: sql`now()`,
      })
      .where('id', '=', c.id)
      .where('attempts', '=', c.attempts)
      .where('state', '=', 'sending')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return 'lost';
    if (dead) {
      await appendAudit(trx, {
        actor: 'notifier',
        action: 'notify.dead_lettered',
        target: `notify_message:${c.id}`,
        details: { channel: c.channel, thresholdDays: c.thresholdDays, attempts: c.attempts, code: failure.code, reason: failure.message.slice(0, 300), permanent: failure.permanent },
      });
    }
    return dead ? 'failed' : 'retry';
  });
}

/**
 * A sent SMS becomes delivered once every part has a DELIVRD receipt, undelivered as soon as one part has
 * another final state (EXPIRED, UNDELIV, REJECTD, …), with that receipt's state and error code.
 */
export async function settleFromReceipts(trx: Kysely<Database>, messageIds: readonly string[]): Promise<void> {
  const ids = [...new Set(messageIds)].sort((a, b) => Number(a) - Number(b));
  if (ids.length === 0) return;
  // The receipts of a message's parts arrive together; holding the rows makes each count see the others'.
  await sql`SELECT 1 FROM notify_messages WHERE id = ANY(${ids}::bigint[]) ORDER BY id FOR UPDATE`.execute(trx);
  await sql`
    WITH r AS (
      -- Only the current attempt's receipts count, each part once (the SMSC may send a receipt again when its
      -- acknowledgement was lost with a killed process).
      SELECT rc.message_id,
             count(DISTINCT rc.provider_id) FILTER (WHERE rc.final AND rc.state = 'DELIVRD') AS delivered,
             (array_agg(rc.state ORDER BY rc.received_at DESC, rc.id DESC) FILTER (WHERE rc.final AND rc.state <> 'DELIVRD'))[1] AS bad_state,
             (array_agg(rc.error_code ORDER BY rc.received_at DESC, rc.id DESC) FILTER (WHERE rc.final AND rc.state <> 'DELIVRD'))[1] AS bad_error,
             (array_agg(rc.error_code ORDER BY rc.received_at DESC, rc.id DESC) FILTER (WHERE rc.final))[1] AS last_error,
             max(rc.received_at) AS at,
             array_agg(DISTINCT rc.provider_id ORDER BY rc.provider_id) AS ids
      FROM notify_receipts rc JOIN notify_messages mm ON mm.id = rc.message_id
      WHERE rc.message_id = ANY(${ids}::bigint[]) AND (rc.attempt IS NULL OR rc.attempt = mm.attempts)
      GROUP BY rc.message_id
    )
    UPDATE notify_messages m
    SET state = CASE WHEN r.bad_state IS NOT NULL THEN 'undelivered'
                     WHEN r.delivered >= greatest(coalesce(m.parts, cardinality(m.provider_ids), 1), 1) THEN 'delivered'
                     ELSE m.state END,
        -- A send proven by its receipts knows its SMSC ids only from them.
        provider_ids = CASE WHEN m.uncertain_resolution = 'receipt' THEN r.ids ELSE m.provider_ids END,
        receipt_state = coalesce(r.bad_state, CASE WHEN r.delivered > 0 THEN 'DELIVRD' END, m.receipt_state),
        receipt_error = coalesce(r.bad_error, r.last_error, m.receipt_error),
        receipt_at = coalesce(r.at, m.receipt_at),
        updated_at = now()
    FROM r
    WHERE m.id = r.message_id AND m.state IN ('sent', 'delivered')`.execute(trx);
}
