/**
 * Pre-signed OCSP answers in memory, so a node answers the usual request (one SHA-1 certID, no nonce) without a
 * database round trip.
 *
 * Entries are keyed by CA and serial; the exact request bytes (a POST body, or a GET path as sent) are aliases
 * of an entry, so a repeated request is answered without even parsing it — the bytes were parsed once, and the
 * same bytes always name the same certificate. Both maps are bounded (bytes), oldest first out, except that an
 * entry hit since it was last looked at by the eviction gets a second chance (moved to the back, its mark
 * cleared): an approximation of LRU (CLOCK) where a hit only sets a flag. Moving the entry on the hit itself
 * cost four Map operations on the hot path (a round-robin client hits the oldest entry every time).
 *
 * Staleness has two guards, both owned by the change feed (feed.ts):
 *  - invalidate(caId, serial) when any process changes that certificate's status (NOTIFY, or the feed's poll);
 *  - a freshness bound: entries are served only while `performance.now() < freshUntil`, and only a successful
 *    poll of the change feed moves freshUntil (to the poll's start + the bound). A missed notification can
 *    therefore not be served for longer than the bound: after it, every answer comes from the database again
 *    until a poll has seen every change.
 * A lookup that raced an invalidation must not put its (possibly older) answer back: put() takes the generation
 * read before the lookup began and refuses if that certificate, or everything, was invalidated since.
 *
 * Written by hand: the bound, the aliases and the generation check are the point, and no LRU package does them.
 */
import type { OcspAnswer } from './answer.ts';

export interface CachedOcsp {
  readonly caId: number;
  readonly serial: string;
  /** The OCSP signer that signed it: an answer from a rotated signer is not served. */
  readonly signerId: number;
  /** The answer as the HTTP layer sends it (outcome 'cached'). */
  readonly answer: OcspAnswer & { validity: NonNullable<OcspAnswer['validity']> };
  /** Not served at or after this instant (ms since the epoch): nextUpdate minus the re-signing margin. */
  readonly staleAt: number;
  /** Not served before this instant either (thisUpdate; a clock moved back). */
  readonly validFrom: number;
  readonly bytes: number;
  /** Hit since the eviction last passed it: it gets a second chance instead of going. */
  referenced: boolean;
  dead: boolean;
}

export interface OcspCacheOptions {
  /** Memory for answers and request aliases together (default 64 MiB). */
  maxBytes?: number;
}

export interface OcspCacheStats {
  entries: number;
  aliases: number;
  bytes: number;
  hits: number;
  misses: number;
  /** The bound has run out since the last successful poll (answers come from the database). */
  fresh: boolean;
}

/** Per-entry bookkeeping beyond the DER (map slots, dates, strings), a rough figure. */
const ENTRY_OVERHEAD = 400;
const ALIAS_OVERHEAD = 120;
/** Invalidations remembered per certificate (for racing lookups); past this, one global invalidation instead. */
const MAX_REMEMBERED = 10_000;

export class OcspCache {
  readonly #entries = new Map<string, CachedOcsp>();
  readonly #aliases = new Map<string, Alias>();
  readonly #maxEntryBytes: number;
  readonly #maxAliasBytes: number;
  #entryBytes = 0;
  #aliasBytes = 0;
  #generation = 0;
  /** A lookup that began at or before this generation must not be stored. */
  #globalFloor = 0;
  readonly #invalidatedAt = new Map<string, number>();
  #freshUntil = 0;
  #confirm: (() => Promise<boolean>) | undefined;
  #hits = 0;
  #misses = 0;

  constructor(options: OcspCacheOptions = {}) {
    const max = options.maxBytes ?? 64 << 20;
    this.#maxEntryBytes = Math.floor(max * 0.8);
    this.#maxAliasBytes = max - this.#maxEntryBytes;
  }

  /** Read before a database lookup whose answer may be put() here. */
  get generation(): number {
    return this.#generation;
  }

  /** True while the change feed has confirmed, within the bound, that nothing served here is stale. */
  isFresh(monotonicNow: number = performance.now()): boolean {
    return monotonicNow < this.#freshUntil;
  }

