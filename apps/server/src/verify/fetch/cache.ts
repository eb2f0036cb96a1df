/**
 * Evidence kept until it stops being current: a CRL until its nextUpdate, an OCSP answer until its
 * nextUpdate (or a short configured time when it has none), a failure for a few seconds. Concurrent asks
 * for the same key share one fetch. Bounded by total bytes; the entries expiring first go first.
 */
import { isQtError, type Bytes } from '@qoltanba/pki';

interface Entry {
  bytes: Bytes | undefined;
  error: unknown;
  expires: number;
}

export interface CacheOptions {
  maxBytes: number;
  failureMs: number;
  now: () => number;
}

export class EvidenceCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Bytes>>();
  private bytes = 0;

  constructor(private readonly options: CacheOptions) {}

  /**
   * The cached bytes for `key`, or those `load` gives (it also says until when they may be reused: a time
   * in ms, or undefined not to keep them).
   */
  async get(key: string, load: () => Promise<{ bytes: Bytes; until: number | undefined }>): Promise<Bytes> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.options.now()) {
      if (hit.bytes) return hit.bytes;
      throw hit.error;
    }
    if (hit) this.drop(key);
    let p = this.pending.get(key);
    if (!p) {
      p = this.fill(key, load).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /** Forgets everything cached (an operator who knows a CRL was replaced early; tests). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private async fill(key: string, load: () => Promise<{ bytes: Bytes; until: number | undefined }>): Promise<Bytes> {
    try {
      const { bytes, until } = await load();
      if (until !== undefined && until > this.options.now()) this.put(key, { bytes, error: undefined, expires: until });
      return bytes;
    } catch (e) {
      // Remembered briefly so a dead or slow responder is not asked by every request; never an internal error.
      if (isQtError(e) && this.options.failureMs > 0) this.put(key, { bytes: undefined, error: e, expires: this.options.now() + this.options.failureMs });
      throw e;
    }
  }

  private put(key: string, entry: Entry): void {
    const size = entry.bytes?.length ?? 0;
    if (size > this.options.maxBytes) return;
    this.drop(key);
    while (this.bytes + size > this.options.maxBytes) {
      let soonest: string | undefined;
      let at = Number.POSITIVE_INFINITY;
      for (const [k, e] of this.entries) {
        if (e.expires < at) {
          at = e.expires;
          soonest = k;
        }
      }
      if (soonest === undefined) break;
      this.drop(soonest);
    }
    this.entries.set(key, entry);
    this.bytes += size;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes?.length ?? 0;
  }
}
