import assert from 'node:assert/strict';
import { test } from 'node:test';
import type PgBoss from 'pg-boss';
import { bossDb, createBoss, createQueueExclusively, startBoss } from './boss.ts';
import { openDatabase } from './open-database.ts';
import { createTestDatabase, describeEachBackend } from './testing/backends.ts';

describeEachBackend('pg-boss on the store', (ctx) => {
  let boss: PgBoss;

  test('starts and creates its schema through the store connection', async () => {
    boss = createBoss(ctx.store);
    boss.on('error', (e) => assert.fail(e));
    await boss.start();
    const { rows } = await ctx.store.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'pgboss'`);
    assert.ok(rows[0]!.n > 0);
  });

  test('sends, fetches and completes a job', async () => {
    await boss.createQueue('round-trip');
    const id = await boss.send('round-trip', { certificate: 'a1b2' });
    assert.ok(id);
    const [job, ...more] = await boss.fetch<{ certificate: string }>('round-trip');
    assert.equal(more.length, 0);
    assert.equal(job?.id, id);
    assert.deepEqual(job?.data, { certificate: 'a1b2' });
    await boss.complete('round-trip', id, { sent: true });
    const done = await boss.getJobById('round-trip', id);
    assert.equal(done?.state, 'completed');
    assert.deepEqual(done?.output, { sent: true });
    assert.deepEqual(await boss.fetch('round-trip'), []);
  });

  test('a worker is handed a job sent after it started', async () => {
    await boss.createQueue('worked');
    const received = new Promise<unknown>((resolve) => {
      void boss.work<{ n: number }>('worked', { pollingIntervalSeconds: 0.5 }, async ([job]) => resolve(job?.data));
    });
    await boss.send('worked', { n: 7 });
    assert.deepEqual(await received, { n: 7 });
    await boss.offWork('worked');
  });

  test('a job sent inside a transaction exists exactly when that transaction commits', async () => {
    await boss.createQueue('transactional');
    await assert.rejects(
      ctx.store.db.transaction().execute(async (trx) => {
        await boss.send('transactional', { attempt: 'rolled back' }, { db: bossDb(trx) });
        throw new Error('the state change failed');
      }),
      /the state change failed/,
    );
    await ctx.store.db.transaction().execute(async (trx) => {
      await boss.send('transactional', { attempt: 'committed' }, { db: bossDb(trx) });
    });
    const jobs = await boss.fetch('transactional', { batchSize: 10 });
    assert.deepEqual(jobs.map((j) => j.data), [{ attempt: 'committed' }]);
  });

  test('stops cleanly', async () => {
    await boss.stop({ graceful: true, wait: true, timeout: 5000 });
  });
});

test('PostgreSQL: four nodes starting pg-boss and creating the same queues at once on a fresh database all start (install retried, queues made under a lock)', async () => {
  const fresh = await createTestDatabase('postgres', { migrated: false });
  const stores = await Promise.all([1, 2, 3, 4].map(() => openDatabase(fresh.openOptions)));
  const bosses: PgBoss[] = [];
  try {
    const queues = ['race-a', 'race-b', 'race-c', 'race-d', 'race-e', 'race-f'];
    await Promise.all(
      stores.map(async (store, i) => {
        const boss = await startBoss(store, { supervise: false, schedule: false }, (e) => assert.fail(e));
        bosses.push(boss);
        // Each node creates them in its own order, as features register their jobs.
        const mine = [...queues.slice(i), ...queues.slice(0, i)];
        await Promise.all(mine.map((q) => createQueueExclusively(store.db, q, {})));
      }),
    );
    const { rows } = await stores[0]!.pool.query<{ name: string }>(`SELECT name FROM pgboss.queue ORDER BY name`);
    assert.deepEqual(rows.map((r) => r.name), queues);
  } finally {
    await Promise.all(bosses.map((b) => b.stop({ graceful: false, wait: true })));
    await Promise.all(stores.map((s) => s.close()));
    await fresh.dispose();
  }
});