  /** The change feed's successful poll: nothing that committed before `monotonicAt - bound` is missed. */
  confirmFreshUntil(monotonicUntil: number): void {
    if (monotonicUntil > this.#freshUntil) this.#freshUntil = monotonicUntil;
  }

  /**
   * The change feed's single-flight confirmation (feed.ts): resolves true once a poll has succeeded — the one
   * in flight, or one started now — false if it failed or there is no feed. Whether that poll made the cache
   * fresh is for isFresh() to say: a poll that began too long ago confirms nothing.
   */
  setConfirmer(confirm: (() => Promise<boolean>) | undefined): void {
    this.#confirm = confirm;
  }

  confirmFreshness(): Promise<boolean> {
    return this.#confirm ? this.#confirm() : Promise.resolve(false);
  }

  /**
   * These request bytes name a live entry that is held back only because the bound has lapsed: worth waiting
   * for the feed's confirmation rather than asking the database (responder.ts).
   */
  lapsed(requestKey: string): boolean {
    const alias = this.#aliases.get(requestKey);
    return alias !== undefined && !alias.entry.dead && !this.isFresh();
  }

  /** Stop serving from memory now (the feed lost track); a later successful poll resumes. */
  expireFreshness(): void {
    this.#freshUntil = 0;
  }

  /** The live entry a request's exact bytes name, if fresh; validity dates and signer are the caller's to check. */
  get(requestKey: string): CachedOcsp | undefined {
    const alias = this.#aliases.get(requestKey);
    if (!alias || alias.entry.dead || !this.isFresh()) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    alias.referenced = true;
    alias.entry.referenced = true;
    return alias.entry;
  }

  has(caId: number, serial: string): boolean {
    return this.#entries.has(keyOf(caId, serial));
  }

  /**
   * Stores an answer read from the database (or just signed) for (caId, serial), reachable by `requestKey`.
   * Refused — returns false — when that certificate or everything was invalidated after `generation`.
   */
  put(requestKey: string, fields: Omit<CachedOcsp, 'bytes' | 'referenced' | 'dead'>, generation: number): boolean {
    const key = keyOf(fields.caId, fields.serial);
    if (generation < this.#globalFloor || (this.#invalidatedAt.get(key) ?? -1) > generation) return false;
    const bytes = fields.answer.der.byteLength + ENTRY_OVERHEAD;
    if (bytes > this.#maxEntryBytes) return false;
    const old = this.#entries.get(key);
    let entry: CachedOcsp;
    // The same bytes read again (another request form — a GET after a POST — or another alias of the same
    // certificate): keep the entry, so the aliases it already has stay live. Replacing it would kill them, and
    // a client mixing GET and POST for one certificate would send every other request to the database.
    if (old && !old.dead && (old.answer.der === fields.answer.der || sameBytes(old.answer.der, fields.answer.der))) {
      entry = old;
    } else {
      if (old) this.#remove(key, old);
      entry = { ...fields, bytes, referenced: false, dead: false };
      this.#entries.set(key, entry);
      this.#entryBytes += bytes;
      while (this.#entryBytes > this.#maxEntryBytes) {
        const [oldestKey, oldest] = this.#entries.entries().next().value as [string, CachedOcsp];
        if (oldest.referenced && oldest !== entry) {
          oldest.referenced = false;
          this.#entries.delete(oldestKey);
          this.#entries.set(oldestKey, oldest);
        } else {
          this.#remove(oldestKey, oldest);
        }
      }
    }
    const previous = this.#aliases.get(requestKey);
    if (previous) this.#aliasBytes -= aliasBytes(requestKey);
    this.#aliases.delete(requestKey);
    const alias: Alias = { entry, referenced: false };
    this.#aliases.set(requestKey, alias);
    this.#aliasBytes += aliasBytes(requestKey);
    while (this.#aliasBytes > this.#maxAliasBytes) {
      const [oldestKey, oldest] = this.#aliases.entries().next().value as [string, Alias];
      this.#aliases.delete(oldestKey);
      if (oldest.referenced && oldest !== alias && !oldest.entry.dead) {
        oldest.referenced = false;
        this.#aliases.set(oldestKey, oldest);
      } else {
        this.#aliasBytes -= aliasBytes(oldestKey);
      }
    }
    return true;
  }

  /** This certificate's status changed (any process): its answer goes, and no lookup in flight may restore it. */
  invalidate(caId: number, serial: string): void {
    const key = keyOf(caId, serial);
    const generation = ++this.#generation;
    const entry = this.#entries.get(key);
    if (entry) this.#remove(key, entry);
    if (this.#invalidatedAt.size >= MAX_REMEMBERED) {
      this.#invalidatedAt.clear();
      this.#globalFloor = generation;
    } else {
      this.#invalidatedAt.set(key, generation);
    }
  }

  /** Everything goes (the feed could not tell what changed: its first poll, or more changes than it reads at once). */
  invalidateAll(): void {
    this.#globalFloor = ++this.#generation;
    this.#invalidatedAt.clear();
    for (const entry of this.#entries.values()) entry.dead = true;
    this.#entries.clear();
    this.#aliases.clear();
    this.#entryBytes = 0;
    this.#aliasBytes = 0;
  }

  stats(): OcspCacheStats {
    return { entries: this.#entries.size, aliases: this.#aliases.size, bytes: this.#entryBytes + this.#aliasBytes, hits: this.#hits, misses: this.#misses, fresh: this.isFresh() };
  }

  #remove(key: string, entry: CachedOcsp): void {
    entry.dead = true;
    this.#entries.delete(key);
    this.#entryBytes -= entry.bytes;
  }
}

interface Alias {
  readonly entry: CachedOcsp;
  /** Hit since the eviction last passed it. */
  referenced: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

function keyOf(caId: number, serial: string): string {
  return `${caId} ${serial}`;
}

function aliasBytes(requestKey: string): number {
  return requestKey.length + ALIAS_OVERHEAD;
}
