/**
 * Opening the data directory's database for an operator command: PostgreSQL when DATABASE_URL is set,
 * otherwise the embedded database — which only one process may hold, so while `qoltanba up` runs the
 * command explains that instead of failing obscurely.
 */
import { join } from 'node:path';
import { QtError, isQtError } from '@qoltanba/pki';
import { migrate, openDatabase, operatorContext, type OperatorContext, type Store } from '@qoltanba/server';
import type { CliContext } from './context.ts';

export async function withHomeStore<T>(ctx: CliContext, fn: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  try {
    store = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: join(ctx.home, 'db') });
  } catch (e) {
    if (isQtError(e, 'QT_ERR_STORE_DATA_DIR_LOCKED')) {
      throw new QtError(
        'QT_ERR_STORE_DATA_DIR_LOCKED',
        `${e.message}. The embedded database belongs to the running server; stop it first, or run the server on PostgreSQL (DATABASE_URL) so operator commands can share it`,
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

/** The store plus the server's services (RA, status) with CA keys opened in this process. */
export async function withOperator<T>(ctx: CliContext, fn: (op: OperatorContext) => Promise<T>, options: { testMode?: boolean } = {}): Promise<T> {
  return withHomeStore(ctx, async (store) => {
    const op = await operatorContext({ home: ctx.home, store, overrides: { keys: { passphraseFile: ctx.passphraseFile } }, testMode: options.testMode, warn: (m) => ctx.err.write(`warning: ${m}\n`) });
    try {
      return await fn(op);
    } finally {
      await op.close();
    }
  });
}
