/**
 * Opening the data directory's database for an operator command — the one door every command that touches
 * the data goes through, which is what lets the same command run in three places:
 *  - PostgreSQL (DATABASE_URL): opened here, beside any running server;
 *  - the embedded database, no server running: opened here (PGlite admits one process);
 *  - the embedded database held by `qoltanba up`: the whole command is handed to that server over its
 *    admin socket (../admin) and runs there, on the server's own store and signer.
 * The hand-over happens when the command reaches withHomeStore/withLocalAdmin, so a command must do its work
 * inside the callback: before it, only read and check its arguments (nothing printed, nothing written).
 */
import { join } from 'node:path';
import { realpathSync } from 'node:fs';
import type { Socket } from 'node:net';
import { QtError, isQtError } from '@qoltanba/pki';
import { migrate, openDatabase, localAdminContext, type LocalAdminContext, type Store } from '@qoltanba/server';
import type { CliContext } from './context.ts';
import { connectToServer } from './admin/client.ts';

/** Thrown (and caught by runCli) when the running server must run this command: it holds the database. */
export class RunInServer extends Error {
  constructor(readonly socket: Socket) {
    super('this command runs in the server that holds the data directory');
  }
}

export async function withHomeStore<T>(ctx: CliContext, fn: (store: Store) => Promise<T>): Promise<T> {
  if (ctx.host) {
    checkHostHome(ctx);
    return fn(ctx.host.store);
  }
  const databaseUrl = ctx.env.DATABASE_URL || undefined;
  if (!databaseUrl) {
    const socket = await connectToServer(ctx.home);
    if (socket) throw new RunInServer(socket);
  }
  let store: Store;
  try {
    store = await openDatabase({ databaseUrl, dataDir: join(ctx.home, 'db') });
  } catch (e) {
    if (isQtError(e, 'QT_ERR_STORE_DATA_DIR_LOCKED')) {
      throw new QtError(
        'QT_ERR_STORE_DATA_DIR_LOCKED',
        `${e.message} No server answers on its admin socket (${join(ctx.home, 'admin', 'admin.sock')}), so the command cannot run through it: if another qoltanba command is running on this data directory, wait for it and try again`,
        e.details ? { ...e.details } : undefined,
      );
    }
    throw e;
  }
  try {
    await migrate(store.db);
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The store plus the server's services (RA, status): the running server's own, or with CA keys opened in this process. */
export async function withLocalAdmin<T>(ctx: CliContext, fn: (admin: LocalAdminContext) => Promise<T>, options: { testMode?: boolean } = {}): Promise<T> {
  if (ctx.host) {
    checkHostHome(ctx);
    const admin = ctx.host.localAdmin(options);
    try {
      return await fn(admin);
    } finally {
      await admin.close();
    }
  }
  return withHomeStore(ctx, async (store) => {
    const admin = await localAdminContext({ home: ctx.home, store, overrides: { keys: { passphraseFile: ctx.passphraseFile } }, testMode: options.testMode, warn: (m) => ctx.err.write(`warning: ${m}\n`) });
    try {
      return await fn(admin);
    } finally {
      await admin.close();
    }
  });
}

function checkHostHome(ctx: CliContext): void {
  const host = ctx.host!;
  let home: string;
  try {
    home = realpathSync(ctx.home);
  } catch {
    home = ctx.home;
  }
  if (home !== realpathSync(host.home)) {
    throw new QtError('QT_ERR_INPUT_INVALID', `This server holds the data directory ${host.home}, not ${ctx.home}`);
  }
}
