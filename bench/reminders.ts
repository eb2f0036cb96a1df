/**
 * Expiry-reminder benchmark (PostgreSQL on 127.0.0.1:5432, a throwaway database per size):
 *  1. Finding due reminders among 1 M and 10 M certificates: the first scan of a day (every threshold's whole
 *     window: SMS 10 days, e-mail 30/14/7), then a repeat scan the same day (resumes from the cursor), with
 *     the plan PostgreSQL chose for one keyset page (EXPLAIN ANALYZE).
 *  2. Reminder SMS per second end to end through the outbox (claim, registry lookup, destination, submit,
 *     mark sent, receipts) to a real SMPP server in another process, against a plain gateway loop.
 * Sizes: BENCH_REMINDER_SIZES=1000000,10000000 (default); SMS count: BENCH_REMINDER_SMS=5000.
 * Data: people with an AUTH + SIGN pair each, expiries spread over 760 days from 30 days ago, 2 % revoked,
 * 3 % re-issued (a newer pair a year later) — the shapes the scan's filters have to deal with.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { migrate, openDatabase, type Store } from '../apps/server/src/store/index.ts';
import { createSmsGateway } from '../apps/server/src/notify/config.ts';
import { silentLog } from '../apps/server/src/notify/log.ts';
import { Notifier } from '../apps/server/src/notify/notifier.ts';
import { resolveNotifySettings } from '../apps/server/src/notify/settings.ts';
import { ReceiptingSmsc } from '../apps/server/src/notify/testing/receipting-smsc.ts';
import { millis, perSecond, printTable, timed, type BenchRow } from './lib/table.ts';

const SIZES = (process.env.BENCH_REMINDER_SIZES ?? '1000000,10000000').split(',').map(Number);
const SMS_COUNT = Number(process.env.BENCH_REMINDER_SMS ?? 5000);
const admin = { host: process.env.PGHOST || '127.0.0.1', port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER || 'postgres', database: 'postgres' };

if (process.argv[2] === '--serve-smsc') {
  const smsc = await ReceiptingSmsc.start({ receiptDelayMs: 50 });
  process.send?.({ port: smsc.port });
  process.on('message', (m) => {
    if (m === 'count') process.send?.({ received: smsc.received.length, destinations: smsc.countsByDestination().size });
  });
}

export async function run(): Promise<void> {
  for (const size of SIZES) {
    const rows: BenchRow[] = [];
    const plans: string[] = [];
    await withBenchDatabase(async (store) => {
      const made = await timed(() => generate(store, size));
      rows.push({ what: `${fmt(made.value)} certificates generated (${fmt(size / 2)} people)`, ours: millis(made.ms), note: 'INSERT … SELECT generate_series, indexes rebuilt' });
      const notifier = new Notifier({ db: store.db, settings: resolveNotifySettings({ scanPageSize: 5000 }, { publicUrl: 'https://qoltanba.kz', env: {} }), sms: undefined, mail: undefined, log: silentLog });
      const first = await timed(() => notifier.scan());
      const s = first.value;
      const created = Object.values(s.sms.created).reduce((a, b) => a + b, 0) + Object.values(s.email.created).reduce((a, b) => a + b, 0);
      const examined = Object.values(s.sms.examined).reduce((a, b) => a + b, 0) + Object.values(s.email.examined).reduce((a, b) => a + b, 0);
      rows.push({
        what: `${fmt(size)}: first scan of the day`,
        ours: millis(first.ms),
        note: `${fmt(examined)} certificates in the windows, ${fmt(created)} reminders in ${fmt(s.sms.messages + s.email.messages)} messages, ${s.sms.pages + s.email.pages} pages`,
      });
      const again = await timed(() => notifier.scan());
      rows.push({ what: `${fmt(size)}: repeat scan the same day`, ours: millis(again.ms), note: `${again.value.sms.messages + again.value.email.messages} new messages` });
      // A whole-window rescan with every reminder already there (what the next day's first scan costs
      // before its new day of expiries): the anti-join on notify_reminders does the work.
      await sql`UPDATE notify_scan_cursors SET window_end = 'epoch'`.execute(store.db);
      const rescan = await timed(() => notifier.scan());
      rows.push({ what: `${fmt(size)}: whole windows again, all reminded`, ours: millis(rescan.ms), note: `${rescan.value.sms.messages + rescan.value.email.messages} new messages` });
      plans.push(`### ${fmt(size)} certificates: one keyset page (SMS, 10 days, 5000 rows)\n\n\`\`\`\n${await pagePlan(store)}\n\`\`\``);
      if (size === SIZES[0]) rows.push(...(await smsThroughput(store)));
    });
    // Printed per size, so a long 10 M run that is stopped still leaves the 1 M figures.
    printTable(`Expiry reminders, ${fmt(size)} certificates: finding due reminders (PostgreSQL)${size === SIZES[0] ? ' and SMS through the outbox' : ''}`, rows);
    process.stdout.write('\n' + plans.join('\n\n') + '\n');
  }
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(n % 1e6 ? 1 : 0)} M` : n >= 1e4 ? `${Math.round(n / 1e3)} k` : String(n);
}

async function withBenchDatabase(fn: (store: Store) => Promise<void>): Promise<void> {
  const name = `qoltanba_bench_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client(admin);
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-bench-rem-'));
  const store = await openDatabase({ databaseUrl: `postgres://${admin.user}@${admin.host}:${admin.port}/${name}`, dataDir });
  try {
    await migrate(store.db);
    await fn(store);
  } finally {
    await store.close();
    const c = new pg.Client(admin);
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `size` certificates: AUTH + SIGN per person, 2 % revoked, 3 % with a newer pair. Returns the row count. */
async function generate(store: Store, size: number): Promise<number> {
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
           LATERAL (SELECT date_trunc('second', now()) - interval '30 days' + make_interval(secs => ((i / 2)::bigint * 7919) % (760 * 86400)) AS e) AS x`).execute(conn);
    // The re-issued: a newer pair, a year after the old one.
    await sql.raw(`
      INSERT INTO certificates (ca_id, serial, der, kind, profile, subject_iin, subject_dn, spki_sha256, not_before, not_after, storage)
      SELECT 1, to_hex(${people * 2} + i + 1), '\\x00', CASE WHEN i % 2 = 0 THEN 'AUTH' ELSE 'SIGN' END, 'individual', lpad(((i / 2) * 33)::text, 12, '0'), 'CN=X',
             decode(md5((${people * 2} + i)::text) || md5((-i - 1)::text), 'hex'), e, e + interval '365 days', 'file'
      FROM generate_series(0, ${reissued * 2 - 1}) AS i,
           LATERAL (SELECT date_trunc('second', now()) - interval '30 days' + make_interval(secs => (((i / 2) * 33)::bigint * 7919) % (760 * 86400)) AS e) AS x`).execute(conn);
    await sql`SET session_replication_role = DEFAULT`.execute(conn);
    for (const ix of indexes) await sql.raw(ix.def).execute(conn);
    await sql`ANALYZE certificates`.execute(conn);
  });
  return people * 2 + reissued * 2;
}

/** EXPLAIN ANALYZE of the scan's page query with the parameters of a first SMS page. */
async function pagePlan(store: Store): Promise<string> {
  const { rows } = await sql<{ 'QUERY PLAN': string }>`
    EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
    WITH cand AS (
      SELECT c.id, c.subject_iin, c.subject_bin, c.kind, c.not_after FROM certificates c
      WHERE c.status = 'good' AND c.not_after >= now() AND c.not_after < now() + interval '10 days'
        AND (c.not_after, c.id) > (now(), -1)
      ORDER BY c.not_after, c.id LIMIT 5000)
    , done AS MATERIALIZED (SELECT r.certificate_id FROM notify_reminders r
                            WHERE r.certificate_id = ANY(ARRAY(SELECT id FROM cand)) AND r.channel = 'sms' AND r.threshold_days = 10)
    SELECT cand.* FROM cand
    WHERE cand.id NOT IN (SELECT certificate_id FROM done)
      AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.subject_iin = cand.subject_iin AND n.not_after > cand.not_after
                        AND n.kind = cand.kind AND n.status = 'good' AND n.subject_bin IS NOT DISTINCT FROM cand.subject_bin)`.execute(store.db);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
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
      await notifier.stop();
      await sms.close();
      rows.push({
        what: `reminder SMS through the outbox, ${concurrency} in flight`,
        ours: perSecond(t.value.delivery.sent, t.ms),
        note: `${t.value.delivery.sent} two-part UCS-2 SMS (${t.value.delivery.sent * 2} submit_sm) in ${millis(t.ms)}; receipts recorded meanwhile`,
      });
    }
    const sms = createSmsGateway({ type: 'smpp', host: '127.0.0.1', port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba', window: 10 }, { production: false });
    let next = 0;
    const bare = await timed(async () => {
      const worker = async () => {
        while (next < SMS_COUNT) {
          next++;
          await sms.send({ to: '+77011234567', text: 'Сіздің ЭЦҚ кілттеріңіздің мерзімі аяқталады / истекает срок ключей ЭЦП: qoltanba.kz — проверка пропускной способности' });
        }
      };
      await Promise.all(Array.from({ length: 20 }, worker));
    });
    await sms.close();
    rows.push({ what: 'same two-part SMS, bare gateway (no database)', ours: perSecond(SMS_COUNT, bare.ms), note: 'window 10: the transport ceiling for comparison' });
    return rows;
  } finally {
    child.kill();
  }
}
