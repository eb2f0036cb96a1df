/**
 * pg-boss on the store's own connections. pg-boss would otherwise open a second pool, which PGlite's
 * one-connection socket refuses (open-database.ts), and which on PostgreSQL would only be more
 * connections to size. Everything pg-boss sends is a single statement or a BEGIN…COMMIT string sent as
 * one simple query, so it needs no connection of its own.
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import PgBoss from 'pg-boss';
import type { Store } from './open-database.ts';
import type { Database } from './schema.ts';

/**
 * A pg-boss `db` that runs on `executor`. Pass a transaction (`bossDb(trx)`) as the `db` option of
 * send()/insert()/complete() to make the job part of that transaction: it exists exactly when the
 * state change that caused it commits.
 */
export function bossDb(executor: Pick<Kysely<Database>, 'executeQuery'> & Partial<Pick<Kysely<Database>, 'connection'>>): PgBoss.Db {
  return {
    async executeSql(text, values) {
      // A BEGIN…COMMIT string that fails half-way leaves its connection inside an aborted transaction;
      // back in the pool, every later query on it would fail (25P02). Such a string runs on one connection
      // of its own and is rolled back there when it fails.
      if (executor.connection && /^\s*BEGIN\b/i.test(text)) {
        return executor.connection().execute(async (conn) => {
          try {
            return { rows: (await conn.executeQuery(CompiledQuery.raw(text, values ?? []))).rows };
          } catch (e) {
            await conn.executeQuery(CompiledQuery.raw('ROLLBACK')).catch(() => undefined);
            throw e;
          }
        });
      }
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

/**
 * PostgreSQL's answers when two processes create the same catalog objects at once: deadlock, a unique
 * violation in a catalog (pg_namespace, pg_type), a duplicate table or object. pg-boss 10 checks whether
 * it is installed before taking its lock, so nodes starting together on a fresh database meet these (queues
 * are made under a lock of ours instead: createQueueExclusively). Each failed attempt is rolled back whole;
 * trying again finds what the other process made.
 */
const CATALOG_RACE_CODES = new Set(['40P01', '23505', '42P07', '42710']);

export function isCatalogRace(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CATALOG_RACE_CODES.has(code);
}

/** Runs `attempt` again (a few times, with a short random pause) while it loses a catalog race to another process. */
export async function retryCatalogRace<T>(attempt: () => Promise<T>, onRace: (e: unknown, tries: number) => void = () => undefined, tries = 6): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (n >= tries || !isCatalogRace(e)) throw e;
      onRace(e, n);
      await new Promise((r) => setTimeout(r, 50 * n + Math.random() * 150));
    }
  }
}

/**
 * A started pg-boss. A start that lost a catalog race is retried on a new instance: pg-boss 10 marks an
 * instance as starting before installing and never clears the mark when that fails, so the same instance
 * would not try again.
 */
export async function startBoss(store: Pick<Store, 'db'>, options: BossOptions, onError: (err: Error) => void, onRace?: (e: unknown, tries: number) => void): Promise<PgBoss> {
  return retryCatalogRace(async () => {
    const boss = createBoss(store, options);
    boss.on('error', onError);
    await boss.start();
    return boss;
  }, onRace);
}

/** pg_advisory_xact_lock key under which queues are created ("QTBQ"). */
const QUEUE_CATALOG_LOCK = 0x51544251;

/**
 * Creates a queue (pg-boss's own createQueue, then updateQueue so that a queue made by an older version gets
 * today's settings) inside one transaction that first takes a cluster-wide advisory lock. pg-boss 10 creates a
 * queue's partition (CREATE TABLE, ATTACH PARTITION) without a lock of its own: nodes creating the same queues at
 * once deadlock, and on a loaded machine they did so again on every retry (CI: six deadlocks in a row). Under the
 * lock the second node finds the queue made and changes nothing. The lock is transaction-scoped, so it also works
 * on PGlite, and a node that dies holding it releases it with its connection.
 */
export async function createQueueExclusively(db: Kysely<Database>, name: string, options: Omit<PgBoss.Queue, 'name'>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${QUEUE_CATALOG_LOCK})`.execute(trx);
    // A manager on this transaction only: pg-boss's queue functions need no started instance.
    const manager = new PgBoss({ db: bossDb(trx) });
    await manager.createQueue(name, { name, ...options });
    await manager.updateQueue(name, { name, ...options });
  });
}
