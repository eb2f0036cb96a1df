/**
 * Test harness: every store and audit test runs against both backends — a fresh PGlite in a temp dir and
 * a fresh PostgreSQL database (qoltanba_test_<random> on PGHOST:PGPORT as PGUSER, default
 * 127.0.0.1:5432 postgres, dropped afterwards). An unreachable PostgreSQL fails the suite; it is never
 * skipped, because a green run that silently tested one backend would prove half of what it claims.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate } from '../migrate.ts';
import { openDatabase, type Backend, type OpenDatabaseOptions, type Store } from '../open-database.ts';

export const BACKENDS: readonly Backend[] = ['pglite', 'postgres'];

export interface TestDatabaseOptions {
  /** Apply the migrations (default true). */
  migrated?: boolean;
  poolSize?: number;
  acquireTimeoutMs?: number;
  /** Prepared statements per connection (store/prepared.ts); the store's default unless given. */
  preparedStatements?: number;
}

export interface TestDatabase {
  readonly backend: Backend;
  readonly store: Store;
  /** How to open this same database again (after store.close()). */
  readonly openOptions: OpenDatabaseOptions;
  /** Closes the store and deletes the database. */
  dispose(): Promise<void>;
}

export async function createTestDatabase(backend: Backend, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const fresh = backend === 'pglite' ? await freshPgliteDir() : await freshPostgresDatabase();
  const { destroy } = fresh;
  const openOptions: OpenDatabaseOptions = { ...fresh.openOptions, poolSize: options.poolSize, acquireTimeoutMs: options.acquireTimeoutMs, preparedStatements: options.preparedStatements };
  let store: Store | undefined;
  try {
    store = await openDatabase(openOptions);
    if (options.migrated ?? true) await migrate(store.db);
  } catch (e) {
    await store?.close();
    await destroy();
    throw e;
  }
  const opened = store;
  return {
    backend,
    store: opened,
    openOptions,
    dispose: async () => {
      await opened.close();
      await destroy();
    },
  };
}

export interface BackendContext {
  readonly backend: Backend;
  /** The suite's database; valid inside tests and hooks. */
  readonly database: TestDatabase;
  readonly store: Store;
}

/** describe(title) with one nested describe per backend, each with its own fresh database. */
export function describeEachBackend(title: string, suite: (ctx: BackendContext) => void, options: TestDatabaseOptions = {}): void {
  describe(title, () => {
    for (const backend of BACKENDS) {
      describe(backend, () => {
        let database: TestDatabase | undefined;
        const ctx: BackendContext = {
          backend,
          get database() {
            if (!database) throw new Error(`the ${backend} test database did not open (see this suite's first test)`);
            return database;
          },
          get store() {
            return ctx.database.store;
          },
        };
        // A test rather than a before() hook: a hook failure only cancels the tests, and a run whose
        // summary says "fail 0" must never hide that PostgreSQL was not there.
        test(`a fresh ${backend} database opens`, async () => {
          database = await createTestDatabase(backend, options);
        });
        after(async () => {
          await database?.dispose();
        });
        suite(ctx);
      });
    }
  });
}

interface AdminConfig {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

function postgresAdminConfig(): AdminConfig {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER || 'postgres',
    password: process.env.PGPASSWORD,
    database: 'postgres',
  };
}

async function freshPostgresDatabase(): Promise<{ openOptions: OpenDatabaseOptions; destroy: () => Promise<void> }> {
  const admin = postgresAdminConfig();
  const name = `qoltanba_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const auth = encodeURIComponent(admin.user) + (admin.password ? `:${encodeURIComponent(admin.password)}` : '');
  const host = admin.host;
  // A unix-socket directory cannot be the URL's host; libpq and pg accept it as ?host=.
  const databaseUrl = host.startsWith('/')
    ? `postgres://${auth}@localhost:${admin.port}/${name}?host=${encodeURIComponent(host)}`
    : `postgres://${auth}@${host}:${admin.port}/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'qoltanba-test-'));
  return {
    openOptions: { databaseUrl, dataDir },
    destroy: async () => {
      await withAdmin(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withAdmin(config: AdminConfig, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${config.host}:${config.port} as ${config.user} (${(e as Error).message}); ` +
        'start it (scripts/ensure-postgres.sh) or point PGHOST/PGPORT/PGUSER at one — these tests do not skip',
      { cause: e },
    );
  }
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

async function freshPgliteDir(): Promise<{ openOptions: OpenDatabaseOptions; destroy: () => Promise<void> }> {
  const dataDir = await freshPgliteDataDir();
  return {
    openOptions: { dataDir },
    destroy: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/**
 * A data dir holding a new, never opened PGlite cluster (in a new temp dir unless `dataDir` is given).
 * initdb takes ~6 s; copying a cleanly closed, never used cluster gives the same fresh database faster.
 */
export async function freshPgliteDataDir(dataDir: string = mkdtempSync(join(tmpdir(), 'qoltanba-test-'))): Promise<string> {
  cpSync(await pristineCluster(), join(dataDir, 'pgdata'), { recursive: true });
  return dataDir;
}

/** A freshly initialised PGlite cluster, built once per machine user and PGlite version. */
async function pristineCluster(): Promise<string> {
  const packageJson = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const template = join(tmpdir(), `qoltanba-pglite-pristine-${version}-${process.getuid?.() ?? 'user'}`);
  const cluster = join(template, 'pgdata');
  if (existsSync(cluster)) return cluster;
  const building = mkdtempSync(`${template}.building-`);
  const db = await PGlite.create({ dataDir: join(building, 'pgdata') });
  await db.close();
  try {
    // Atomic: a concurrent test process either finds the complete template or wins the rename.
    renameSync(building, template);
  } catch {
    rmSync(building, { recursive: true, force: true });
  }
  return cluster;
}
