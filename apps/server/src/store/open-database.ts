/**
 * Opens the database: PostgreSQL when a URL is given, otherwise embedded PGlite served on a local socket,
 * so one `pg` + Kysely + pg-boss code path runs on both.
 *
 * Facts about PGlite 0.5.14 (PostgreSQL 18.6 in WASM) behind @electric-sql/pglite-socket 0.2.17, measured
 * by experiment and kept proven by pglite-socket-facts.test.ts (several connections, the setup avoided
 * here), open-database.test.ts, embedded-postgres.test.ts and boss.test.ts:
 *  - PGlite is ONE backend. Every socket connection reports the same pg_backend_pid(); SET, session
 *    advisory locks, LISTEN registrations and the unnamed prepared statement/portal are shared by all.
 *  - The socket server's multiplexer queues wire messages. Inside an explicit BEGIN…COMMIT it runs only
 *    the owning connection's messages, so whole transactions are serialised and never interleave
 *    (200 concurrent read-modify-write transactions over 10 connections lost no update).
 *  - OUTSIDE explicit transactions it interleaves extended-protocol messages (Parse/Bind/Execute/Sync) of
 *    different connections whenever a query spans more than one socket read: 27 of 100 concurrent queries
 *    carrying 300 KB parameters failed with `bind message supplies 2 parameters, but prepared statement ""
 *    requires 1`; with equal parameter counts a query would silently get another query's rows. Small
 *    queries escape only because PGlite happens to run a whole batch within one event-loop turn.
 *  - Session advisory locks do not exclude (A holds pg_advisory_lock(42); B's pg_try_advisory_lock(42)
 *    returns true). Transaction-scoped pg_advisory_xact_lock is sound, transactions being serialised.
 *  - LISTEN/NOTIFY: a notification is delivered to whichever connection runs the next query (LISTEN on
 *    A, NOTIFY from B: B got it, A never did).
 *  - pg-boss 10 starts, creates its schema (~0.1 s) and sends, fetches, completes and works jobs through a
 *    single connection: its SQL is single statements or BEGIN…COMMIT strings sent as one simple query.
 * So on PGlite the socket accepts exactly one connection and the pool holds exactly one client that it
 * never closes; pg-boss shares that pool (boss.ts) instead of opening its own. A second client is refused
 * by the socket server (pg reports EPIPE or a terminated connection). The price is that a transaction
 * blocks every other query until it ends (PGlite would serialise them anyway), and that a query issued
 * on `db` inside a `db.transaction()` callback waits for the very connection the transaction holds:
 * instead of hanging it fails after `acquireTimeoutMs` with QT_ERR_STORE_BUSY. What PGlite cannot do is
 * stated in `capabilities`; code that needs it calls requireCapability() and fails with
 * QT_ERR_STORE_UNSUPPORTED rather than misbehaving.
 * Durability: kill -9 right after a commit loses nothing (WAL recovery on the next open), but PGlite runs
 * with fsync=off, so an OS crash or power loss can lose or corrupt recent writes: a CA's production data
 * belongs on PostgreSQL. First start runs initdb (~6 s on 2 cores); later opens take ~0.3 s.
 *
 * On PostgreSQL the pool holds `poolSize` (default 10) clients, all capabilities are present, and
 * nothing assumes a single process: migrations and audit appends serialise through the database.
 */
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import pg from 'pg';
import { QtError } from '@qoltanba/pki';
import { EMBEDDED_PORT, startEmbeddedPostgres } from './embedded-postgres.ts';
import { DEFAULT_MAX_PREPARED_STATEMENTS, preparingClient } from './prepared.ts';
import type { Database } from './schema.ts';

export type Backend = 'postgres' | 'pglite';

export interface StoreCapabilities {
  /** Several connections work independently (PGlite: one connection only). */
  readonly parallelConnections: boolean;
  /** LISTEN/NOTIFY reaches the listening connection. */
  readonly listenNotify: boolean;
  /** pg_advisory_lock excludes other connections (use pg_advisory_xact_lock, which works on both). */
  readonly sessionAdvisoryLocks: boolean;
}

export interface StoreLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface OpenDatabaseOptions {
  /** postgres://… ; without it the embedded database in `dataDir` is used. */
  databaseUrl?: string | undefined;
  dataDir: string;
  log?: StoreLog | undefined;
  /** PostgreSQL pool size (PGlite always uses one connection). */
  poolSize?: number | undefined;
  /** How long a query waits for a free connection before failing with QT_ERR_STORE_BUSY. */
  acquireTimeoutMs?: number | undefined;
  /**
   * Parameterised statements kept prepared per connection (prepared.ts; default 100); 0 sends every statement
   * unnamed, as before issue 16's second issuance round.
   */
  preparedStatements?: number | undefined;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  /** Where the pool connects. For PGlite this names the socket, which admits no second client. */
  readonly connectionString: string;
  readonly backend: Backend;
  readonly capabilities: StoreCapabilities;
  close(): Promise<void>;
}

