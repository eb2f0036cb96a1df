import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { isQtError } from '@qoltanba/pki';
import { openDatabase, requireCapability } from './open-database.ts';
import { describeEachBackend } from './testing/backends.ts';

describeEachBackend('openDatabase', (ctx) => {
  test('reports the backend it opened and what that backend can do', async () => {
    const { store, backend } = ctx;
    assert.equal(store.backend, backend);
    const { rows } = await store.pool.query<{ one: number }>('SELECT 1 AS one');
    assert.equal(rows[0]?.one, 1);
    const full = backend === 'postgres';
    assert.deepEqual(store.capabilities, { parallelConnections: full, listenNotify: full, sessionAdvisoryLocks: full });
  });

  test('concurrent read-modify-write transactions never lose an update', async () => {
    const { db } = ctx.store;
    await sql`CREATE TABLE counter_rmw (id int PRIMARY KEY, n int NOT NULL)`.execute(db);
    await sql`INSERT INTO counter_rmw VALUES (1, 0)`.execute(db);
    const increments = 60;
    await Promise.all(
      Array.from({ length: increments }, () =>
        db.transaction().execute(async (trx) => {
          const { rows } = await sql<{ n: number }>`SELECT n FROM counter_rmw WHERE id = 1 FOR UPDATE`.execute(trx);
          // Yield to the event loop between read and write, so other transactions get every chance to interleave.
          await new Promise((resolve) => setTimeout(resolve, 1));
          await sql`UPDATE counter_rmw SET n = ${rows[0]!.n + 1} WHERE id = 1`.execute(trx);
        }),
      ),
    );
    const { rows } = await sql<{ n: number }>`SELECT n FROM counter_rmw WHERE id = 1`.execute(db);
    assert.equal(rows[0]?.n, increments);
  });

  test('transaction-scoped advisory locks exclude concurrent transactions', async () => {
    const { db } = ctx.store;
    await sql`CREATE TABLE counter_lock (n int NOT NULL)`.execute(db);
    await sql`INSERT INTO counter_lock VALUES (0)`.execute(db);
    await Promise.all(
      Array.from({ length: 40 }, () =>
        db.transaction().execute(async (trx) => {
          await sql`SELECT pg_advisory_xact_lock(4242)`.execute(trx);
          const { rows } = await sql<{ n: number }>`SELECT n FROM counter_lock`.execute(trx);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await sql`UPDATE counter_lock SET n = ${rows[0]!.n + 1}`.execute(trx);
        }),
      ),
    );
    const { rows } = await sql<{ n: number }>`SELECT n FROM counter_lock`.execute(db);
    assert.equal(rows[0]?.n, 40);
  });

  test('concurrent queries with large parameters each get their own result', async () => {
    // 300 KB parameters span several socket reads; see open-database.ts for why this breaks a
    // multi-connection PGlite socket and how the store avoids it.
    const { db } = ctx.store;
    const big = 'x'.repeat(300_000);
    const results = await Promise.all(
      Array.from({ length: 30 }, async (_, i) =>
        i % 2
          ? (await sql<{ v: number; l: number }>`SELECT ${i}::int AS v, length(${big}::text) AS l`.execute(db)).rows[0]
          : (await sql<{ v: number }>`SELECT ${i}::int AS v`.execute(db)).rows[0],
      ),
    );
    results.forEach((row, i) => assert.equal(row?.v, i));
  });

  test('a failed transaction rolls back everything and leaves the connection usable', async () => {
    const { db } = ctx.store;
    await sql`CREATE TABLE rollback_probe (v int UNIQUE)`.execute(db);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`INSERT INTO rollback_probe VALUES (1)`.execute(trx);
        await sql`INSERT INTO rollback_probe VALUES (1)`.execute(trx);
      }),
      /duplicate key/,
    );
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM rollback_probe`.execute(db);
    assert.equal(rows[0]?.n, 0);
  });

  test('uncommitted writes are invisible to other queries until commit', async () => {
    const { db } = ctx.store;
    await sql`CREATE TABLE visibility_probe (v int)`.execute(db);
    let seenOutside: number | undefined;
    await db.transaction().execute(async (trx) => {
      await sql`INSERT INTO visibility_probe VALUES (1)`.execute(trx);
      if (ctx.store.capabilities.parallelConnections) {
        seenOutside = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM visibility_probe`.execute(db)).rows[0]?.n;
      }
    });
    if (ctx.store.capabilities.parallelConnections) assert.equal(seenOutside, 0);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM visibility_probe`.execute(db);
    assert.equal(rows[0]?.n, 1);
  });

  test('requireCapability refuses what the backend cannot do, with the reason', () => {
    const { store } = ctx;
    if (store.backend === 'postgres') {
      requireCapability(store, 'listenNotify', 'Waking the notifier');
      return;
    }
    assert.throws(
      () => requireCapability(store, 'listenNotify', 'Waking the notifier'),
      (e) => isQtError(e, 'QT_ERR_STORE_UNSUPPORTED') && /Waking the notifier needs LISTEN\/NOTIFY/.test(e.message) && /DATABASE_URL/.test(e.message),
    );
  });
});

describeEachBackend(
  'a query on db inside a db.transaction() callback',
  (ctx) => {
    test('runs on PostgreSQL, and fails with QT_ERR_STORE_BUSY on PGlite instead of hanging', async () => {
      const { db } = ctx.store;
      const nested = db.transaction().execute(async () => (await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows[0]?.one);
      if (ctx.backend === 'postgres') {
        assert.equal(await nested, 1);
      } else {
        await assert.rejects(nested, (e) => isQtError(e, 'QT_ERR_STORE_BUSY') && /on `trx`/.test(e.message));
      }
      // The store is still usable afterwards.
      assert.equal((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows[0]?.one, 1);
    });
  },
  { acquireTimeoutMs: 500, migrated: false },
);

test('an unreachable PostgreSQL fails with QT_ERR_STORE_UNAVAILABLE and no password in the message', async () => {
  await assert.rejects(
    openDatabase({ databaseUrl: 'postgres://someone:s3cret-pw@127.0.0.1:1/nowhere', dataDir: '/nonexistent', acquireTimeoutMs: 2000 }),
    (e) => isQtError(e, 'QT_ERR_STORE_UNAVAILABLE') && /127\.0\.0\.1:1\/nowhere/.test(e.message) && !e.message.includes('s3cret-pw'),
  );
});
