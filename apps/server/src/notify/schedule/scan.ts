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
 * Cost. Each threshold keeps a cursor: everything at or below it in (not_after, id) order has been looked at.
 * The cursor survives the day, so each day's first scan reads only the day's new arrivals into the window —
 * one expiry day, ≈ 1/365 of the live certificates per threshold — as a range of the partial covering index
 * certificates_live_by_expiry, in keyset pages of `pageSize`, each page its own short transaction (PGlite has
 * one connection shared with the web server); later scans that day read nothing. The index is ordered like the
 * pages, (not_after, id), so a page reads exactly its `pageSize` entries, from the index alone (migration 0020).
 * The very first scan (or a new threshold) reads the whole window. Revoked and expired certificates are outside
 * the index's range and cost nothing however many accumulate.
 *
 * Behind the cursors. A certificate can become due behind a cursor: released from hold, no longer superseded
 * because the newer one was revoked, or issued already close to expiry (a CA near its own end caps validity).
 * The catch-up finds them from what changed — certificates and status changes numbered after the watermarks
 * (notify_scan_watermarks) — re-examining a whole day of changes at each day's first scan, so one numbered
 * before another but committed after it is still seen. The unique message group (channel, day|threshold|IIN)
 * makes a second look harmless; the cursor rows' locks serialise scanners on all nodes.
 *
 * Supersession: a certificate for which the same person holds a newer valid certificate of the same kind
 * (same IIN, same BIN or none; later not_after) is skipped — re-issued people get no reminder. One index
 * probe per candidate (certificates_by_iin).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type PgBoss from 'pg-boss';
import { bossDb } from '../../store/boss.ts';
import type { Database } from '../../store/schema.ts';
import type { NotifyChannel } from '../tables.ts';

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
  /** Certificates looked at (live ones in the windows, and those the catch-up found behind a cursor), per threshold. */
  readonly examined: Record<number, number>;
  /** Of those, found by the catch-up behind a cursor. */
  readonly caughtUp: number;
  /** Certificates given a reminder (a message of their own, or joining the person's message of that day), per threshold. */
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

interface Window {
  readonly t: number;
  readonly lo: Date;
  readonly hi: Date;
}

export async function scanDueReminders(db: Kysely<Database>, o: ScanOptions): Promise<ScanResult> {
  const thresholds = [...new Set(o.thresholdsDays)].sort((a, b) => b - a);
  const result: { -readonly [K in keyof ScanResult]: ScanResult[K] } = { channel: o.channel, examined: {}, caughtUp: 0, created: {}, messages: 0, pages: 0 };
  const bounds = await dueBounds(db, o, thresholds);
  const windows: Window[] = thresholds.map((t, i) => {
    const next = thresholds[i + 1];
    return { t, hi: bounds.get(t)!, lo: new Date(Math.max(o.now.getTime(), next === undefined ? 0 : bounds.get(next)!.getTime())) };
  });
  for (const w of windows) {
    result.examined[w.t] = 0;
    result.created[w.t] = 0;
  }
  const open = windows.filter((w) => w.lo < w.hi);
  if (open.length === 0) return result;
  await catchUp(db, o, open, result);
  // The windows have their own cursors and disjoint messages (the threshold is in the group): on PostgreSQL
  // they are read side by side; on the embedded database's one connection they take turns.
  await Promise.all(open.map((w) => scanWindow(db, o, w, result)));
  return result;
}

/** One window from its cursor to its end, a keyset page per transaction. */
async function scanWindow(db: Kysely<Database>, o: ScanOptions, w: Window, result: { -readonly [K in keyof ScanResult]: ScanResult[K] }): Promise<void> {
  for (;;) {
    const page = await db.transaction().execute(async (trx) => {
      const cursor = (await lockCursors(trx, o.channel, [w.t])).get(w.t)!;
      // Resume after the cursor — the same day or days later: what lies at or below it has been looked at.
      // Never below the window: what lies below belongs to a smaller threshold.
      const from = cursor.at > w.lo || (cursor.at.getTime() === w.lo.getTime() && Number(cursor.id) >= 0) ? cursor : { at: w.lo, id: '-1' };
      if (from.at >= w.hi) return undefined;
      const outcome = await writePage(trx, o, w, rangeCandidates(from, w, o.pageSize));
      const done = outcome.seen < o.pageSize;
      // A short page means the window is exhausted: the cursor jumps to its end ((hi, 0) < every row at hi).
      const to = done ? { at: w.hi, id: '0' } : { at: outcome.lastAt!, id: outcome.lastId! };
      await trx
        .updateTable('notify_scan_cursors')
        .set({ window_end: w.hi, scanned_to: to.at, scanned_to_id: to.id, updated_at: sql`now()` })
        .where('channel', '=', o.channel)
        .where('threshold_days', '=', w.t)
        .execute();
      if (outcome.messages > 0 && o.wake) await o.wake.boss.send(o.wake.queue, {}, { db: bossDb(trx) });
      return { ...outcome, done };
    });
    if (!page) break;
    result.pages++;
    result.examined[w.t]! += page.seen;
    result.created[w.t]! += page.created;
    result.messages += page.messages;
    if (page.done) break;
  }
}

