/**
 * Database failures as stable errors. A request that meets a database going away (restart, failover,
 * network cut) must fail fast with 503 QT_ERR_STORE_UNAVAILABLE — never hang, never show a driver
 * message — and must tell the caller what it can rely on: a transaction whose COMMIT was cut off may
 * or may not have happened, which a retry with the same Idempotency-Key resolves.
 */
import { QtError, isQtError } from '@qoltanba/pki';

// SQLSTATE classes and codes that mean "the server or the connection went away, try again".
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '58030']);
const BUSY_STATES = new Set(['40001', '40P01', '55P03', '53200']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);
// pg and pg-pool report a lost or closed connection only in words.
const NETWORK_MESSAGES = /connection terminated|terminating connection|connection error|not queryable|server closed the connection|cannot use a pool after calling end|the database system is (starting up|shutting down|in recovery mode)|connection timeout|timeout exceeded when trying to connect/i;

interface DriverError {
  code?: unknown;
  message?: unknown;
}

/** The SQLSTATE of a PostgreSQL error, if `e` is one. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as DriverError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isConnectionFailure(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const state = sqlState(e);
  if (state) return state.startsWith('08') || UNAVAILABLE_STATES.has(state);
  const code = (e as DriverError).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const message = (e as DriverError).message;
  return typeof message === 'string' && NETWORK_MESSAGES.test(message);
}

/** `e` as a QtError when it is a known database failure, otherwise `e` unchanged. */
export function translateDbError(e: unknown, operation: string): unknown {
  if (isQtError(e)) return e;
  if (isConnectionFailure(e)) {
    return new QtError(
      'QT_ERR_STORE_UNAVAILABLE',
      `The database became unavailable during ${operation}. If the request changed something, repeat it with the same Idempotency-Key to learn whether it took effect.`,
      { operation, retry: true },
      { cause: e },
    );
  }
  const state = sqlState(e);
  if (state && BUSY_STATES.has(state)) {
    return new QtError('QT_ERR_STORE_BUSY', `The database was too busy to complete ${operation}; please retry`, { operation, retry: true }, { cause: e });
  }
  return e;
}

/** Runs `fn`, turning database failures into stable errors. */
export async function withStore<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw translateDbError(e, operation);
  }
}
