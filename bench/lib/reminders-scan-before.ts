/**
 * BASELINE ONLY — the due-reminder scan exactly as it was on main before issue 17 (commit f3c5424), kept so that
 * bench/reminders.ts measures it beside today's on the same data in the same run (on the schema it was written
 * for: migrations up to 0012). Not used by the server. Below, the original text unchanged except imports.
 */
/**
 * Finds due reminders and writes them to the outbox, in the same transaction that finds them.
 *
 * When is a reminder due? A certificate's expiry day is counted in local time (Asia/Almaty); its reminder
 * for threshold T becomes due at `sendFromHour` local time, T days before that day. So on each day at that
 * hour, the certificates expiring T days later become due — whole days at once, never at night, and a
 * person's AUTH and SIGN certificates (issued together) always in the same scan.
 *
 * Windows. For each channel the thresholds are exclusive: threshold T covers the expiry instants
 * [bound(T_next), bound(T)) where bound(T) is the end of the expiry day that is due now, and T_next is the
 * next smaller threshold (or "now"). A certificate first seen 5 days before expiry thus gets the 7-day
 * e-mail only — not the 30-, 14- and 7-day ones at once.
 *
 * Cost. The first scan of a day reads the threshold's whole window (T − T_next days of expiries: ~270 k
 * of 10 M certificates for the 10-day SMS) through the partial covering index certificates_live_by_expiry,
 * in keyset pages of `pageSize` (not_after, id), each page its own short transaction (PGlite has one
 * connection shared with the web server); the anti-join on notify_reminders skips what already has its
 * reminder. Later scans that day resume from the page cursor and read nothing. Re-reading the window daily
 * is what catches a certificate that entered it behind the cursor (released from hold). The cursor is an
 * optimisation: the primary key of notify_reminders (certificate, channel, threshold) is what makes a
 * repeated look harmless, and the cursor row's lock serialises scanners on several nodes.
 *
 * Supersession: a certificate for which the same person holds a newer valid certificate of the same kind
 * (same IIN, same BIN or none; later not_after) is skipped — re-issued people get no reminder. One index
 * probe per candidate (certificates_by_iin).
 *
 * A certificate that enters its window behind today's cursor gets its reminder with the next day's scan.
 */
import { sql, type Kysely } from 'kysely';
import type PgBoss from 'pg-boss';
import { bossDb } from '../../apps/server/src/store/boss.ts';
import type { Database } from '../../apps/server/src/store/schema.ts';
import type { NotifyChannel } from '../../apps/server/src/notify/tables.ts';

export interface ScanOptions {
  readonly channel: NotifyChannel;
  /** Days before expiry, any order. */
  readonly thresholdsDays: readonly number[];
  readonly now: Date;
  readonly timeZone: string;
  readonly sendFromHour: number;
  readonly pageSize: number;
  /** When given, a delivery job is sent in each transaction that created messages. */
  readonly wake?: { boss: PgBoss; queue: string } | undefined;
}

export interface ScanResult {
  readonly channel: NotifyChannel;
  /** Certificates looked at (live ones in the windows), per threshold. */
  readonly examined: Record<number, number>;
  /** Reminders created (one per certificate), per threshold. */
  readonly created: Record<number, number>;
  /** New messages (a person's certificates expiring the same day share one). */
  readonly messages: number;
  readonly pages: number;
}

interface PageOutcome {
  seen: number;
  created: number;
  messages: number;
  lastAt: Date | null;
  lastId: string | null;
}

export async function scanDueReminders(db: Kysely<Database>, o: ScanOptions): Promise<ScanResult> {
  const thresholds = [...new Set(o.thresholdsDays)].sort((a, b) => b - a);
  const result: { -readonly [K in keyof ScanResult]: ScanResult[K] } = { channel: o.channel, examined: {}, created: {}, messages: 0, pages: 0 };
  const bounds = await dueBounds(db, o, thresholds);
  for (const [i, t] of thresholds.entries()) {
    const hi = bounds.get(t)!;
    const next = thresholds[i + 1];
    const lo = new Date(Math.max(o.now.getTime(), next === undefined ? 0 : bounds.get(next)!.getTime()));
    result.examined[t] = 0;
    result.created[t] = 0;
    if (lo >= hi) continue;
    for (;;) {
      const page = await db.transaction().execute(async (trx) => {
        const cursor = await lockCursor(trx, o.channel, t);
        // Resume after the cursor within the same day's window; a new day looks at the whole window again.
        // Never below the window: what lies below belongs to a smaller threshold.
        const sameDay = cursor.windowEnd.getTime() === hi.getTime();
        const from = sameDay && (cursor.at > lo || (cursor.at.getTime() === lo.getTime() && Number(cursor.id) >= 0)) ? cursor : { at: lo, id: '-1' };
        if (from.at >= hi) return undefined;
        const outcome = await scanPage(trx, o, t, from, lo, hi);
        const done = outcome.seen < o.pageSize;
        // A short page means the window is exhausted: the cursor jumps to its end ((hi, 0) < every row at hi).
        const to = done ? { at: hi, id: '0' } : { at: outcome.lastAt!, id: outcome.lastId! };
        await trx
          .updateTable('notify_scan_cursors')
          .set({ window_end: hi, scanned_to: to.at, scanned_to_id: to.id, updated_at: sql`now()` })
          .where('channel', '=', o.channel)
          .where('threshold_days', '=', t)
          .execute();
        if (outcome.messages > 0 && o.wake) await o.wake.boss.send(o.wake.queue, {}, { db: bossDb(trx) });
        return { ...outcome, done };
      });
      if (!page) break;
      result.pages++;
      result.examined[t] += page.seen;
      result.created[t] += page.created;
      result.messages += page.messages;
      if (page.done) break;
    }
  }
  return result;
}

