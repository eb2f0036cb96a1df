import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { isQtError } from '@qoltanba/pki';
import { migrate } from './migrate.ts';
import { openDatabase } from './open-database.ts';
import { createTestDatabase, freshPgliteDataDir } from './testing/backends.ts';

const scratch = mkdtempSync(join(tmpdir(), 'qoltanba-embedded-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('embedded database (PGlite)', () => {
  test('first start creates the database, and a restart sees everything committed', async () => {
    const dataDir = join(scratch, 'restart');
    const first = await openDatabase({ dataDir });
    assert.equal(first.backend, 'pglite');
    assert.ok((await migrate(first.db)).applied.length > 0);
    await first.db.insertInto('subjects').values({ iin: '880101300123', surname: 'ASANOV', given_name: 'ASAN' }).execute();
    await first.close();

    const second = await openDatabase({ dataDir });
    try {
      assert.deepEqual((await migrate(second.db)).applied, []);
      const row = await second.db.selectFrom('subjects').select(['surname', 'given_name']).where('iin', '=', '880101300123').executeTakeFirst();
      assert.deepEqual(row, { surname: 'ASANOV', given_name: 'ASAN' });
    } finally {
      await second.close();
    }
  });

  test('a second owner in the same process is refused and the first keeps working', async () => {
    const { store, openOptions, dispose } = await createTestDatabase('pglite', { migrated: false });
    try {
      await assert.rejects(
        openDatabase(openOptions),
        (e) => isQtError(e, 'QT_ERR_STORE_DATA_DIR_LOCKED') && e.message.includes(`process ${process.pid}`),
      );
      assert.equal((await store.pool.query('SELECT 2 AS two')).rows[0].two, 2);
    } finally {
      await dispose();
    }
  });

  test('close releases the data dir for the next owner, and closing twice is harmless', async () => {
    const { store, openOptions, dispose } = await createTestDatabase('pglite', { migrated: false });
    try {
      await store.close();
      await store.close();
      assert.equal(existsSync(join(openOptions.dataDir, 'pgdata.lock')), false);
      const again = await openDatabase(openOptions);
      await again.close();
    } finally {
      await dispose();
    }
  });

  test('another live process owning the data dir is named; once it is killed its lock is taken over and its commits survive', async () => {
    const dataDir = await freshPgliteDataDir(join(scratch, 'crash'));
    const child = await holdDatabase(dataDir);
    try {
      await assert.rejects(
        openDatabase({ dataDir }),
        (e) => isQtError(e, 'QT_ERR_STORE_DATA_DIR_LOCKED') && e.message.includes(`process ${child.pid}`) && e.message.includes('pgdata.lock'),
      );
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const store = await openDatabase({ dataDir });
    try {
      const { rows } = await store.pool.query<{ note: string }>('SELECT note FROM ownership_marker');
      assert.deepEqual(rows, [{ note: `committed by ${child.pid}` }]);
    } finally {
      await store.close();
    }
  });

  test('the socket admits no second client, so nothing can interleave with the store', async () => {
    const { store, dispose } = await createTestDatabase('pglite', { migrated: false });
    try {
      const intruder = new pg.Client({ connectionString: store.connectionString });
      intruder.on('error', () => undefined);
      await assert.rejects(intruder.connect().then(() => intruder.query('SELECT 1')));
      await intruder.end().catch(() => undefined);
      assert.equal((await store.pool.query('SELECT 3 AS three')).rows[0].three, 3);
    } finally {
      await dispose();
    }
  });

  test('a data dir whose path is too long for a unix socket still opens, and leaves no socket dir behind', async () => {
    const dataDir = await freshPgliteDataDir(join(scratch, 'd'.repeat(60), 'e'.repeat(60)));
    const socketDirsBefore = readdirSync(tmpdir()).filter((f) => f.startsWith('qoltanba-db-'));
    const store = await openDatabase({ dataDir });
    assert.ok(!store.connectionString.includes(encodeURIComponent(dataDir)), 'the socket must live outside the long data dir');
    assert.equal((await store.pool.query('SELECT 4 AS four')).rows[0].four, 4);
    await store.close();
    assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith('qoltanba-db-')), socketDirsBefore);
  });
});

/** Starts a process that opens `dataDir`, commits a marker and holds the database until killed. */
async function holdDatabase(dataDir: string): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testing', 'hold-database.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('READY')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the holding process exited early (${code})`)));
  });
  return child as ChildProcess & { pid: number };
}
