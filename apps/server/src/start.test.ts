import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isQtError } from '@qoltanba/pki';
import { defaultCeremonyConfig } from './ca/ceremony-config.ts';
import { sql } from 'kysely';
import { startServer } from './start.ts';
import { createTestDatabase } from './store/testing/backends.ts';

const home = mkdtempSync(join(tmpdir(), 'qt-start-'));
after(() => rmSync(home, { recursive: true, force: true }));

function smallCeremony(dir: string) {
  const c = defaultCeremonyConfig();
  c.root.key.bits = 2048;
  c.issuing[0]!.key.bits = 2048;
  c.issuing[0]!.ocsp.key.bits = 2048;
  writeFileSync(join(dir, 'ceremony.json'), JSON.stringify(c));
}

const env = { PATH: process.env.PATH } as NodeJS.ProcessEnv;

test('first start on an empty data directory: embedded database, CA ceremony, healthy', async () => {
  smallCeremony(home);
  const server = await startServer({ home, env, overrides: { port: 0 }, logger: false });
  try {
    assert.equal(server.ctx.store.backend, 'pglite');
    assert.deepEqual(server.cas.map((c) => [c.name, c.created]), [['root-rsa', true], ['rsa', true]]);
    assert.ok(server.developmentPassphraseFile, 'without a passphrase the development default is generated');
    assert.equal(statSync(server.developmentPassphraseFile!).mode & 0o777, 0o600);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).database, 'pglite');
  } finally {
    await server.close();
  }
});

test('a restart reuses the CAs and the database; nothing is created twice', async () => {
  const before = readFileSync(join(home, 'ca', 'rsa.crt'), 'utf8');
  const server = await startServer({ home, env, overrides: { port: 0 }, logger: false });
  try {
    assert.deepEqual(server.cas.map((c) => c.created), [false, false]);
    assert.equal(readFileSync(join(home, 'ca', 'rsa.crt'), 'utf8'), before);
  } finally {
    await server.close();
  }
});

test('a second server on the same data directory is refused while the first runs', async () => {
  const first = await startServer({ home, env, overrides: { port: 0 }, logger: false });
  try {
    await assert.rejects(startServer({ home, env, overrides: { port: 0 }, logger: false }), (e) => isQtError(e, 'QT_ERR_STORE_DATA_DIR_LOCKED'));
  } finally {
    await first.close();
  }
});

test('a wrong CA passphrase stops the start with a clear error and never prints the passphrase', async () => {
  process.env.QOLTANBA_PASSPHRASE = 'definitely not the generated passphrase';
  try {
    await assert.rejects(startServer({ home, env, overrides: { port: 0 }, logger: false }), (e) => {
      return isQtError(e, 'QT_ERR_CA_PASSPHRASE_WRONG') && /^The CA key passphrase is wrong/.test(e.message) && !e.message.includes('definitely not');
    });
  } finally {
    delete process.env.QOLTANBA_PASSPHRASE;
  }
});

test('the generated development passphrase is announced once, by the start that generated it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qt-start-passphrase-'));
  smallCeremony(dir);
  const start = async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const server = await startServer({ home: dir, env, overrides: { port: 0 }, logger: { level: 'info', stream } });
    await server.close();
    return lines.join('');
  };
  try {
    const first = await start();
    assert.match(first, /"level":40[^\n]*the CA key passphrase was generated into/);
    const second = await start();
    assert.doesNotMatch(second, /was generated/);
    assert.doesNotMatch(second, /"level":40[^\n]*passphrase/, 'no warning about it again');
    assert.match(second, /CA key passphrase: the development default in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('server.json database settings reach the pool: poolSize is its size, preparedStatements 0 sends a repeated statement unnamed (for a pooler in transaction mode)', async () => {
  const database = await createTestDatabase('postgres', { migrated: false });
  const dir = mkdtempSync(join(tmpdir(), 'qt-start-pg-'));
  try {
    smallCeremony(dir);
    const namedAfterTwoRuns = async (preparedStatements: number | undefined) => {
      const server = await startServer({
        home: dir,
        env,
        overrides: { port: 0, databaseUrl: database.openOptions.databaseUrl, database: { poolSize: 1, preparedStatements } },
        logger: false,
      });
      try {
        assert.equal(server.ctx.store.pool.options.max, 1);
        // One connection, so both runs and the look at pg_prepared_statements happen on the same session.
        for (let i = 0; i < 2; i++) await sql`select ${i}::int as n`.execute(server.ctx.store.db);
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where name like 'qt_%'`.execute(server.ctx.store.db);
        return rows[0]!.n;
      } finally {
        await server.close();
      }
    };
    assert.ok((await namedAfterTwoRuns(undefined)) >= 1, 'by default a statement run twice is prepared');
    assert.equal(await namedAfterTwoRuns(0), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.dispose();
  }
});