/**
 * Certificates that became due behind a cursor since the last look: new ones (by id) and those whose person's
 * certificates of that kind changed status (by status-change id) — a hold lifted, or a newer one revoked. One
 * transaction, holding the channel's cursors so no range page moves past them meanwhile.
 */
async function catchUp(db: Kysely<Database>, o: ScanOptions, windows: readonly Window[], result: { examined: Record<number, number>; created: Record<number, number>; messages: number; caughtUp: number }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { rows: [now] } = await sql<{ certificate_id: string; change_id: string; today: string }>`
      SELECT (SELECT coalesce(max(id), 0) FROM certificates) AS certificate_id,
             (SELECT coalesce(max(id), 0) FROM certificate_status_changes) AS change_id,
             to_char((${o.now}::timestamptz AT TIME ZONE ${o.timeZone}), 'YYYY-MM-DD') AS today`.execute(trx);
    const first = await trx
      .insertInto('notify_scan_watermarks')
      .values({ channel: o.channel, recent_certificate_id: now!.certificate_id, recent_change_id: now!.change_id, day_certificate_id: now!.certificate_id, day_change_id: now!.change_id, day: now!.today })
      .onConflict((oc) => oc.column('channel').doNothing())
      .returning('channel')
      .executeTakeFirst();
    // The first scan ever reads the whole windows: nothing is behind a cursor yet.
    if (first) return;
    const mark = await trx.selectFrom('notify_scan_watermarks').selectAll().where('channel', '=', o.channel).forUpdate().executeTakeFirstOrThrow();
    const newDay = toDateString(mark.day) !== now!.today;
    const since = newDay ? { certificate: mark.day_certificate_id, change: mark.day_change_id } : { certificate: mark.recent_certificate_id, change: mark.recent_change_id };
    const cursors = await lockCursors(trx, o.channel, windows.map((w) => w.t));
    const lowest = new Date(Math.min(...windows.map((w) => w.lo.getTime())));
    const highest = new Date(Math.max(...windows.map((w) => w.hi.getTime())));
    const { rows: found } = await sql<{ id: string }>`
      SELECT c.id FROM certificates c
      WHERE c.id > ${since.certificate}::bigint AND c.id <= ${now!.certificate_id}::bigint
        AND c.status = 'good' AND c.not_after >= ${lowest} AND c.not_after < ${highest}
      UNION
      SELECT c.id
      FROM certificate_status_changes ch
      JOIN certificates x ON x.id = ch.certificate_id
      JOIN certificates c ON c.subject_iin = x.subject_iin AND c.kind = x.kind
      WHERE ch.id > ${since.change}::bigint AND ch.id <= ${now!.change_id}::bigint
        AND c.status = 'good' AND c.not_after >= ${lowest} AND c.not_after < ${highest}`.execute(trx);
    const ids = found.map((f) => f.id);
    if (ids.length > 0) {
      for (const w of windows) {
        const cursor = cursors.get(w.t)!;
        // Only what lies at or below the cursor: the range reads will see the rest.
        const outcome = await writePage(
          trx,
          o,
          w,
          sql`SELECT c.id, c.subject_iin, c.subject_bin, c.kind, c.not_after
              FROM certificates c
              WHERE c.id = ANY(${ids}::bigint[]) AND c.status = 'good'
                AND c.not_after >= ${w.lo}::timestamptz AND c.not_after < ${w.hi}::timestamptz
                AND (c.not_after, c.id) <= (${cursor.at}::timestamptz, ${cursor.id}::bigint)`,
        );
        result.examined[w.t]! += outcome.seen;
        result.caughtUp += outcome.seen;
        result.created[w.t]! += outcome.created;
        result.messages += outcome.messages;
        if (outcome.messages > 0 && o.wake) await o.wake.boss.send(o.wake.queue, {}, { db: bossDb(trx) });
      }
    }
    await trx
      .updateTable('notify_scan_watermarks')
      .set({
        recent_certificate_id: now!.certificate_id,
        recent_change_id: now!.change_id,
        ...(newDay && { day_certificate_id: now!.certificate_id, day_change_id: now!.change_id, day: now!.today }),
        updated_at: sql`now()`,
      })
      .where('channel', '=', o.channel)
      .execute();
  });
}

