/**
 * Expiry-reminder benchmark (PostgreSQL on 127.0.0.1:5432, a throwaway database per size):
 *  1. Finding due reminders among 1 M and 10 M live certificates — today's scan beside the scan as it was before
 *     issue 17 (bench/lib/reminders-scan-before.ts, on the schema it was written for), same data, same run:
 *     the cold first scan (every threshold's whole window: SMS 10 days, e-mail 30/14/7), then the steady state a
 *     national deployment runs every day — the next day's first scan, when one day's new arrivals enter each
 *     window (≈ 1/365 of the certificates per threshold) — then the steady state and the cold scan again after
 *     expired and revoked certificates have piled up (as they do, year after year), with the plan of a
 *     steady-state page before and after the pile. Each scan's wall-clock time comes with the CPU time it took
 *     (the database's backends and this process), which is what it would take on idle cores. Beside the steady
 *     state, its floor: the time PostgreSQL needs just to INSERT that day's number of message rows.
 *  2. Reminder SMS per second end to end through the outbox (claim, registry lookup, the "may reach the SMSC"
 *     record, submit, mark sent, receipts) to a real SMPP server in another process, against a plain gateway loop at
 *     SMPP windows BENCH_REMINDER_SMS_WINDOWS=1,10,50 (the adapter's ceiling).
 * Sizes: BENCH_REMINDER_SIZES=1000000,10000000 (default); SMS count: BENCH_REMINDER_SMS=5000 (0: none); expired and revoked
 * added before the last scan, as a fraction of the size: BENCH_REMINDER_PILE=0.5.
 * Data: people with an AUTH + SIGN pair each, expiries spread over the next 365 days (one-year certificates),
 * 2 % revoked, 3 % re-issued (a newer pair a year later) — the shapes the scan's filters have to deal with.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR, openDatabase, type Store } from '../apps/server/src/store/index.ts';
import { createSmsGateway } from '../apps/server/src/notify/config.ts';
import { silentLog } from '../apps/server/src/notify/log.ts';
import { Notifier } from '../apps/server/src/notify/notifier.ts';
import { explainNextPage, type ScanResult } from '../apps/server/src/notify/schedule/scan.ts';
import { resolveNotifySettings } from '../apps/server/src/notify/settings.ts';
import { ReceiptingSmsc } from '../apps/server/src/notify/testing/receipting-smsc.ts';
import { scanDueReminders as scanBefore } from './lib/reminders-scan-before.ts';
import { millis, perSecond, printTable, timed, type BenchRow } from './lib/table.ts';

const SIZES = (process.env.BENCH_REMINDER_SIZES ?? '1000000,10000000').split(',').map(Number);
const SMS_COUNT = Number(process.env.BENCH_REMINDER_SMS ?? 5000);
const SMS_WINDOWS = (process.env.BENCH_REMINDER_SMS_WINDOWS ?? '1,10,50').split(',').map(Number);
const PILE = Number(process.env.BENCH_REMINDER_PILE ?? 0.5);
const PAGE = 5000;
const DAY = 86_400_000;
const admin = { host: process.env.PGHOST || '127.0.0.1', port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER || 'postgres', database: 'postgres' };
// The schema the previous scan was written for: the migrations before issue 17's first.
const FIRST_OF_ISSUE_17 = 'notify_settle_by_evidence';

if (process.argv[2] === '--serve-smsc') {
  const smsc = await ReceiptingSmsc.start({ receiptDelayMs: 50 });
  process.send?.({ port: smsc.port });
  process.on('message', (m) => {
    if (m === 'count') process.send?.({ received: smsc.received.length, destinations: smsc.countsByDestination().size });
  });
}

type Scan = (now: Date) => Promise<ScanResult[]>;
// Day 0 at 10:30 Almaty (after the send hour) on the day of the run; day n, n days later at the same time.
let dayZero = new Date();
const day = (n: number) => new Date(dayZero.getTime() + n * DAY);
const CHANNELS = [
  { channel: 'sms' as const, thresholdsDays: [10] },
  { channel: 'email' as const, thresholdsDays: [30, 14, 7] },
];
const common = { timeZone: 'Asia/Almaty', sendFromHour: 10, pageSize: PAGE };
// Ours as the server runs it (Notifier.scan: both channels side by side); the old scan as it ran (one after the other).
const ours = (store: Store): Scan => {
  const settings = resolveNotifySettings({ smsThresholdsDays: CHANNELS[0]!.thresholdsDays, emailThresholdsDays: CHANNELS[1]!.thresholdsDays, scanPageSize: PAGE }, { publicUrl: 'https://qoltanba.kz', env: {} });
  const notifier = new Notifier({ db: store.db, settings, sms: undefined, mail: undefined, log: silentLog });
  return async (now) => {
    const r = await notifier.scan(now);
    return [r.sms, r.email];
  };
};
const before = (store: Store): Scan => async (now) => {
  const out: ScanResult[] = [];
  for (const c of CHANNELS) out.push({ ...(await scanBefore(store.db, { ...common, ...c, now })), caughtUp: 0 });
  return out;
};

function totals(results: ScanResult[]): { examined: number; created: number; messages: number; pages: number } {
  const sum = (r: Record<number, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return results.reduce((t, r) => ({ examined: t.examined + sum(r.examined), created: t.created + sum(r.created), messages: t.messages + r.messages, pages: t.pages + r.pages }), { examined: 0, created: 0, messages: 0, pages: 0 });
}

/**
 * CPU time (ms) used so far by each PostgreSQL backend serving this database (Linux /proc, the server on this
 * machine; empty elsewhere). On a shared machine the wall-clock time says how busy the neighbours were as much
 * as what a scan costs; the CPU time it took is what it would take on idle cores.
 */
