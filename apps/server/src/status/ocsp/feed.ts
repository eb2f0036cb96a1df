/**
 * Keeps a node's OCSP cache (cache.ts) in step with status changes made by any process, and bounds how long a
 * missed change can be served.
 *
 * Two channels, both from `certificate_status_changes` (migration ocsp_status_feed):
 *  - NOTIFY qoltanba_certificate_status "<ca_id> <serial>" at each changing commit → invalidate at once.
 *  - A poll every `freshnessMs / 3` for changes committed since the previous poll, by transaction id: rows whose
 *    txid is ≥ the previous snapshot's xmax or was in progress in it (its xip list). That is exact however
 *    transactions interleave — a change numbered earlier but committed later is not skipped, as a "greater id
 *    than last time" cursor would. Each successful poll moves the cache's freshness to (its start + the bound);
 *    without one, the cache stops answering once the bound has passed, and the database answers instead.
 * So a notification lost with a dropped connection costs at most one poll interval, and a feed that cannot poll
 * at all (connection hung, database gone) costs at most the bound before every answer is read fresh again.
 *
 * PostgreSQL: the feed has its own connection (LISTEN needs one that stays; polls go over it too, so a hung
 * connection shows as a lapsed bound, and is replaced). PGlite: one process owns the data directory and the
 * database has one connection (store/open-database.ts); the feed LISTENs on it, and PGlite delivers each
 * notification to that connection inside the committing query — before the writer's `await` returns — so
 * in-process invalidation is immediate; the poll runs too, as on PostgreSQL.
 */
import pg from 'pg';
import type { Logger } from '../../context.ts';
import type { Store } from '../../store/index.ts';
import type { OcspCache } from './cache.ts';

export const STATUS_CHANNEL = 'qoltanba_certificate_status';
/** More changes than this since the last poll: forget everything rather than read them all. */
const MAX_CHANGES_PER_POLL = 10_000;

const POLL = `
  SELECT s::text AS snapshot,
         (SELECT coalesce(json_agg(json_build_array(c.ca_id, c.serial)), '[]'::json)
            FROM (SELECT ca_id, serial FROM certificate_status_changes
                  WHERE txid >= $1::xid8 OR txid = ANY($2::xid8[])
                  ORDER BY id LIMIT ${MAX_CHANGES_PER_POLL + 1}) c) AS changes
  FROM pg_current_snapshot() s`;

export interface StatusFeedOptions {
  store: Store;
  cache: OcspCache;
  /** The freshness bound: how long, at most, an answer may be served after a change this feed did not see. */
  freshnessMs: number;
  log: Logger;
  /** PostgreSQL: where the feed's own connection goes (default: the store's database). */
  connectionString?: string | undefined;
}

interface Snapshot {
  xmax: string;
  xip: string[];
}

type Queryable = Pick<pg.ClientBase, 'query'>;

export class StatusFeed {
  readonly #o: StatusFeedOptions;
  readonly #pollEveryMs: number;
  #snapshot: Snapshot | undefined;
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #pid: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;
  #polling: Promise<void> | undefined;
  #stopped = true;
  #lastError: string | undefined;
  /** performance.now() of the last failed poll: within a poll interval of it, confirm() starts none. */
  #failedAt = -Infinity;

  constructor(options: StatusFeedOptions) {
    this.#o = options;
    this.#pollEveryMs = Math.max(20, Math.floor(options.freshnessMs / 3));
    options.cache.setConfirmer(() => this.confirm());
  }