/** A `date` as pg (a local-midnight Date) or PGlite (a string or UTC Date) returns it, as YYYY-MM-DD. */
function toDateString(d: Date | string): string {
  if (typeof d === 'string') return d.slice(0, 10);
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

/** For each threshold, the exclusive upper bound of the expiry instants that are due at `now`. */
async function dueBounds(db: Kysely<Database>, o: ScanOptions, thresholds: number[]): Promise<Map<number, Date>> {
  const { rows } = await sql<{ t: number; bound: Date }>`
    SELECT t, ((date_trunc('day', (${o.now}::timestamptz AT TIME ZONE ${o.timeZone}) - make_interval(hours => ${o.sendFromHour}))
               + make_interval(days => t + 1)) AT TIME ZONE ${o.timeZone}) AS bound
    FROM unnest(${thresholds}::int[]) AS t`.execute(db);
  return new Map(rows.map((r) => [Number(r.t), new Date(r.bound)]));
}

/** The channel's cursor rows for these thresholds (created at the start of time when missing), locked, in threshold order. */
async function lockCursors(trx: Kysely<Database>, channel: NotifyChannel, thresholds: readonly number[]): Promise<Map<number, { at: Date; id: string; windowEnd: Date }>> {
  await trx
    .insertInto('notify_scan_cursors')
    .values(thresholds.map((t) => ({ channel, threshold_days: t, window_end: new Date(0), scanned_to: new Date(0), scanned_to_id: 0 })))
    .onConflict((oc) => oc.columns(['channel', 'threshold_days']).doNothing())
    .execute();
  const rows = await trx
    .selectFrom('notify_scan_cursors')
    .select(['threshold_days', 'window_end', 'scanned_to', 'scanned_to_id'])
    .where('channel', '=', channel)
    .where('threshold_days', 'in', [...thresholds])
    .orderBy('threshold_days')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.threshold_days, { at: r.scanned_to, id: r.scanned_to_id, windowEnd: r.window_end }]));
}

/**
 * One page: candidates (`cand`: a keyset range, or the catch-up's ids) → live and not superseded → messages, one
 * per person and expiry day, each carrying its certificates. One statement. The message's group (channel,
 * day|threshold|IIN) is the exactly-once key: a certificate whose group has a message already joins it while it
 * is pending (the person's other certificate of that day came in an earlier page), and is otherwise already
 * covered by it — so a second look at a certificate (the catch-up, a crash between pages) changes nothing.
 */
async function writePage(trx: Kysely<Database>, o: ScanOptions, w: Window, cand: RawBuilder<unknown>): Promise<PageOutcome> {
  await pageSettings(trx);
  const { rows } = await pageStatement(o, w, cand).execute(trx);
  const r = rows[0]!;
  return { seen: Number(r.seen), created: Number(r.created), messages: Number(r.messages), lastAt: r.last_at ? new Date(r.last_at) : null, lastId: r.last_id === null ? null : String(r.last_id) };
}

/**
 * For the scan's transactions only. JIT off: a page is a few thousand index probes and inserts, and at national
 * sizes the estimates of its CTEs can cross jit_above_cost — compiling would cost more than the page. Commits
 * not waiting for the WAL flush: a page lost in a server crash loses its cursor move with it (one transaction)
 * and is simply written again by the next scan; and no message of it can be sent before it is durable — the
 * worker's claim commits synchronously, and its WAL flush covers every commit before it. No hash aggregates: the
 * planner budgets an array_agg's state at 8 kB a group, so hashing a page's few thousand groups "exceeds" work_mem
 * and spills to disk (as the pairs of the previous statement did); a page sorts in memory instead.
 */
async function pageSettings(trx: Kysely<Database>): Promise<void> {
  await sql`SELECT set_config('jit', 'off', true), set_config('synchronous_commit', 'off', true), set_config('enable_hashagg', 'off', true)`.execute(trx);
}

/**
 * The page's statement. Its shape leaves the planner nothing to misjudge: the candidates are a materialised
 * keyset page; supersession is a LATERAL probe with LIMIT 1 — always one index probe of certificates_by_iin per
 * candidate, never a join strategy chosen from an estimate; the messages are grouped by a sort of the page (in
 * memory: no per-group aggregate state to spill); and the count of reminders created is read from what the
 * insert returns (each new message's certificates), not from a join of the candidates with the messages — a
 * join whose estimate once made it quadratic. Only a message that already existed (rare: a pair split across
 * pages, the catch-up) is counted from the page's rows, by a subquery over them.
 *
 * The group key is day|threshold|IIN, the expiry day first: a day's new messages of one window go to one
 * contiguous stretch of notify_messages_group (about a hundred leaf pages at 10 M), not to leaves all over it —
 * with IIN first every message dirtied a leaf of its own, each written to the WAL in full after a checkpoint.
 */
