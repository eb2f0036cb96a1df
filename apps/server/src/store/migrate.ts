/**
 * Applies the SQL files in ./migrations (NNNN_name.sql, numbered 1, 2, 3, … without gaps) in order, each
 * in its own transaction, and records each in schema_migrations with the SHA-256 of its text. A file
 * changed after it was applied is refused rather than silently diverging from what the database holds.
 * Every transaction first takes one advisory transaction lock, so processes starting together apply
 * each migration exactly once (transaction-scoped, because session advisory locks do not exclude on
 * PGlite — see open-database.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { Database } from './schema.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

// Arbitrary but fixed: every Qoltanba process must use the same key.
const MIGRATION_LOCK_KEY = 7_245_001;
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** File names applied by this call, in order (empty when the schema was already current). */
  applied: string[];
  /** The schema version now in the database. */
  version: number;
}

export function readMigrations(directory: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(directory).filter((f) => f.endsWith('.sql')).sort();
  return files.map((file, index): Migration => {
    const match = FILE_NAME.exec(file);
    if (!match) {
      throw new QtError('QT_ERR_STORE_MIGRATION_INVALID', `Migration file ${file} is not named NNNN_lower_case_name.sql`, { file });
    }
    const version = Number(match[1]);
    if (version !== index + 1) {
      throw new QtError('QT_ERR_STORE_MIGRATION_INVALID', `Migration ${file} should be number ${index + 1}: numbers start at 1 and have no gaps or repeats`, { file });
    }
    // Line endings are normalised so a checkout with CRLF does not look like a changed migration.
    const text = readFileSync(join(directory, file), 'utf8').replace(/\r\n/g, '\n');
    return { version, name: file, sql: text, checksum: createHash('sha256').update(text).digest('hex') };
  });
}

export async function migrate(db: Kysely<Database>, options: { directory?: string } = {}): Promise<MigrateResult> {
  const migrations = readMigrations(options.directory);
  const applied: string[] = [];
  await db.transaction().execute(async (trx) => {
    await lock(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`.execute(trx);
    // Refuse a changed or unknown migration before applying anything.
    await checkApplied(trx, migrations);
  });
  for (const migration of migrations) {
    await db.transaction().execute(async (trx) => {
      await lock(trx);
      // Checked again under the lock each time: another process may have moved on meanwhile.
      const done = await checkApplied(trx, migrations);
      if (done.has(migration.version)) return;
      try {
        await sql.raw(migration.sql).execute(trx);
      } catch (e) {
        throw new QtError('QT_ERR_STORE_MIGRATION_FAILED', `Migration ${migration.name} failed and was rolled back: ${(e as Error).message}`, { file: migration.name }, { cause: e });
      }
      await trx.insertInto('schema_migrations').values({ version: migration.version, name: migration.name, checksum: migration.checksum }).execute();
      applied.push(migration.name);
    });
  }
  return { applied, version: migrations.length };
}

async function lock(trx: Kysely<Database>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
}

/** The versions already applied, after making sure each still matches its file. */
async function checkApplied(trx: Kysely<Database>, migrations: Migration[]): Promise<Set<number>> {
  const rows = await trx.selectFrom('schema_migrations').select(['version', 'name', 'checksum']).orderBy('version').execute();
  for (const row of rows) {
    const file = migrations[row.version - 1];
    if (!file) {
      throw new QtError(
        'QT_ERR_STORE_MIGRATION_UNKNOWN',
        `The database has migration ${row.name} (version ${row.version}), which this program does not have: it was upgraded by a newer Qoltanba`,
        { version: row.version, name: row.name },
      );
    }
    if (file.checksum !== row.checksum || file.name !== row.name) {
      throw new QtError(
        'QT_ERR_STORE_MIGRATION_CHANGED',
        `Migration ${file.name} differs from what was applied as ${row.name} (checksum ${row.checksum.slice(0, 12)}…, file now ${file.checksum.slice(0, 12)}…). Applied migrations must never be edited; add a new migration instead.`,
        { version: row.version, applied: row.name, file: file.name },
      );
    }
  }
  return new Set(rows.map((r) => r.version));
}
