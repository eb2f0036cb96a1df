/**
 * Characterisation of PGlite behind @electric-sql/pglite-socket with SEVERAL connections — the setup
 * open-database.ts deliberately avoids. These tests prove the facts written at the top of that file; if
 * one starts failing, the library changed and the single-connection choice deserves another look.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { freshPgliteDataDir } from './testing/backends.ts';

describe('PGlite socket server with several connections (why the store uses one)', () => {
  let dataDir: string;
  let pglite: PGlite;
  let server: PGLiteSocketServer;
  let pool: pg.Pool;
  const clients: pg.PoolClient[] = [];

  before(async () => {
    dataDir = await freshPgliteDataDir();
    pglite = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
    server = new PGLiteSocketServer({ db: pglite, path: join(dataDir, '.s.PGSQL.5432'), maxConnections: 8 });
    await server.start();
    pool = new pg.Pool({ host: dataDir, port: 5432, user: 'postgres', database: 'postgres', max: 8 });
    for (let i = 0; i < 2; i++) clients.push(await pool.connect());
  });

  after(async () => {
    clients.forEach((c) => c.release());
    await pool.end();
    await server.stop();
    await pglite.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('PGlite runs with fsync off: committed data survives a killed process, not necessarily a power cut', async () => {
    assert.equal((await clients[0]!.query('SHOW fsync')).rows[0].fsync, 'off');
  });

  test('every connection is the same backend: same pid, shared session settings', async () => {
    const [a, b] = clients as [pg.PoolClient, pg.PoolClient];
    const pidA = (await a.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const pidB = (await b.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    assert.equal(pidA, pidB);
    await a.query(`SET application_name = 'set_by_a'`);
    assert.equal((await b.query('SHOW application_name')).rows[0].application_name, 'set_by_a');
  });

  test('an explicit transaction holds off every other connection until it ends', async () => {
    const [a, b] = clients as [pg.PoolClient, pg.PoolClient];
    await a.query('CREATE TABLE serialised (v int)');
    await a.query('BEGIN');
    await a.query('INSERT INTO serialised VALUES (1)');
    let answered = false;
    const read = b.query('SELECT count(*)::int AS n FROM serialised').then((r) => {
      answered = true;
      return r.rows[0].n as number;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(answered, false, 'PostgreSQL would answer 0 at once; PGlite queues the other connection');
    await a.query('COMMIT');
    assert.equal(await read, 1);
  });

  test('session advisory locks do not exclude other connections', async () => {
    const [a, b] = clients as [pg.PoolClient, pg.PoolClient];
    assert.equal((await a.query('SELECT pg_try_advisory_lock(42) AS got')).rows[0].got, true);
    assert.equal((await b.query('SELECT pg_try_advisory_lock(42) AS got')).rows[0].got, true);
    await a.query('SELECT pg_advisory_unlock_all()');
  });

  test('a notification goes to whichever connection runs the next query, not to the listener', async () => {
    const [a, b] = clients as [pg.PoolClient, pg.PoolClient];
    const seen: string[] = [];
    const onA = (n: pg.Notification) => seen.push(`a:${n.payload}`);
    const onB = (n: pg.Notification) => seen.push(`b:${n.payload}`);
    a.on('notification', onA);
    b.on('notification', onB);
    await a.query('LISTEN facts');
    await b.query(`NOTIFY facts, 'hello'`);
    await a.query('SELECT 1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    a.off('notification', onA);
    b.off('notification', onB);
    await a.query('UNLISTEN *');
    assert.deepEqual(seen, ['b:hello']);
  });

  test('outside transactions, concurrent queries with large parameters get mixed up', async () => {
    const big = 'x'.repeat(300_000);
    let failures = 0;
    // Interleaving depends on socket read boundaries; a few rounds make it certain rather than likely.
    for (let round = 0; round < 5 && failures === 0; round++) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 ? pool.query('SELECT $1::int AS v, length($2::text) AS l', [i, big]) : pool.query('SELECT $1::int AS v', [i]),
        ),
      );
      failures += outcomes.filter((o, i) => o.status === 'rejected' || o.value.rows[0].v !== i).length;
    }
    assert.ok(failures > 0, 'expected mixed-up queries; if none, pglite-socket may now frame whole batches');
  });
});
