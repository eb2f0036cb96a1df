import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { isQtError } from '@qoltanba/pki';
import { openDatabase, type Store } from '../store/open-database.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { appendAudit } from './append.ts';
import { GENESIS_HASH, rowHash } from './canonical.ts';
import { verifyAudit } from './verify.ts';

async function headSeq(store: Pick<Store, 'db'>): Promise<number> {
  const head = await store.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow();
  return Number(head.seq);
}

describeEachBackend('appendAudit', (ctx) => {
  test('appended rows form a chain from the genesis hash that verifies', async () => {
    const { db } = ctx.store;
    const entries = [
      { actor: 'operator:aigul', action: 'ca.created', target: 'ca:issuing', details: { subject: 'CN=ҚОЛТАҢБА ISSUING CA, C=KZ' } },
      { actor: 'citizen:880101300123', action: 'application.submitted', details: { kind: 'issue', storage: 'file', nested: { z: 1, a: [1.5, 'two', null] } } },
      { actor: 'system:ra', action: 'certificate.issued', target: 'certificate:issuing/7f3a', details: { serial: '7f3a', big: 1e21, small: 5e-324, emoji: '😀' } },
    ];
    for (const entry of entries) await appendAudit(db, entry);
    const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    assert.deepEqual(rows.map((r) => r.seq), ['1', '2', '3']);
    assert.deepEqual(rows[0]!.prev_hash, GENESIS_HASH);
    rows.forEach((row, i) => {
      if (i > 0) assert.deepEqual(row.prev_hash, rows[i - 1]!.hash);
      // Recomputed from what the database hands back (jsonb reorders keys; numbers pass through numeric).
      assert.deepEqual(rowHash(row.prev_hash, { ...row, seq: row.seq }), row.hash);
    });
    assert.deepEqual(rows[2]!.details, entries[2]!.details);
    assert.deepEqual(await verifyAudit(db), { ok: true, rows: 3, headSeq: 3, problems: [] });
  });

  test("an entry is part of the caller's transaction: rolled back, it never happened and no seq is lost", async () => {
    const { db } = ctx.store;
    const before = await headSeq(ctx.store);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await appendAudit(trx, { actor: 'system:ra', action: 'certificate.revoked', details: { serial: 'dead' } });
        throw new Error('signing failed');
      }),
      /signing failed/,
    );
    assert.equal(await headSeq(ctx.store), before);
    await appendAudit(db, { actor: 'system:ra', action: 'certificate.revoked', details: { serial: 'beef' } });
    const last = await db.selectFrom('audit_log').select(['seq', 'details']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual(last, { seq: String(before + 1), details: { serial: 'beef' } });
    assert.equal((await verifyAudit(db)).ok, true);
  });

  test('entries are sealed at commit, consecutively and in the order they were appended', async () => {
    const { db } = ctx.store;
    const before = await headSeq(ctx.store);
    await db.transaction().execute(async (trx) => {
      for (const step of ['first', 'second', 'third']) await appendAudit(trx, { actor: 'system:ra', action: 'batch.step', details: { step } });
      // Not sealed yet: the chain only ever holds committed entries.
      assert.equal(await headSeq({ db: trx }), before);
    });
    const sealed = await db.selectFrom('audit_log').select(['seq', 'details']).where('seq', '>', String(before)).orderBy('seq').execute();
    assert.deepEqual(sealed, [
      { seq: String(before + 1), details: { step: 'first' } },
      { seq: String(before + 2), details: { step: 'second' } },
      { seq: String(before + 3), details: { step: 'third' } },
    ]);
    const pending = await db.selectFrom('audit_pending').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(pending.n, '0');
  });

  test('concurrent appenders on several connections keep the chain gapless and valid', async () => {
    // On PostgreSQL a second store stands in for a second process; PGlite has one owner and one connection.
    const stores = [ctx.store];
    if (ctx.backend === 'postgres') stores.push(await openDatabase(ctx.database.openOptions));
    try {
      const before = await headSeq(ctx.store);
      await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          stores[i % stores.length]!.db.transaction().execute(async (trx) => {
            await appendAudit(trx, { actor: `system:worker-${i % 7}`, action: 'load.test', details: { i } });
            // Work after the append, as real transactions have: the chain must not care.
            await sql`SELECT pg_sleep(0.001)`.execute(trx);
          }),
        ),
      );
      const rows = await ctx.store.db.selectFrom('audit_log').select(['seq', 'details']).where('seq', '>', String(before)).orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => Number(r.seq)), Array.from({ length: 120 }, (_, i) => before + 1 + i));
      assert.equal(new Set(rows.map((r) => r.details.i)).size, 120);
      const verification = await verifyAudit(ctx.store.db);
      assert.deepEqual(verification.problems, []);
      assert.equal(verification.headSeq, before + 120);
    } finally {
      await Promise.all(stores.slice(1).map((s) => s.close()));
    }
  });

  test('a refused secret writes nothing', async () => {
    const before = await headSeq(ctx.store);
    await assert.rejects(
      appendAudit(ctx.store.db, { actor: 'citizen:880101300123', action: 'key.generated', details: { keyPassword: 'Qwerty123' } }),
      (e) => isQtError(e, 'QT_ERR_AUDIT_SECRET_REFUSED') && !e.message.includes('Qwerty123'),
    );
    assert.equal(await headSeq(ctx.store), before);
  });

  test('the application cannot update, delete or truncate audit rows', async () => {
    const { db } = ctx.store;
    await assert.rejects(sql`UPDATE audit_log SET actor = 'someone:else' WHERE seq = 1`.execute(db), /append-only \(UPDATE refused\)/);
    await assert.rejects(sql`DELETE FROM audit_log WHERE seq = 1`.execute(db), /append-only \(DELETE refused\)/);
    await assert.rejects(sql`TRUNCATE audit_log`.execute(db), /append-only \(TRUNCATE refused\)/);
  });

  test('throughput: appends per second standalone, one per transaction, and ten per transaction', async (t) => {
    const { db } = ctx.store;
    const concurrency = ctx.backend === 'postgres' ? 10 : 1;
    const entry = (i: number) => ({
      actor: 'system:ca',
      action: 'certificate.issued',
      target: `certificate:issuing/${i.toString(16)}`,
      details: { serial: i.toString(16), iin: '880101300123', kind: 'SIGN', profile: 'individual-sign' },
    });
    for (const perTransaction of [0, 1, 10]) {
      const total = 1000;
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total) {
            const first = next;
            // 0: standalone appends, each its own single-statement transaction.
            if (perTransaction === 0) {
              next += 1;
              await appendAudit(db, entry(first));
              continue;
            }
            next += perTransaction;
            await db.transaction().execute(async (trx) => {
              for (let i = first; i < first + perTransaction; i++) await appendAudit(trx, entry(i));
            });
          }
        }),
      );
      const perSecond = Math.round(total / ((performance.now() - started) / 1000));
      const shape = perTransaction === 0 ? 'standalone (autocommit)' : `${perTransaction} per transaction`;
      t.diagnostic(`${ctx.backend}: ${perSecond} appends/s, ${shape}, ${concurrency} concurrent`);
      assert.ok(perSecond > 100, `${perSecond} appends/s is far too slow`);
    }
    assert.equal((await verifyAudit(db)).ok, true);
  });
});
