/**
 * Embedded PostgreSQL: PGlite persisted in <dataDir>/pgdata, served on a unix socket by
 * @electric-sql/pglite-socket so the ordinary `pg` driver (and with it Kysely and pg-boss) talks to it
 * exactly as it talks to a PostgreSQL server. Why the socket server accepts a single connection is
 * explained in open-database.ts.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireDataDirLock } from './data-dir-lock.ts';

/** libpq and `pg` find a unix socket as <dir>/.s.PGSQL.<port>; the port is only part of the file name. */
export const EMBEDDED_PORT = 5432;
const SOCKET_FILE = `.s.PGSQL.${EMBEDDED_PORT}`;
// sun_path is 108 bytes on Linux (104 on macOS); longer paths cannot be bound.
const MAX_SOCKET_PATH = 100;

export interface EmbeddedPostgres {
  /** Directory holding the socket file; `pg`'s `host` for a unix socket. */
  readonly socketDir: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = acquireDataDirLock(join(dataDir, 'pgdata.lock'));
  let pglite: PGlite | undefined;
  let ownSocketDir: string | undefined;
  try {
    pglite = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
    // The socket lives in the data directory (mode 0700) so only this user can reach a database that
    // asks for no password; a data dir whose path is too long for a socket gets a private temp dir.
    let socketDir = dataDir;
    if (join(dataDir, SOCKET_FILE).length > MAX_SOCKET_PATH) {
      ownSocketDir = mkdtempSync(join(tmpdir(), 'qoltanba-db-'));
      socketDir = ownSocketDir;
    }
    const socketPath = join(socketDir, SOCKET_FILE);
    // We hold the lock, so a socket file left here is from a crashed owner and nobody listens on it.
    rmSync(socketPath, { force: true });
    const server = new PGLiteSocketServer({ db: pglite, path: socketPath, maxConnections: 1 });
    await server.start();
    const db = pglite;
    let stopped: Promise<void> | undefined;
    return {
      socketDir,
      stop: () =>
        (stopped ??= (async () => {
          try {
            await server.stop();
            await db.close();
          } finally {
            if (ownSocketDir) rmSync(ownSocketDir, { recursive: true, force: true });
            lock.release();
          }
        })()),
    };
  } catch (e) {
    await pglite?.close().catch(() => undefined);
    if (ownSocketDir) rmSync(ownSocketDir, { recursive: true, force: true });
    lock.release();
    throw e;
  }
}