async function backendCpu(store: Store): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(store.db);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // USER_HZ 100
    } catch {
      // a server on another machine, or a backend gone
    }
  }
  return out;
}

/**
 * `fn` timed, with the CPU it took: PostgreSQL's backends and this process (the scan's own work in Node). The
 * backends are sampled every 200 ms meanwhile: the pool closes a connection idle for 10 s, and a long scan's
 * finished window would otherwise take its backend's CPU time with it.
 */
async function measured<T>(store: Store, fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const pg0 = await backendCpu(store);
  const last = new Map(pg0);
  const sample = async () => {
    for (const [pid, ms] of await backendCpu(store)) last.set(pid, ms);
  };
  let sampling = Promise.resolve();
  const timer = setInterval(() => void (sampling = sampling.then(sample, () => undefined)), 200);
  const node0 = process.cpuUsage();
  const r = await timed(fn);
  clearInterval(timer);
  await sampling;
  await sample();
  // The sampler's own queries count too; they are a few milliseconds a second.
  const node = process.cpuUsage(node0);
  let pgMs = 0;
  for (const [pid, ms] of last) pgMs += ms - (pg0.get(pid) ?? 0);
  return { ...r, cpuMs: pgMs + (node.user + node.system) / 1000 };
}

function cpu(ms: number): string {
  return `${millis(ms)} CPU`;
}

/** The first scans of these days (one after the other), timed: the median, with its counts and CPU, and each day's time. */
async function days(store: Store, scan: Scan, which: number[]): Promise<{ ms: number; cpuMs: number; examined: number; created: number; messages: number; each: string }> {
  const runs: Array<{ ms: number; cpuMs: number; t: ReturnType<typeof totals> }> = [];
  for (const d of which) {
    const r = await measured(store, () => scan(new Date(dayZero.getTime() + d * DAY)));
    runs.push({ ms: r.ms, cpuMs: r.cpuMs, t: totals(r.value) });
  }
  const median = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;
  return { ms: median.ms, cpuMs: median.cpuMs, ...median.t, each: runs.map((r) => `${millis(r.ms)} (${cpu(r.cpuMs)})`).join(', ') };
}

function ratio(baseline: number, ms: number): string {
  return `×${(baseline / ms).toFixed(1)}`;
}