function pageStatement(o: ScanOptions, w: Window, cand: RawBuilder<unknown>) {
  const t = w.t;
  return sql<{ seen: string; created: string; messages: string; last_at: Date | null; last_id: string | null }>`
    WITH cand AS MATERIALIZED (${cand}),
    live AS MATERIALIZED (
      SELECT c.id, c.subject_iin, c.not_after,
             to_char(c.not_after AT TIME ZONE ${o.timeZone}, 'YYYY-MM-DD') || '|' || ${t}::int || '|' || c.subject_iin AS group_key
      FROM cand c
      LEFT JOIN LATERAL (
        SELECT 1 AS found FROM certificates n
        WHERE n.subject_iin = c.subject_iin AND n.not_after > c.not_after AND n.status = 'good'
          AND n.kind = c.kind AND n.subject_bin IS NOT DISTINCT FROM c.subject_bin
        LIMIT 1) AS newer ON true
      WHERE c.subject_iin IS NOT NULL AND c.not_after >= ${w.lo}::timestamptz AND newer.found IS NULL
    ),
    msgs AS (
      INSERT INTO notify_messages (channel, iin, threshold_days, group_key, expires_at, next_attempt_at, certificate_ids)
      SELECT ${o.channel}, subject_iin, ${t}::int, group_key, min(not_after), ${o.now}::timestamptz, array_agg(id ORDER BY id)
      FROM live GROUP BY subject_iin, group_key
      ON CONFLICT (channel, group_key) DO UPDATE
        SET expires_at = least(notify_messages.expires_at, excluded.expires_at),
            certificate_ids = ARRAY(SELECT DISTINCT x FROM unnest(notify_messages.certificate_ids || excluded.certificate_ids) AS x ORDER BY x),
            updated_at = now()
        WHERE notify_messages.state = 'pending' AND NOT notify_messages.certificate_ids @> excluded.certificate_ids
      RETURNING group_key, (xmax = 0) AS inserted, cardinality(certificate_ids) AS n
    )
    SELECT (SELECT count(*) FROM cand) AS seen,
           (SELECT coalesce(sum(CASE WHEN m.inserted THEN m.n ELSE (SELECT count(*) FROM live l WHERE l.group_key = m.group_key) END), 0) FROM msgs m) AS created,
           (SELECT count(*) FROM msgs WHERE inserted) AS messages,
           last.not_after AS last_at, last.id AS last_id
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (SELECT not_after, id FROM cand ORDER BY not_after DESC, id DESC LIMIT 1) AS last ON true`;
}

/**
 * For the benchmark: EXPLAIN ANALYZE of the next range page a scan at `o.now` would write for threshold `t`
 * (executed in a transaction that is rolled back, so nothing is written).
 */
export async function explainNextPage(db: Kysely<Database>, o: ScanOptions, t: number): Promise<string> {
  const thresholds = [...new Set(o.thresholdsDays)].sort((a, b) => b - a);
  const bounds = await dueBounds(db, o, thresholds);
  const next = thresholds[thresholds.indexOf(t) + 1];
  const w: Window = { t, hi: bounds.get(t)!, lo: new Date(Math.max(o.now.getTime(), next === undefined ? 0 : bounds.get(next)!.getTime())) };
  let plan = '';
  await db
    .transaction()
    .execute(async (trx) => {
      const cursor = (await lockCursors(trx, o.channel, [t])).get(t)!;
      const from = cursor.at > w.lo || (cursor.at.getTime() === w.lo.getTime() && Number(cursor.id) >= 0) ? cursor : { at: w.lo, id: '-1' };
      const statement = pageStatement(o, w, rangeCandidates(from, w, o.pageSize));
      const { rows } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement}`.execute(trx);
      plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      throw new RolledBack();
    })
    .catch((e: unknown) => {
      if (!(e instanceof RolledBack)) throw e;
    });
  return plan;
}

class RolledBack extends Error {}

/** A keyset page of the window: live certificates after `from`, below `hi`, in (not_after, id) order. */
function rangeCandidates(from: { at: Date; id: string }, w: Window, pageSize: number): RawBuilder<unknown> {
  return sql`SELECT c.id, c.subject_iin, c.subject_bin, c.kind, c.not_after
             FROM certificates c
             WHERE c.status = 'good'
               AND c.not_after >= ${from.at}::timestamptz AND c.not_after < ${w.hi}::timestamptz
               AND (c.not_after, c.id) > (${from.at}::timestamptz, ${from.id}::bigint)
             ORDER BY c.not_after, c.id
             LIMIT ${pageSize}`;
}