/** For each threshold, the exclusive upper bound of the expiry instants that are due at `now`. */
async function dueBounds(db: Kysely<Database>, o: ScanOptions, thresholds: number[]): Promise<Map<number, Date>> {
  const { rows } = await sql<{ t: number; bound: Date }>`
    SELECT t, ((date_trunc('day', (${o.now}::timestamptz AT TIME ZONE ${o.timeZone}) - make_interval(hours => ${o.sendFromHour}))
               + make_interval(days => t + 1)) AT TIME ZONE ${o.timeZone}) AS bound
    FROM unnest(${thresholds}::int[]) AS t`.execute(db);
  return new Map(rows.map((r) => [Number(r.t), new Date(r.bound)]));
}

async function lockCursor(trx: Kysely<Database>, channel: NotifyChannel, t: number): Promise<{ at: Date; id: string; windowEnd: Date }> {
  await trx
    .insertInto('notify_scan_cursors')
    .values({ channel, threshold_days: t, window_end: new Date(0), scanned_to: new Date(0), scanned_to_id: 0 })
    .onConflict((oc) => oc.columns(['channel', 'threshold_days']).doNothing())
    .execute();
  const row = await trx
    .selectFrom('notify_scan_cursors')
    .select(['window_end', 'scanned_to', 'scanned_to_id'])
    .where('channel', '=', channel)
    .where('threshold_days', '=', t)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return { at: row.scanned_to, id: row.scanned_to_id, windowEnd: row.window_end };
}

/** One keyset page: candidates → live and not superseded → messages (grouped) → reminders. One statement. */
async function scanPage(trx: Kysely<Database>, o: ScanOptions, t: number, from: { at: Date; id: string }, lo: Date, hi: Date): Promise<PageOutcome> {
  const { rows } = await sql<{ seen: string; created: string; messages: string; last_at: Date | null; last_id: string | null }>`
    WITH cand AS (
      SELECT c.id, c.subject_iin, c.subject_bin, c.kind, c.not_after
      FROM certificates c
      WHERE c.status = 'good'
        AND c.not_after >= ${from.at}::timestamptz AND c.not_after < ${hi}::timestamptz
        AND (c.not_after, c.id) > (${from.at}::timestamptz, ${from.id}::bigint)
      ORDER BY c.not_after, c.id
      LIMIT ${o.pageSize}
    ),
    -- Which of the page already have this reminder: one probe of the primary key with the page's ids. (As a
    -- NOT EXISTS anti-join, stale statistics on the fast-growing reminders table once made PostgreSQL scan it
    -- whole for every candidate: 15 s per page at 10 M certificates.)
    done AS MATERIALIZED (
      SELECT r.certificate_id FROM notify_reminders r
      WHERE r.certificate_id = ANY(ARRAY(SELECT id FROM cand)) AND r.channel = ${o.channel} AND r.threshold_days = ${t}::int
    ),
    live AS (
      SELECT cand.*, cand.subject_iin || '|' || ${t}::int || '|' || to_char(cand.not_after AT TIME ZONE ${o.timeZone}, 'YYYY-MM-DD') AS group_key
      FROM cand
      WHERE cand.subject_iin IS NOT NULL
        AND cand.not_after >= ${lo}::timestamptz
        AND cand.id NOT IN (SELECT certificate_id FROM done)
        AND NOT EXISTS (
          SELECT 1 FROM certificates n
          WHERE n.subject_iin = cand.subject_iin AND n.not_after > cand.not_after
            AND n.kind = cand.kind AND n.status = 'good' AND n.subject_bin IS NOT DISTINCT FROM cand.subject_bin)
    ),
    msgs AS (
      INSERT INTO notify_messages (channel, iin, threshold_days, group_key, expires_at, next_attempt_at)
      SELECT ${o.channel}, subject_iin, ${t}::int, group_key, min(not_after), ${o.now}::timestamptz
      FROM live GROUP BY subject_iin, group_key
      -- The person's other certificate of that day may have come in the previous page: join its message.
      ON CONFLICT (channel, group_key) WHERE state = 'pending'
      DO UPDATE SET expires_at = least(notify_messages.expires_at, excluded.expires_at), updated_at = now()
      RETURNING id, group_key, (xmax = 0) AS inserted
    ),
    ins AS (
      INSERT INTO notify_reminders (certificate_id, channel, threshold_days, message_id, kind)
      SELECT live.id, ${o.channel}, ${t}::int, msgs.id, live.kind FROM live JOIN msgs USING (group_key)
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM cand) AS seen,
           (SELECT count(*) FROM ins) AS created,
           (SELECT count(*) FROM msgs WHERE inserted) AS messages,
           (SELECT not_after FROM cand ORDER BY not_after DESC, id DESC LIMIT 1) AS last_at,
           (SELECT id FROM cand ORDER BY not_after DESC, id DESC LIMIT 1) AS last_id`.execute(trx);
  const r = rows[0]!;
  return { seen: Number(r.seen), created: Number(r.created), messages: Number(r.messages), lastAt: r.last_at ? new Date(r.last_at) : null, lastId: r.last_id === null ? null : String(r.last_id) };
}
