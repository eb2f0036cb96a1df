/**
 * Prepared statements for the store's parameterised queries: every Kysely query (builder or `sql` template)
 * whose text a connection has run once before is sent under a name, so PostgreSQL parses, analyses and plans it
 * once per connection instead of on every run (issue 16: ≈ 1 ms of PostgreSQL's and 0.5 ms of the driver's CPU
 * per issuance).
 *
 * What a kept plan can break, and how it is handled:
 *  - A migration that changes a statement's result type under a connection that prepared it (a column's type
 *    changed; a `select *` after a column was added) fails the next run with SQLSTATE 0A000 "cached plan must not
 *    change result type"; a statement gone from the server (26000) fails likewise. Statements with a `*` outside
 *    `count(*)` are never named, so an added column cannot break one; other schema changes (added columns,
 *    indexes, dropped and recreated objects) are re-planned by PostgreSQL by itself.
 *  - On 0A000 or 26000 the name is forgotten (and deallocated once the connection is outside a transaction) and
 *    the statement is run again unnamed — the next run prepares it afresh. Inside a transaction the failed
 *    statement has already aborted it, so the error is thrown (`isStalePlanError` tells it apart) and a caller
 *    that can run its transaction again does so once (ra/issue.ts); any other caller sees one failure per
 *    connection and statement, after which the statement is prepared anew.
 *  - A connection keeps at most `maxStatements` (least recently used deallocated beyond that), and a text is
 *    named only on its second run, so one-off statements (IN lists of many lengths) never take a slot.
 *  - Names are unique in the process (`qt_<n>`), never per connection: PGlite's one backend outlives a client
 *    that the pool replaced, with that client's statements still in it.
 * Unparameterised text (BEGIN, COMMIT, migrations, DDL) is sent as before.
 */
import type { PostgresCursor, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

export interface PreparedStatementOptions {
  /** Statements kept prepared per connection; 0 sends every statement unnamed. */
  maxStatements: number;
}

export const DEFAULT_MAX_PREPARED_STATEMENTS = 100;

/** A statement text with a `*` other than `count(*)`: its result type follows the table's columns. */
const STAR = /\*(?!\))/;
const BEGINS = /^\s*(?:begin|start\s+transaction)\b/i;
const ENDS = /^\s*(?:commit|end|abort|rollback(?!\s+to\b))\b/i;

/** Process-wide, not per connection (see above). */
let nextName = 0;

/** The driver's error when a kept plan no longer fits the schema or the statement is gone from the server. */
export function isStalePlanError(e: unknown): boolean {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  if (code === '26000') return true;
  return code === '0A000' && typeof message === 'string' && /cached plan must not change result type/i.test(message);
}

/** Runs `fn`, and once more if it failed on a stale prepared statement (for a whole transaction: see above). */
export async function retryOnStalePlan<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isStalePlanError(e)) throw e;
    return fn();
  }
}

/** pg's record, per connection, of the names it has parsed or sent a Parse for (pg/lib/query.js). */
interface ParsedStatements {
  connection?: { parsedStatements?: Record<string, string>; submittedNamedStatements?: Record<string, string> };
}

const wrappers = new WeakMap<pg.PoolClient, PreparingClient>();

/** The pool client as Kysely sees it, naming the statements it runs (one wrapper per pg client, kept with it). */
export function preparingClient(client: pg.PoolClient, options: PreparedStatementOptions): PostgresPoolClient {
  if (options.maxStatements <= 0) return client as unknown as PostgresPoolClient;
  let wrapper = wrappers.get(client);
  if (!wrapper) {
    wrapper = new PreparingClient(client, options.maxStatements);
    wrappers.set(client, wrapper);
  }
  return wrapper;
}

class PreparingClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient;
  readonly #max: number;
  /** Statement text → name, least recently used first. */
  readonly #names = new Map<string, string>();
  /** Texts run once, unnamed: the second run prepares them. */
  #seen = new Set<string>();
  /** Names to deallocate once the connection is outside a transaction. */
  #retired: string[] = [];
  #inTransaction = false;

  constructor(client: pg.PoolClient, max: number) {
    this.#client = client;
    this.#max = max;
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    const client = this.#client as unknown as PostgresPoolClient;
    if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor);
    const values = parameters ?? [];
    if (values.length === 0) return this.#plain<R>(sqlOrCursor, values);
    return this.#named<R>(sqlOrCursor, values);
  }

  release(destroy?: boolean): void {
    this.#client.release(destroy);
  }

  /** Unparameterised: as before, watching where transactions begin and end. */
  async #plain<R>(sql: string, values: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (BEGINS.test(sql)) this.#inTransaction = true;
    try {
      return (await this.#client.query(sql, values as unknown[])) as unknown as PostgresQueryResult<R>;
    } finally {
      if (ENDS.test(sql)) this.#inTransaction = false;
    }
  }

  async #named<R>(text: string, values: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (this.#retired.length > 0 && !this.#inTransaction) await this.#deallocateRetired();
    const name = this.#nameFor(text);
    if (name === undefined) return (await this.#client.query(text, values as unknown[])) as unknown as PostgresQueryResult<R>;
    try {
      return (await this.#client.query({ name, text, values: values as unknown[] })) as unknown as PostgresQueryResult<R>;
    } catch (e) {
      if (!isStalePlanError(e)) throw e;
      this.#forget(text, name);
      if (this.#inTransaction) throw e;
      return (await this.#client.query(text, values as unknown[])) as unknown as PostgresQueryResult<R>;
    }
  }

  #nameFor(text: string): string | undefined {
    const known = this.#names.get(text);
    if (known !== undefined) {
      // Most recently used last.
      this.#names.delete(text);
      this.#names.set(text, known);
      return known;
    }
    if (STAR.test(text)) return undefined;
    if (!this.#seen.has(text)) {
      if (this.#seen.size >= this.#max * 4) this.#seen = new Set();
      this.#seen.add(text);
      return undefined;
    }
    this.#seen.delete(text);
    const name = `qt_${(nextName++).toString(36)}`;
    this.#names.set(text, name);
    if (this.#names.size > this.#max) {
      const [oldest, oldName] = this.#names.entries().next().value as [string, string];
      this.#forget(oldest, oldName);
    }
    return name;
  }

  /**
   * The name is not used again; if the server holds it, it is deallocated before a later statement. pg's own record
   * of it goes only after the DEALLOCATE: a query already queued on this client under the name still finds it parsed.
   */
  #forget(text: string, name: string): void {
    if (this.#names.get(text) === name) this.#names.delete(text);
    const connection = (this.#client as unknown as ParsedStatements).connection;
    const held = connection?.parsedStatements?.[name] !== undefined || connection?.submittedNamedStatements?.[name] !== undefined;
    if (held && !this.#retired.includes(name)) this.#retired.push(name);
  }

  async #deallocateRetired(): Promise<void> {
    const names = this.#retired;
    this.#retired = [];
    for (const name of names) {
      // One at a time: a name the server no longer holds (26000) fails alone, and nothing is to be done about it.
      await this.#client.query(`DEALLOCATE ${name}`).catch(() => undefined);
      const parsed = (this.#client as unknown as ParsedStatements).connection?.parsedStatements;
      if (parsed) delete parsed[name];
    }
  }
}
