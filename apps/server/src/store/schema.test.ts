import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { describeEachBackend } from './testing/backends.ts';
import { setStatusAudited } from '../audit/testing/certificate-status.ts';

const DAY = 86_400_000;

async function addCa(db: Kysely<Database>, name: string): Promise<number> {
  const { id } = await db
    .insertInto('cas')
    .values({
      name,
      kind: 'root',
      subject_dn: `CN=${name}`,
      certificate: randomBytes(64),
      subject_key_id: randomBytes(20),
      key_uri: `soft:${name}`,
      not_before: new Date(),
      not_after: new Date(Date.now() + 3650 * DAY),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

async function addCertificate(db: Kysely<Database>, caId: number, serial: string, overrides: { iin?: string; notAfter?: Date } = {}) {
  return db
    .insertInto('certificates')
    .values({
      ca_id: caId,
      serial,
      der: randomBytes(32),
      kind: 'SIGN',
      profile: 'individual-sign',
      subject_iin: overrides.iin ?? '880101300123',
      subject_dn: 'CN=ASANOV ASAN',
      spki_sha256: randomBytes(32),
      not_before: new Date(),
      not_after: overrides.notAfter ?? new Date(Date.now() + 365 * DAY),
      storage: 'file',
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
}

/** The plan PostgreSQL picks when sequential scans are priced out: proves an index fits the query. */
async function planOf(db: Kysely<Database>, query: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL enable_seqscan = off`.execute(trx);
    const { rows } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${sql.raw(query)}`.execute(trx);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

describeEachBackend('CA schema', (ctx) => {
  let caA: number;
  let caB: number;

  test('every CA gets its CRL numbering row when created', async () => {
    const { db } = ctx.store;
    caA = await addCa(db, 'root-a');
    caB = await addCa(db, 'root-b');
    const rows = await db.selectFrom('crl_state').select(['ca_id', 'next_crl_number']).orderBy('ca_id').execute();
    assert.deepEqual(rows, [
      { ca_id: caA, next_crl_number: '1' },
      { ca_id: caB, next_crl_number: '1' },
    ]);
  });

  test('a serial is unique per CA, not across CAs, and must be canonical positive hex', async () => {
    const { db } = ctx.store;
    await addCertificate(db, caA, '1f2e3d');
    await addCertificate(db, caB, '1f2e3d');
    await assert.rejects(addCertificate(db, caA, '1f2e3d'), /certificates_serial_unique_per_ca/);
    await assert.rejects(addCertificate(db, caA, '01f2'), /check constraint/);
    await assert.rejects(addCertificate(db, caA, '1F2E'), /check constraint/);
  });

  test('revocation fields must agree with the status', async () => {
    const { db } = ctx.store;
    // Checked on insert (a status change is refused earlier still without its audit entry: audit/README.md).
    const insert = (serial: string, status: 'revoked' | 'on_hold', reason: number | null) =>
      db
        .insertInto('certificates')
        .values({
          ca_id: caA, serial, der: randomBytes(32), kind: 'SIGN', profile: 'individual-sign', subject_iin: '880101300123', subject_dn: 'CN=ASANOV ASAN',
          spki_sha256: randomBytes(32), not_before: new Date(), not_after: new Date(Date.now() + 365 * DAY), storage: 'file',
          status, revocation_reason: reason, revoked_at: reason === null ? null : new Date(),
        })
        .execute();
    await assert.rejects(insert('aa01', 'revoked', null), /certificates_revocation_consistent/);
    await assert.rejects(insert('aa02', 'on_hold', 1), /certificates_revocation_consistent/);
    const { id } = await addCertificate(db, caA, 'aa03');
    await assert.rejects(db.updateTable('certificates').set({ status: 'revoked' }).where('id', '=', id).execute(), /needs its audit entry/);
  });

  test('every status change is recorded for delta CRLs, including a hold being lifted', async () => {
    const { db } = ctx.store;
    const { id } = await addCertificate(db, caA, 'bb02');
    const at = new Date();
    await setStatusAudited(db, [id], { status: 'on_hold', revocation_reason: 6, revoked_at: at });
    await setStatusAudited(db, [id], { status: 'good', revocation_reason: null, revoked_at: null });
    await setStatusAudited(db, [id], { status: 'revoked', revocation_reason: 1, revoked_at: at });
    const changes = await db
      .selectFrom('certificate_status_changes')
      .select(['serial', 'status', 'revocation_reason'])
      .where('certificate_id', '=', id)
      .orderBy('id')
      .execute();
    assert.deepEqual(changes, [
      { serial: 'bb02', status: 'on_hold', revocation_reason: 6 },
      { serial: 'bb02', status: 'good', revocation_reason: null },
      { serial: 'bb02', status: 'revoked', revocation_reason: 1 },
    ]);
  });

  test('a revoked certificate stays revoked, and a certificate never changes except its status', async () => {
    const { db } = ctx.store;
    const { id } = await addCertificate(db, caA, 'cc03');
    await setStatusAudited(db, [id], { status: 'revoked', revocation_reason: 4, revoked_at: new Date() });
    await assert.rejects(setStatusAudited(db, [id], { status: 'good', revocation_reason: null, revoked_at: null }), /status cannot go from revoked/);
    await assert.rejects(db.updateTable('certificates').set({ der: randomBytes(32) }).where('id', '=', id).execute(), /only its revocation status may change/);
    // Raising the reason to keyCompromise is the one change allowed after revocation.
    await setStatusAudited(db, [id], { revocation_reason: 1 });
  });

  test('applications follow their state machine and a person has one open issuance at a time', async () => {
    const { db } = ctx.store;
    await db.insertInto('subjects').values({ iin: '900202400456', surname: 'BEKOVA', given_name: 'AIGUL', phone: '+77011234567' }).execute();
    const expires = new Date(Date.now() + DAY);
    const { id } = await db.insertInto('applications').values({ kind: 'issue', iin: '900202400456', expires_at: expires }).returning('id').executeTakeFirstOrThrow();
    await assert.rejects(
      db.insertInto('applications').values({ kind: 'reissue', iin: '900202400456', expires_at: expires }).execute(),
      /applications_one_open_issuance/,
    );
    await assert.rejects(db.updateTable('applications').set({ state: 'completed' }).where('id', '=', id).execute(), /cannot go from submitted to completed/);
    for (const state of ['verified', 'approved', 'completed'] as const) {
      await db.updateTable('applications').set({ state }).where('id', '=', id).execute();
    }
    await assert.rejects(db.updateTable('applications').set({ state: 'cancelled' }).where('id', '=', id).execute(), /cannot go from completed to cancelled/);
    await assert.rejects(db.updateTable('applications').set({ iin: '880101300123' }).where('id', '=', id).execute(), /never change/);
    // Once the first is completed, a new issuance may be opened.
    await db.insertInto('applications').values({ kind: 'reissue', iin: '900202400456', expires_at: expires }).execute();
  });

  test('an idempotency key is unique per scope and its response is all-or-nothing', async () => {
    const { db } = ctx.store;
    const row = { scope: 'POST /api/v1/applications', key: 'k-1', request_hash: randomBytes(32), expires_at: new Date(Date.now() + DAY) };
    await db.insertInto('idempotency_keys').values(row).execute();
    await assert.rejects(db.insertInto('idempotency_keys').values(row).execute(), /duplicate key/);
    await db.insertInto('idempotency_keys').values({ ...row, scope: 'POST /api/v1/revocations' }).execute();
    await assert.rejects(
      db.updateTable('idempotency_keys').set({ response: '{"ok":true}' }).where('scope', '=', row.scope).where('key', '=', row.key).execute(),
      /check constraint/,
    );
  });

  test('the hot lookups can be answered from an index', async () => {
    const { db } = ctx.store;
    const plans = {
      byCaAndSerial: await planOf(db, `SELECT * FROM certificates WHERE ca_id = 1 AND serial = 'bb02'`),
      byIin: await planOf(db, `SELECT * FROM certificates WHERE subject_iin = '880101300123' ORDER BY not_after DESC`),
      expiringBetween: await planOf(db, `SELECT id FROM certificates WHERE status = 'good' AND not_after >= now() AND not_after < now() + interval '30 days'`),
      revokedForFullCrl: await planOf(db, `SELECT serial, revoked_at FROM certificates WHERE ca_id = 1 AND status <> 'good'`),
      changesForDeltaCrl: await planOf(db, `SELECT * FROM certificate_status_changes WHERE ca_id = 1 AND id > 100`),
      ocspGoingStale: await planOf(db, `SELECT ca_id, serial FROM ocsp_responses WHERE next_update < now() + interval '1 hour'`),
    };
    assert.match(plans.byCaAndSerial, /certificates_serial_unique_per_ca/);
    assert.match(plans.byIin, /certificates_by_iin/);
    assert.match(plans.expiringBetween, /certificates_live_by_expiry/);
    assert.match(plans.revokedForFullCrl, /certificates_revoked/);
    assert.match(plans.changesForDeltaCrl, /certificate_status_changes_delta/);
    assert.match(plans.ocspGoingStale, /ocsp_responses_by_next_update/);
  });
});