export const DEFAULT_POOL_SIZE = 10;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Store> {
  const acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      connectionTimeoutMillis: acquireTimeoutMs,
      application_name: 'qoltanba',
    });
    const where = describeUrl(options.databaseUrl);
    return finishOpening({ pool, backend: 'postgres', connectionString: options.databaseUrl, where, log: options.log, acquireTimeoutMs, preparedStatements: options.preparedStatements });
  }

  const embedded = await startEmbeddedPostgres(options.dataDir);
  const pool = new pg.Pool({
    host: embedded.socketDir,
    port: EMBEDDED_PORT,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    // The one connection must stay: if the pool closed it while idle, any local process could take the slot.
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: acquireTimeoutMs,
    application_name: 'qoltanba',
  });
  const connectionString = `postgres://postgres@localhost:${EMBEDDED_PORT}/postgres?host=${encodeURIComponent(embedded.socketDir)}`;
  try {
    return await finishOpening({
      pool,
      backend: 'pglite',
      connectionString,
      where: `embedded database in ${options.dataDir}`,
      log: options.log,
      acquireTimeoutMs,
      preparedStatements: options.preparedStatements,
      afterPoolEnd: () => embedded.stop(),
    });
  } catch (e) {
    await embedded.stop();
    throw e;
  }
}

interface Opening {
  pool: pg.Pool;
  backend: Backend;
  connectionString: string;
  where: string;
  log: StoreLog | undefined;
  acquireTimeoutMs: number;
  preparedStatements: number | undefined;
  afterPoolEnd?: () => Promise<void>;
}

async function finishOpening(o: Opening): Promise<Store> {
  // Without a listener, an error on an idle client (server restart, network cut) would crash the process.
  o.pool.on('error', (e) => o.log?.warn(`database connection lost (${o.where}): ${e.message}`));
  // pg-pool listens only on idle clients. One that dies while checked out (a transaction waiting on the
  // signer when PostgreSQL restarts) would emit an unhandled 'error' and crash the process; with this
  // listener its pending or next query fails instead (→ QT_ERR_STORE_UNAVAILABLE) and the pool drops it
  // on release. Proven by api/pg-restart.test.ts.
  o.pool.on('connect', (client) => client.on('error', (e) => o.log?.warn(`database connection lost while in use (${o.where}): ${e.message}`)));
  try {
    await o.pool.query('SELECT 1');
  } catch (e) {
    await o.pool.end().catch(() => undefined);
    throw new QtError('QT_ERR_STORE_UNAVAILABLE', `The database cannot be reached (${o.where}): ${(e as Error).message}`, { where: o.where }, { cause: e });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: explainBusyPool(o.pool, o.backend, o.acquireTimeoutMs, o.preparedStatements ?? DEFAULT_MAX_PREPARED_STATEMENTS) }) });
  o.log?.info(`database: ${o.where} (${o.backend}, ${o.backend === 'pglite' ? 1 : o.pool.options.max} connection(s))`);
  let closing: Promise<void> | undefined;
  return {
    db,
    pool: o.pool,
    connectionString: o.connectionString,
    backend: o.backend,
    capabilities: capabilitiesOf(o.backend),
    close: () =>
      (closing ??= (async () => {
        try {
          await db.destroy(); // ends the pool
        } finally {
          await o.afterPoolEnd?.();
        }
      })()),
  };
}

function capabilitiesOf(backend: Backend): StoreCapabilities {
  const full = backend === 'postgres';
  return { parallelConnections: full, listenNotify: full, sessionAdvisoryLocks: full };
}

const capabilityWords: Record<keyof StoreCapabilities, string> = {
  parallelConnections: 'several independent database connections',
  listenNotify: 'LISTEN/NOTIFY',
  sessionAdvisoryLocks: 'session-level advisory locks',
};

/** Fails at once, with the reason, when `purpose` needs something the backend cannot do. */
export function requireCapability(store: Pick<Store, 'backend' | 'capabilities'>, capability: keyof StoreCapabilities, purpose: string): void {
  if (store.capabilities[capability]) return;
  throw new QtError(
    'QT_ERR_STORE_UNSUPPORTED',
    `${purpose} needs ${capabilityWords[capability]}, which the embedded database (PGlite, one shared backend) cannot provide; set DATABASE_URL to use PostgreSQL`,
    { capability, backend: store.backend },
  );
}

/**
 * pg-pool reports a wait for a free client as a bare "timeout exceeded when trying to connect". The client comes
 * back naming its parameterised statements (prepared.ts).
 */
function explainBusyPool(pool: pg.Pool, backend: Backend, timeoutMs: number, maxStatements: number): PostgresPool {
  return {
    connect: async () => {
      try {
        return preparingClient(await pool.connect(), { maxStatements });
      } catch (e) {
        if (e instanceof Error && /timeout exceeded when trying to connect/i.test(e.message)) {
          const why =
            backend === 'pglite'
              ? 'the embedded database has one connection and a transaction is holding it; a query made on `db` inside a `db.transaction()` callback (instead of on `trx`) can never run'
              : 'every pooled connection stayed busy';
          throw new QtError('QT_ERR_STORE_BUSY', `No database connection became free within ${timeoutMs} ms: ${why}`, { backend, timeoutMs }, { cause: e });
        }
        throw e;
      }
    },
    end: () => pool.end(),
  };
}

/** host:port/db of a URL, never its password, for messages and logs. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL at ${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL is not a valid URL)';
  }
}