export async function run(): Promise<void> {
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  for (const size of SIZES) {
    const rows: BenchRow[] = [];
    const plans: string[] = [];
    await withBenchDatabase(async (store, migrateRest) => {
      const made = await timed(() => generate(store, size));
      rows.push({ what: `${fmt(made.value)} certificates generated (${fmt(size / 2)} people)`, ours: millis(made.ms), note: `INSERT … SELECT generate_series, indexes rebuilt; load average ${load()}` });
      dayZero = new Date(Math.floor((Date.now() + 5 * 3_600_000) / DAY) * DAY - 5 * 3_600_000 + 10.5 * 3_600_000);

      // The scan as it was, on its own schema: day 0 cold (twice, from an empty outbox: the faster counts — the
      // machine is shared), then three next days (the steady state: the median).
      const empty = async (tables: string) => {
        await sql.raw(`TRUNCATE ${tables}`).execute(store.db);
        await sql`VACUUM ANALYZE`.execute(store.db);
      };
      const oldColds = [];
      for (let i = 0; i < 2; i++) {
        await empty('notify_receipts, notify_reminders, notify_messages, notify_scan_cursors');
        oldColds.push(await measured(store, () => before(store)(day(0))));
      }
      const oldCold = oldColds.reduce((a, b) => (b.ms < a.ms ? b : a));
      const oldDays = await days(store, before(store), [1, 2, 3]);
      const oc = totals(oldCold.value);
      // Today's scan on the same certificates, from an empty outbox, on today's schema.
      await empty('notify_receipts, notify_reminders, notify_messages, notify_scan_cursors');
      await migrateRest();
      const colds = [];
      for (let i = 0; i < 2; i++) {
        await empty('notify_receipts, notify_messages, notify_scan_cursors, notify_scan_watermarks');
        colds.push(await measured(store, () => ours(store)(day(0))));
      }
      const cold = colds.reduce((a, b) => (b.ms < a.ms ? b : a));
      const c = totals(cold.value);
      rows.push({
        what: `${fmt(size)}: cold first scan (whole windows; the faster of 2)`,
        ours: millis(cold.ms),
        openssl: `${millis(oldCold.ms)} (${ratio(oldCold.ms, cold.ms)})`,
        note: `${fmt(c.examined)} certificates in the windows, ${fmt(c.created)} reminders in ${fmt(c.messages)} messages, ${c.pages} pages; ${cpu(cold.cpuMs)}, before ${cpu(oldCold.cpuMs)} (runs: ${colds.map((r) => millis(r.ms)).join(', ')}; before: ${fmt(oc.created)} reminders, ${fmt(oc.messages)} messages; runs: ${oldColds.map((r) => millis(r.ms)).join(', ')})`,
      });
      await sql`VACUUM ANALYZE notify_messages`.execute(store.db);
      const repeat = await timed(() => ours(store)(new Date(day(0).getTime() + 60_000)));
      rows.push({ what: `${fmt(size)}: repeat scan the same day`, ours: millis(repeat.ms), note: `${totals(repeat.value).messages} new messages` });
      plans.push(`### ${fmt(size)} certificates: a steady-state page (SMS, 10 days, the next day's new arrivals, up to ${PAGE} rows; rolled back)\n\n\`\`\`\n${await explainNextPage(store.db, { ...common, ...CHANNELS[0]!, now: day(1) }, 10)}\n\`\`\``);
      const steady = await days(store, ours(store), [1, 2, 3]);
      rows.push({
        what: `${fmt(size)}: steady state — a day's first scan (median of 3 days)`,
        ours: millis(steady.ms),
        openssl: `${millis(oldDays.ms)} (${ratio(oldDays.ms, steady.ms)})`,
        note: `${fmt(steady.examined)} new arrivals into the 4 windows, ${fmt(steady.created)} reminders in ${fmt(steady.messages)} messages; ${cpu(steady.cpuMs)}, before ${cpu(oldDays.cpuMs)} (days: ${steady.each}; before: re-reads the whole windows, ${fmt(oldDays.examined)} certificates, for ${fmt(oldDays.created)} reminders; days: ${oldDays.each})`,
      });
      // The floor under the steady state: what PostgreSQL needs just to write that many messages — the same rows
      // (a day's, under other keys) in one INSERT … SELECT … ON CONFLICT DO NOTHING on one connection, rolled back.
      const floor = await insertFloor(store, steady.messages);
      rows.push({
        what: `${fmt(size)}: floor — INSERT of a day's ${fmt(steady.messages)} messages alone`,
        ours: millis(floor.ms),
        note: `${cpu(floor.cpuMs)} (one statement on one connection, rolled back; the steady state above took ${cpu(steady.cpuMs)}, ${Math.round((100 * floor.cpuMs) / steady.cpuMs)} % of it for this)`,
      });
      const pile = await timed(() => pileUp(store, size));
      await sql`VACUUM ANALYZE`.execute(store.db);
      // The day the pile arrives, the catch-up looks at every one of its certificates (new ids, as if all issued
      // that day); the days after, they are history, as years of them are in service.
      const absorbed = await timed(() => ours(store)(day(4)));
      plans.push(`### ${fmt(size)} certificates with ${fmt(pile.value)} expired and revoked beside them: a steady-state page (SMS, 10 days, a day's new arrivals; rolled back)\n\n\`\`\`\n${await explainNextPage(store.db, { ...common, ...CHANNELS[0]!, now: day(5) }, 10)}\n\`\`\``);
      const piled = await days(store, ours(store), [5, 6, 7]);
      rows.push({
        what: `${fmt(size)}: steady state after ${fmt(pile.value)} expired and revoked piled up (median of 3 days)`,
        ours: millis(piled.ms),
        note: `${fmt(piled.examined)} new arrivals, ${fmt(piled.created)} reminders; ${cpu(piled.cpuMs)} (×${(piled.ms / steady.ms).toFixed(2)} of the steady state without the pile; days: ${piled.each}; the pile took ${millis(pile.ms)} to add; the day it came, the catch-up looked at all of it: ${millis(absorbed.ms)})`,
      });
      // The cold first scan again, over the same live certificates with the pile beside them (a deployment that
      // starts reminding after years of service, or adds a threshold): empty outbox, the faster of 2.
      const piledColds = [];
      for (let i = 0; i < 2; i++) {
        await empty('notify_receipts, notify_messages, notify_scan_cursors, notify_scan_watermarks');
        piledColds.push(await measured(store, () => ours(store)(day(0))));
      }
      const piledCold = piledColds.reduce((a, b) => (b.ms < a.ms ? b : a));
      const pc = totals(piledCold.value);
      rows.push({
        what: `${fmt(size)}: cold first scan after the pile (the faster of 2)`,
        ours: millis(piledCold.ms),
        note: `${fmt(pc.examined)} certificates in the windows, ${fmt(pc.created)} reminders in ${fmt(pc.messages)} messages; ${cpu(piledCold.cpuMs)} (×${(piledCold.ms / cold.ms).toFixed(2)} of the cold scan without the pile; runs: ${piledColds.map((r) => millis(r.ms)).join(', ')}); load average ${load()}`,
      });
      if (size === SIZES[0] && SMS_COUNT > 0) rows.push(...(await smsThroughput(store)));
    });
    // Printed per size, so a long 10 M run that is stopped still leaves the 1 M figures.
    printTable(`Expiry reminders, ${fmt(size)} certificates: finding due reminders (PostgreSQL)${size === SIZES[0] ? ' and SMS through the outbox' : ''}`, rows, process.stdout, 'before issue 17, same data, same run');
    process.stdout.write('\n' + plans.join('\n\n') + '\n');
  }
}