  /**
   * Single flight for requests that find the bound lapsed (responder.ts): they all wait on the poll in flight —
   * or one started now — instead of each asking the database. True when that poll succeeded; the cache's
   * isFresh() then says whether it confirmed recently enough. Only while the feed is healthy (its last poll
   * succeeded: the lapse is a late poll, say a database short of CPU): once a poll has failed — connection lost
   * or hung, database away — requests read the database at once as before, rather than wait on a reconnection
   * (its own backoff goes on); nor is a poll started within a poll interval of a failed one.
   */
  confirm(): Promise<boolean> {
    if (this.#stopped || this.#lastError !== undefined) return Promise.resolve(false);
    const polling = this.#polling ?? (performance.now() - this.#failedAt < this.#pollEveryMs ? undefined : this.sync());
    return polling ? polling.then(() => true, () => false) : Promise.resolve(false);
  }

  /** The backend process id of the feed's connection (PostgreSQL), for operators and tests. */
  get backendPid(): number | undefined {
    return this.#pid;
  }

  /** LISTEN, then the first poll (which empties the cache: nothing before it was watched). Never throws. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (this.#o.store.backend === 'pglite') await this.#listenOnSharedConnection().catch((e: unknown) => this.#failed(e));
    await this.sync().catch(() => undefined);
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retry);
    this.#o.cache.expireFreshness();
    // The connection first: a poll hung on it ends with it.
    const client = this.#client;
    this.#client = undefined;
    if (client) await endWithin(client, 2000);
    await this.#polling?.catch(() => undefined);
  }

  /** One poll now, after any in flight: when it resolves, every change committed before the call is applied. */
  async sync(): Promise<void> {
    while (this.#polling) await this.#polling.catch(() => undefined);
    this.#polling = this.#poll().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.sync()
        .catch(() => undefined)
        .finally(() => this.#schedule());
    }, this.#pollEveryMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const sentAt = performance.now();
    try {
      const db = await this.#connection();
      const first = !this.#snapshot;
      const { rows } = await withDeadline(
        db.query<{ snapshot: string; changes: [number, string][] }>(first ? `SELECT s::text AS snapshot, '[]'::json AS changes FROM pg_current_snapshot() s` : POLL, first ? [] : [this.#snapshot!.xmax, this.#snapshot!.xip]),
        this.#o.freshnessMs,
        () => this.#drop('a poll took longer than the freshness bound'),
      );
      const row = rows[0]!;
      if (first || row.changes.length > MAX_CHANGES_PER_POLL) this.#o.cache.invalidateAll();
      else for (const [caId, serial] of row.changes) this.#o.cache.invalidate(caId, serial);
      this.#snapshot = parseSnapshot(row.snapshot);
      this.#o.cache.confirmFreshUntil(sentAt + this.#o.freshnessMs);
      this.#failures = 0;
      if (this.#lastError) {
        this.#o.log.info(`OCSP cache: change feed back (was: ${this.#lastError})`);
        this.#lastError = undefined;
      }
    } catch (e) {
      this.#failedAt = performance.now();
      this.#failed(e);
      throw e;
    }
  }

  /** PostgreSQL: the feed's own connection, LISTENing; PGlite: the store's one connection. */
  async #connection(): Promise<Queryable> {
    if (this.#o.store.backend === 'pglite') return this.#o.store.pool;
    if (this.#client) return this.#client;
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#o.connectionString ?? this.#o.store.connectionString,
      connectionTimeoutMillis: Math.max(1000, this.#o.freshnessMs),
      application_name: 'qoltanba-ocsp-feed',
    });
    client.on('notification', (n) => this.#notified(n.payload));
    client.on('error', (e) => this.#lost(client, e.message));
    client.on('end', () => this.#lost(client, 'connection closed'));
    try {
      await client.connect();
      await client.query(`LISTEN ${STATUS_CHANNEL}`);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      this.#pid = rows[0]?.pid;
    } catch (e) {
      client.removeAllListeners('end');
      await endWithin(client, 2000);
      throw e;
    }
    if (this.#stopped) {
      await endWithin(client, 2000);
      throw new Error('the change feed was stopped');
    }
    this.#client = client;
    return client;
  }

  async #listenOnSharedConnection(): Promise<void> {
    const client = await this.#o.store.pool.connect();
    try {
      client.on('notification', (n) => n.channel === STATUS_CHANNEL && this.#notified(n.payload));
      await client.query(`LISTEN ${STATUS_CHANNEL}`);
    } finally {
      client.release();
    }
  }

  #notified(payload: string | undefined): void {
    const at = payload?.indexOf(' ') ?? -1;
    if (!payload || at < 0) return;
    this.#o.cache.invalidate(Number(payload.slice(0, at)), payload.slice(at + 1));
  }

  #lost(client: pg.Client, why: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#pid = undefined;
    // Notifications may be lost until the next poll succeeds; the bound still holds, the cache keeps serving
    // until it runs out. The next poll reconnects, LISTENs again and catches up from the last snapshot: soon,
    // not at the next scheduled poll (backing off while the database stays away).
    if (this.#stopped) return;
    this.#failed(new Error(why));
    this.#reconnectSoon();
  }

  #reconnectSoon(): void {
    if (this.#retry || this.#stopped) return;
    const delay = Math.min(this.#pollEveryMs, 50 * 2 ** Math.min(this.#failures++, 10));
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.sync().catch(() => this.#reconnectSoon());
    }, delay);
    this.#retry.unref();
  }

  /** Ends a hung connection: its pending query fails, and the next poll opens another. */
  #drop(why: string): void {
    const client = this.#client;
    if (!client) return;
    this.#lost(client, why);
    destroy(client);
  }

  #failed(e: unknown): void {
    const message = (e as Error)?.message ?? String(e);
    if (this.#lastError === undefined && !this.#stopped) this.#o.log.warn(`OCSP cache: change feed unavailable (${message}); answers come from the database once the ${this.#o.freshnessMs} ms bound has passed`);
    this.#lastError = message;
  }
}

function parseSnapshot(text: string): Snapshot {
  // xmin:xmax:xip,xip,… (pg_snapshot's text form)
  const [, xmax = '0', xip = ''] = text.split(':');
  return { xmax, xip: xip ? xip.split(',') : [] };
}

/** pg's end() waits for the server to close the connection, which a hung link never does. */
async function endWithin(client: pg.Client, ms: number): Promise<void> {
  const timer = setTimeout(() => destroy(client), ms);
  try {
    await client.end();
  } catch {
    // already gone
  } finally {
    clearTimeout(timer);
  }
}

function destroy(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

function withDeadline<T>(promise: Promise<T>, ms: number, onLate: () => void): Promise<T> {
  const timer = setTimeout(onLate, ms);
  timer.unref();
  return promise.finally(() => clearTimeout(timer));
}
