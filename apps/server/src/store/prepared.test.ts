import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { isStalePlanError, retryOnStalePlan } from './prepared.ts';
import { describeEachBackend } from './testing/backends.ts';

type Any = Kysely<Record<string, Record<string, unknown>>>;
const any = (db: Kysely<Database>) => db as unknown as Any;

/** Names of this connection's prepared statements whose text is LIKE `like` (itself unparameterised: never prepared). */
async function prepared(db: Kysely<Database>, like: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements WHERE name LIKE 'qt\\_%' AND statement LIKE ${sql.lit(like)} ORDER BY name`.execute(db);
  return rows.map((r) => r.name);
}

// One connection (on PostgreSQL too), so every statement of a test runs where the previous ones were prepared.
describeEachBackend(
  'prepared statements (store/prepared.ts)',
  (ctx) => {
    test('a parameterised statement is run unnamed once, then prepared under a qt_ name and answered the same', async () => {
      const { db } = ctx.store;
      const run = async (n: number) => (await sql<{ once_then_named: number }>`SELECT ${n}::int + 1 AS once_then_named`.execute(db)).rows[0]?.once_then_named;
      assert.equal(await run(1), 2);
      assert.deepEqual(await prepared(db, '%once_then_named%'), []);
      assert.equal(await run(2), 3);
      assert.equal(await run(3), 4);
      assert.equal((await prepared(db, '%once_then_named%')).length, 1);
    });

    test('a statement selecting * is never prepared (its result type follows the table)', async () => {
      const { db } = ctx.store;
      await sql`CREATE TABLE star_t (id int PRIMARY KEY, v int)`.execute(db);
      await sql`INSERT INTO star_t VALUES (1, 10)`.execute(db);
      for (let i = 0; i < 3; i++) await any(db).selectFrom('star_t').selectAll().where('id', '=', 1).execute();
      assert.deepEqual(await prepared(db, '%star_t%'), []);
    });

    test('a column added by a migration while the pool is warm: named statements keep answering, select * shows the column', async () => {
      const { db } = ctx.store;
      await sql`CREATE TABLE added_t (id int PRIMARY KEY, v int)`.execute(db);
      await sql`INSERT INTO added_t VALUES (1, 10)`.execute(db);
      const named = () => any(db).selectFrom('added_t').select(['id', 'v']).where('id', '=', 1).executeTakeFirstOrThrow();
      const star = () => any(db).selectFrom('added_t').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      for (let i = 0; i < 3; i++) await Promise.all([named(), star()]);
      assert.equal((await prepared(db, '%added_t%')).length, 1);
      await sql`ALTER TABLE added_t ADD COLUMN w text NOT NULL DEFAULT 'new'`.execute(db);
      assert.deepEqual(await named(), { id: 1, v: 10 });
      assert.deepEqual(await star(), { id: 1, v: 10, w: 'new' });
      await db.transaction().execute(async (trx) => assert.deepEqual(await any(trx).selectFrom('added_t').select(['id', 'v']).where('id', '=', 1).executeTakeFirstOrThrow(), { id: 1, v: 10 }));
    });

    test('a column type changed under a prepared statement: outside a transaction the run is repeated unnamed, the stale name deallocated', async () => {
      const { db } = ctx.store;
      await sql`CREATE TABLE typed_t (id int PRIMARY KEY, v int)`.execute(db);
      await sql`INSERT INTO typed_t VALUES (1, 10)`.execute(db);
      const read = async () => (await sql<{ v: unknown }>`SELECT v FROM typed_t WHERE id = ${1}`.execute(db)).rows[0]?.v;
      for (let i = 0; i < 3; i++) assert.equal(await read(), 10);
      const [stale] = await prepared(db, '%typed_t%');
      assert.ok(stale);
      await sql`ALTER TABLE typed_t ALTER COLUMN v TYPE text`.execute(db);
      assert.equal(await read(), '10');
      // The DEALLOCATE goes before the connection's next parameterised statement.
      assert.equal(await read(), '10');
      assert.ok(!(await prepared(db, '%typed_t%')).includes(stale));
      assert.equal(await read(), '10');
      assert.equal((await prepared(db, '%typed_t%')).length, 1);
    });

    test('inside a transaction a stale plan fails that transaction once (isStalePlanError); retryOnStalePlan runs it again and it commits', async () => {
      const { db } = ctx.store;
      await sql`CREATE TABLE txn_t (id int PRIMARY KEY, v int)`.execute(db);
      await sql`INSERT INTO txn_t VALUES (1, 10)`.execute(db);
      const bump = (trx: Kysely<Database>) => sql<{ v: unknown }>`UPDATE txn_t SET id = id WHERE id = ${1} RETURNING v`.execute(trx);
      for (let i = 0; i < 3; i++) await db.transaction().execute(bump);
      await sql`ALTER TABLE txn_t ALTER COLUMN v TYPE bigint`.execute(db);
      await assert.rejects(db.transaction().execute(bump), (e) => isStalePlanError(e));
      assert.equal((await db.transaction().execute(bump)).rows[0]?.v, '10');

      await sql`ALTER TABLE txn_t ALTER COLUMN v TYPE text`.execute(db);
      for (let i = 0; i < 2; i++) await db.transaction().execute(bump);
      await sql`ALTER TABLE txn_t ALTER COLUMN v TYPE int USING v::int`.execute(db);
      let attempts = 0;
      const r = await retryOnStalePlan(() => db.transaction().execute((trx) => (attempts++, bump(trx))));
      assert.equal(attempts, 2);
      assert.equal(r.rows[0]?.v, 10);
    });

    test('an error that is not a stale plan is not retried', async () => {
      let attempts = 0;
      await assert.rejects(
        retryOnStalePlan(async () => {
          attempts++;
          throw Object.assign(new Error('feature not supported'), { code: '0A000' });
        }),
        /feature not supported/,
      );
      assert.equal(attempts, 1);
    });
  },
  { poolSize: 1 },
);

describeEachBackend(
  'prepared statements: the per-connection bound',
  (ctx) => {
    test('a connection keeps at most maxStatements prepared; the least recently used is deallocated', async () => {
      const { db } = ctx.store;
      const run = (i: number) => sql`SELECT ${i}::int AS ${sql.raw(`bound_${i}`)}`.execute(db);
      for (const i of [1, 2, 3]) for (let k = 0; k < 2; k++) await run(i);
      assert.equal((await prepared(db, '%AS bound_%')).length, 3);
      await run(1); // 1 is now the most recently used; 2 the least
      for (let k = 0; k < 2; k++) await run(4);
      await run(1); // the eviction's DEALLOCATE goes before this one
      const left = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements WHERE name LIKE 'qt\\_%' AND statement LIKE '%AS bound_%' ORDER BY statement`.execute(db);
      assert.deepEqual(
        left.rows.map((r) => /bound_(\d)/.exec(r.statement)?.[1]),
        ['1', '3', '4'],
      );
    });

    test('a statement run once is never prepared, so one-off texts take no slot', async () => {
      const { db } = ctx.store;
      for (let i = 10; i < 20; i++) await sql`SELECT ${i}::int AS ${sql.raw(`oneoff_${i}`)}`.execute(db);
      assert.deepEqual(await prepared(db, '%oneoff_%'), []);
    });
  },
  { poolSize: 1, preparedStatements: 3 },
);