/**
 * What PostgreSQL needs just to insert `count` message rows like a steady day's (the last ones written, copied
 * under other keys), with every index and the exactly-once key's ON CONFLICT: wall clock and the backend's CPU.
 */
async function insertFloor(store: Store, count: number): Promise<{ ms: number; cpuMs: number }> {
  return store.db.connection().execute(async (conn) => {
    const backend = async () => {
      const { rows: [me] } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn);
      const fields = readFileSync(`/proc/${me!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    };
    await sql`BEGIN`.execute(conn);
    try {
      await sql`CREATE TEMP TABLE floor_rows ON COMMIT DROP AS
                SELECT channel, iin, threshold_days, group_key || '#floor' AS group_key, expires_at, next_attempt_at, certificate_ids
                FROM notify_messages ORDER BY id DESC LIMIT ${count}`.execute(conn);
      const cpu0 = await backend();
      const r = await timed(() =>
        sql`INSERT INTO notify_messages (channel, iin, threshold_days, group_key, expires_at, next_attempt_at, certificate_ids)
            SELECT * FROM floor_rows ON CONFLICT (channel, group_key) DO NOTHING`.execute(conn),
      );
      return { ms: r.ms, cpuMs: (await backend()) - cpu0 };
    } finally {
      await sql`ROLLBACK`.execute(conn);
    }
  });
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(n % 1e6 ? 1 : 0)} M` : n >= 1e4 ? `${Math.round(n / 1e3)} k` : String(n);
}

async function withBenchDatabase(fn: (store: Store, migrateRest: () => Promise<void>) => Promise<void>): Promise<void> {
  const name = `qoltanba_bench_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client(admin);
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-bench-rem-'));
  // The schema as it was before issue 17, for the baseline scan; the rest is applied before ours runs.
  const early = mkdtempSync(join(tmpdir(), 'qt-bench-migrations-'));
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  for (const f of files.slice(0, files.findIndex((f) => f.includes(FIRST_OF_ISSUE_17)))) cpSync(join(MIGRATIONS_DIR, f), join(early, f));
  const store = await openDatabase({ databaseUrl: `postgres://${admin.user}@${admin.host}:${admin.port}/${name}`, dataDir });
  try {
    await migrate(store.db, { directory: early });
    await fn(store, async () => void (await migrate(store.db)));
  } finally {
    await store.close();
    const c = new pg.Client(admin);
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(early, { recursive: true, force: true });
  }
}

/** `size` certificates: AUTH + SIGN per person, 2 % revoked, 3 % with a newer pair. Returns the row count. */
export async function generate(store: Store, size: number): Promise<number> {
  const db = store.db;
  await sql`INSERT INTO cas (name, kind, subject_dn, certificate, subject_key_id, not_before, not_after)
            VALUES ('bench-root', 'root', 'CN=BENCH', '\\x00', '\\x00', now() - interval '1 year', now() + interval '10 years')`.execute(db);
  // Building the indexes once after the load is far faster than maintaining them row by row.
  const { rows: indexes } = await sql<{ name: string; def: string }>`
    SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
    WHERE i.tablename = 'certificates' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`.execute(db);
  for (const ix of indexes) await sql.raw(`DROP INDEX ${ix.name}`).execute(db);
  const people = Math.floor(size / 2);
  const reissued = Math.floor(people * 0.03);
  await db.connection().execute(async (conn) => {
    // Bench database only: no FK or trigger checks per row during the bulk load.
    await sql`SET session_replication_role = replica`.execute(conn);
    await sql`SET maintenance_work_mem = '512MB'`.execute(conn);
    await sql.raw(`
      INSERT INTO certificates (ca_id, serial, der, kind, profile, subject_iin, subject_dn, spki_sha256, not_before, not_after, status, revocation_reason, revoked_at, storage)
      SELECT 1, to_hex(i + 1), '\\x00', CASE WHEN i % 2 = 0 THEN 'AUTH' ELSE 'SIGN' END, 'individual', lpad((i / 2)::text, 12, '0'), 'CN=X',
             decode(md5(i::text) || md5((-i)::text), 'hex'), e - interval '365 days', e,
             CASE WHEN (i / 2) % 50 = 0 THEN 'revoked' ELSE 'good' END,
             CASE WHEN (i / 2) % 50 = 0 THEN 0 END, CASE WHEN (i / 2) % 50 = 0 THEN now() END, 'file'
      FROM generate_series(0, ${people * 2 - 1}) AS i,
           LATERAL (SELECT date_trunc('second', now()) + make_interval(secs => 1 + ((i / 2)::bigint * 7919) % (365 * 86400)) AS e) AS x`).execute(conn);
    // The re-issued: a newer pair, a year after the old one.
    await sql.raw(`
      INSERT INTO certificates (ca_id, serial, der, kind, profile, subject_iin, subject_dn, spki_sha256, not_before, not_after, storage)
      SELECT 1, to_hex(${people * 2} + i + 1), '\\x00', CASE WHEN i % 2 = 0 THEN 'AUTH' ELSE 'SIGN' END, 'individual', lpad(((i / 2) * 33)::text, 12, '0'), 'CN=X',
             decode(md5((${people * 2} + i)::text) || md5((-i - 1)::text), 'hex'), e, e + interval '365 days', 'file'
      FROM generate_series(0, ${reissued * 2 - 1}) AS i,
           LATERAL (SELECT date_trunc('second', now()) + make_interval(secs => 1 + (((i / 2) * 33)::bigint * 7919) % (365 * 86400)) AS e) AS x`).execute(conn);
    await sql`SET session_replication_role = DEFAULT`.execute(conn);
    for (const ix of indexes) await sql.raw(ix.def).execute(conn);
    await sql`ANALYZE certificates`.execute(conn);
  });
  return people * 2 + reissued * 2;
}

/**
 * What years of service leave behind: `PILE × size` more certificates that no reminder concerns — half expired
 * (up to three years ago), half revoked before their expiry — held by the same people (their earlier pairs, so
 * the supersession probes walk past them), added with every index in place. Returns how many.
 */
export async function pileUp(store: Store, size: number): Promise<number> {
  const count = Math.floor(size * PILE / 2) * 2;
  await store.db.connection().execute(async (conn) => {
    await sql`SET session_replication_role = replica`.execute(conn);
    await sql.raw(`
      INSERT INTO certificates (ca_id, serial, der, kind, profile, subject_iin, subject_dn, spki_sha256, not_before, not_after, status, revocation_reason, revoked_at, storage)
      SELECT 1, to_hex(${size * 2} + i + 1), '\\x00', CASE WHEN i % 2 = 0 THEN 'AUTH' ELSE 'SIGN' END, 'individual', lpad(((i / 2) % ${Math.floor(size / 2)})::text, 12, '0'), 'CN=X',
             decode(md5((${size * 2} + i)::text) || md5((-i - ${size})::text), 'hex'), e - interval '365 days', e,
             CASE WHEN i % 4 < 2 THEN 'good' ELSE 'revoked' END, CASE WHEN i % 4 < 2 THEN NULL ELSE 1 END, CASE WHEN i % 4 < 2 THEN NULL ELSE now() END, 'file'
      FROM generate_series(0, ${count - 1}) AS i,
           LATERAL (SELECT CASE WHEN i % 4 < 2 THEN date_trunc('second', now()) - make_interval(secs => 1 + ((i / 4)::bigint * 7919) % (3 * 365 * 86400))
                                ELSE date_trunc('second', now()) + make_interval(secs => 1 + ((i / 4)::bigint * 7919) % (365 * 86400)) END AS e) AS x`).execute(conn);
    await sql`SET session_replication_role = DEFAULT`.execute(conn);
    await sql`ANALYZE certificates`.execute(conn);
  });
  return count;
}

/** SMS/s through the whole outbox path vs. the bare gateway, both to an SMSC in another process. */
async function smsThroughput(store: Store): Promise<BenchRow[]> {
  const db = store.db;
  // The SMS messages of the first scan get registry numbers; the rest are set aside so exactly SMS_COUNT go.
  await sql`UPDATE notify_messages SET state = 'skipped' WHERE channel = 'email' OR id NOT IN (
              SELECT id FROM notify_messages WHERE channel = 'sms' AND state = 'pending' ORDER BY id LIMIT ${SMS_COUNT})`.execute(db);
  await sql`INSERT INTO mobile_registry (iin, phone, verified, source, import_id)
            SELECT iin, '+7701' || lpad((row_number() OVER ())::text, 7, '0'), true, 'bench', gen_random_uuid()
            FROM notify_messages WHERE channel = 'sms' AND state = 'pending'`.execute(db);
  const child = fork(fileURLToPath(import.meta.url), ['--serve-smsc'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  try {
    const rows: BenchRow[] = [];
    for (const concurrency of [10, 50]) {
      if (concurrency !== 10) await sql`UPDATE notify_messages SET state = 'pending', next_attempt_at = now(), attempts = 0 WHERE channel = 'sms' AND state IN ('sent', 'delivered')`.execute(db);
      const settings = resolveNotifySettings(
        { sms: { type: 'smpp', host: '127.0.0.1', port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba', window: concurrency }, batchSize: 200, concurrency },
        { publicUrl: 'https://qoltanba.kz', env: {} },
      );
      const sms = createSmsGateway(settings.sms!, { production: false });
      const notifier = new Notifier({ db, settings, sms, mail: undefined, log: silentLog });
      const t = await timed(() => notifier.pass({ scan: false }));
      await notifier.receiptsSettled();
      await notifier.stop();
      await sms.close();
      rows.push({
        what: `reminder SMS through the outbox, ${concurrency} in flight`,
        ours: perSecond(t.value.delivery.sent, t.ms),
        note: `${t.value.delivery.sent} two-part UCS-2 SMS (${t.value.delivery.sent * 2} submit_sm) in ${millis(t.ms)}; receipts recorded meanwhile`,
      });
    }
    // The bare gateway at each SMPP window (formerly notify/sms/smpp/throughput.ts): the adapter's ceiling, the SMSC
    // answering every submit_sm at once, with a bounded number of sends open as the outbox worker keeps them.
    for (const window of SMS_WINDOWS) {
      const sms = createSmsGateway({ type: 'smpp', host: '127.0.0.1', port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba', window }, { production: false });
      let next = 0;
      const bare = await timed(async () => {
        const worker = async () => {
          while (next < SMS_COUNT) {
            next++;
            await sms.send({ to: '+77011234567', text: 'Сіздің ЭЦҚ кілттеріңіздің мерзімі аяқталады / истекает срок ключей ЭЦП: qoltanba.kz — проверка пропускной способности' });
          }
        };
        await Promise.all(Array.from({ length: window * 2 }, worker));
      });
      await sms.close();
      rows.push({ what: `same two-part SMS, bare gateway (no database), window ${window}`, ours: perSecond(SMS_COUNT, bare.ms), note: 'the transport ceiling for comparison' });
    }
    return rows;
  } finally {
    child.kill();
  }
}

if (process.argv[1] === import.meta.filename && process.argv[2] !== '--serve-smsc') await run();
