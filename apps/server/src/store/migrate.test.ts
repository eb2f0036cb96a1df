import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { isQtError } from '@qoltanba/pki';
import { migrate, MIGRATIONS_DIR, readMigrations } from './migrate.ts';
import { openDatabase, type Store } from './open-database.ts';
import type { Database } from './schema.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from './testing/backends.ts';

const scratch = mkdtempSync(join(tmpdir(), 'qoltanba-migrate-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A private copy of the real migrations that a test may edit. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(join(scratch, 'm-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function withFreshDatabase(backend: (typeof BACKENDS)[number], fn: (t: TestDatabase) => Promise<void>): Promise<void> {
  const database = await createTestDatabase(backend, { migrated: false });
  try {
    await fn(database);
  } finally {
    await database.dispose();
  }
}

async function tableExists(db: Kysely<Database>, name: string): Promise<boolean> {
  const { rows } = await sql<{ found: string | null }>`SELECT to_regclass(${name})::text AS found`.execute(db);
  return rows[0]?.found != null;
}

describe('readMigrations', () => {
  test('the shipped migrations are numbered 1..N without gaps', () => {
    const migrations = readMigrations();
    assert.ok(migrations.length >= 5);
    migrations.forEach((m, i) => assert.equal(m.version, i + 1));
  });

  test('refuses a gap in the numbering', () => {
    const dir = mkdtempSync(join(scratch, 'gap-'));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '0003_c.sql'), 'SELECT 1;');
    assert.throws(() => readMigrations(dir), (e) => isQtError(e, 'QT_ERR_STORE_MIGRATION_INVALID') && /0003_c\.sql should be number 2/.test(e.message));
  });

  test('refuses a file not named NNNN_name.sql', () => {
    const dir = mkdtempSync(join(scratch, 'name-'));
    writeFileSync(join(dir, 'V1__init.sql'), 'SELECT 1;');
    assert.throws(() => readMigrations(dir), (e) => isQtError(e, 'QT_ERR_STORE_MIGRATION_INVALID') && /V1__init\.sql/.test(e.message));
  });

  test('CRLF line endings do not change the checksum', () => {
    const dir = mkdtempSync(join(scratch, 'crlf-'));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;\nSELECT 2;\n');
    const lf = readMigrations(dir)[0]!.checksum;
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;\r\nSELECT 2;\r\n');
    assert.equal(readMigrations(dir)[0]!.checksum, lf);
  });
});

for (const backend of BACKENDS) {
  describe(`migrate on ${backend}`, () => {
    test('applies every migration once, in order, recording name and checksum', () =>
      withFreshDatabase(backend, async ({ store }) => {
        const files = readMigrations();
        const result = await migrate(store.db);
        assert.deepEqual(result, { applied: files.map((f) => f.name), version: files.length });
        const recorded = await store.db.selectFrom('schema_migrations').select(['version', 'name', 'checksum']).orderBy('version').execute();
        assert.deepEqual(recorded, files.map(({ version, name, checksum }) => ({ version, name, checksum })));
        for (const table of ['cas', 'subjects', 'applications', 'certificates', 'crl_state', 'crls', 'ocsp_responses', 'idempotency_keys', 'audit_log']) {
          assert.ok(await tableExists(store.db, table), `table ${table} exists`);
        }
      }));

    test('is idempotent: running again applies nothing and changes nothing', () =>
      withFreshDatabase(backend, async ({ store }) => {
        await migrate(store.db);
        const before = await store.db.selectFrom('schema_migrations').selectAll().orderBy('version').execute();
        assert.deepEqual(await migrate(store.db), { applied: [], version: before.length });
        assert.deepEqual(await store.db.selectFrom('schema_migrations').selectAll().orderBy('version').execute(), before);
      }));

    test('refuses to run when an applied migration file was changed', () =>
      withFreshDatabase(backend, async ({ store }) => {
        const dir = copyOfMigrations();
        await migrate(store.db, { directory: dir });
        appendFileSync(join(dir, '0002_subjects_and_applications.sql'), '\n-- an innocent-looking edit\n');
        await assert.rejects(
          migrate(store.db, { directory: dir }),
          (e) => isQtError(e, 'QT_ERR_STORE_MIGRATION_CHANGED') && e.message.includes('0002_subjects_and_applications.sql'),
        );
      }));

    test('refuses a database migrated by a newer program', () =>
      withFreshDatabase(backend, async ({ store }) => {
        const dir = copyOfMigrations();
        const next = String(readMigrations().length + 1).padStart(4, '0');
        writeFileSync(join(dir, `${next}_from_the_future.sql`), 'CREATE TABLE future_feature (id int);');
        await migrate(store.db, { directory: dir });
        await assert.rejects(migrate(store.db), (e) => isQtError(e, 'QT_ERR_STORE_MIGRATION_UNKNOWN') && e.message.includes('from_the_future'));
      }));

    test('a failing migration is rolled back whole, reported by file name, and can be fixed and re-run', () =>
      withFreshDatabase(backend, async ({ store }) => {
        const dir = mkdtempSync(join(scratch, 'fail-'));
        writeFileSync(join(dir, '0001_good.sql'), 'CREATE TABLE good_one (id int);');
        writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELECT no_such_function();');
        await assert.rejects(
          migrate(store.db, { directory: dir }),
          (e) => isQtError(e, 'QT_ERR_STORE_MIGRATION_FAILED') && e.message.includes('0002_bad.sql') && /no_such_function/.test(e.message),
        );
        assert.equal(await tableExists(store.db, 'good_one'), true);
        assert.equal(await tableExists(store.db, 'half_done'), false);
        assert.deepEqual((await store.db.selectFrom('schema_migrations').select('name').execute()).map((r) => r.name), ['0001_good.sql']);
        writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE half_done (id int);');
        assert.deepEqual((await migrate(store.db, { directory: dir })).applied, ['0002_bad.sql']);
      }));

    test('concurrent starts apply each migration exactly once', () =>
      withFreshDatabase(backend, async ({ store, openOptions }) => {
        // PostgreSQL: separate pools stand in for separate processes. PGlite has one owner, so its
        // concurrent callers share the one store.
        const stores: Store[] = [store];
        if (backend === 'postgres') stores.push(await openDatabase(openOptions), await openDatabase(openOptions));
        try {
          const results = await Promise.all(Array.from({ length: 6 }, (_, i) => migrate(stores[i % stores.length]!.db)));
          const applied = results.flatMap((r) => r.applied).sort();
          assert.deepEqual(applied, readMigrations().map((m) => m.name));
          results.forEach((r) => assert.equal(r.version, applied.length));
        } finally {
          await Promise.all(stores.slice(1).map((s) => s.close()));
        }
      }));
  });
}
