/**
 * pg-boss on the store's own connections. pg-boss would otherwise open a second pool, which PGlite's
 * one-connection socket refuses (open-database.ts), and which on PostgreSQL would only be more
 * connections to size. Everything pg-boss sends is a single statement or a BEGIN…COMMIT string sent as
 * one simple query, so it needs no connection of its own.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import PgBoss from 'pg-boss';
import type { Store } from './open-database.ts';
import type { Database } from './schema.ts';

/**
 * A pg-boss `db` that runs on `executor`. Pass a transaction (`bossDb(trx)`) as the `db` option of
 * send()/insert()/complete() to make the job part of that transaction: it exists exactly when the
 * state change that caused it commits.
 */
export function bossDb(executor: Pick<Kysely<Database>, 'executeQuery'>): PgBoss.Db {
  return {
    async executeSql(text, values) {
      const result = await executor.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows };
    },
  };
}

export type BossOptions = Omit<PgBoss.ConstructorOptions, keyof PgBoss.DatabaseOptions>;

/** A pg-boss instance (not yet started) on the store's database, in pg-boss's own `pgboss` schema. */
export function createBoss(store: Pick<Store, 'db'>, options: BossOptions = {}): PgBoss {
  return new PgBoss({ ...options, db: bossDb(store.db) });
}
