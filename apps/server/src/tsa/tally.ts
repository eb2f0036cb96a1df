/**
 * Stamps in the audit log: counted and sampled, not written one row each (a TSA issues thousands a
 * second; a row each would make the audit chain the bottleneck and bury every other entry). Each period
 * (tsa.auditEveryMinutes, and when the process stops) one `tsa.stamps` entry says, for this process's
 * serial prefix: how many stamps each TSA granted with the first and last serial, how many requests were
 * refused and why, and a uniform random sample of the stamps (serial, time, policy, hash, imprint) — so an
 * auditor can tell whether a serial shown to them is one we issued, and spot-check what was stamped.
 * Nothing a client sent beyond the hash of its document is recorded. A failed write keeps the counts for
 * the next period.
 */
import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { digestName } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import type { Database } from '../store/schema.ts';

export interface StampSample {
  tsa: string;
  serial: string;
  genTime: string;
  policy: string;
  hashAlgorithm: string;
  /** Hex of the hash the client sent (the document itself never reaches us). */
  imprint: string;
}

interface PerTsa {
  granted: number;
  firstSerial: string;
  lastSerial: string;
}

interface Period {
  from: Date;
  byTsa: Map<string, PerTsa>;
  refused: Map<string, number>;
  samples: StampSample[];
  /** Stamps seen this period (reservoir sampling needs the count). */
  seen: number;
}

export class StampTally {
  readonly #db: Kysely<Database>;
  readonly #serialPrefix: string;
  readonly #samples: number;
  readonly #now: () => Date;
  #period: Period;

  constructor(db: Kysely<Database>, options: { serialPrefix: bigint; samples: number; now: () => Date }) {
    this.#db = db;
    this.#serialPrefix = options.serialPrefix.toString(16).toUpperCase();
    this.#samples = options.samples;
    this.#now = options.now;
    this.#period = this.#fresh();
  }

  #fresh(): Period {
    return { from: this.#now(), byTsa: new Map(), refused: new Map(), samples: [], seen: 0 };
  }

  granted(stamp: { tsa: string; serial: string; genTime: Date; policy: string; hashAlgorithm: string; imprint: Uint8Array }): void {
    const p = this.#period;
    const t = p.byTsa.get(stamp.tsa);
    if (t) {
      t.granted++;
      t.lastSerial = stamp.serial;
    } else {
      p.byTsa.set(stamp.tsa, { granted: 1, firstSerial: stamp.serial, lastSerial: stamp.serial });
    }
    p.seen++;
    // Reservoir sampling (Algorithm R): every stamp of the period is equally likely to be in the sample.
    const slot = p.seen <= this.#samples ? p.seen - 1 : randomInt(p.seen);
    if (slot < this.#samples) {
      p.samples[slot] = {
        tsa: stamp.tsa,
        serial: stamp.serial,
        genTime: stamp.genTime.toISOString(),
        policy: stamp.policy,
        hashAlgorithm: digestName(stamp.hashAlgorithm),
        imprint: Buffer.from(stamp.imprint).toString('hex'),
      };
    }
  }

  refused(code: string): void {
    this.#period.refused.set(code, (this.#period.refused.get(code) ?? 0) + 1);
  }

  /** Writes the period's entry (when anything happened) and starts a new period. */
  async flush(): Promise<void> {
    const p = this.#period;
    if (p.seen === 0 && p.refused.size === 0) return;
    this.#period = this.#fresh();
    const to = this.#now();
    try {
      await appendAudit(this.#db, {
        actor: 'system:tsa',
        action: 'tsa.stamps',
        target: `tsa-serials:${this.#serialPrefix}`,
        details: {
          from: p.from.toISOString(),
          to: to.toISOString(),
          serialPrefix: this.#serialPrefix,
          granted: p.seen,
          byTsa: Object.fromEntries(p.byTsa),
          refused: Object.fromEntries(p.refused),
          samples: p.samples,
        },
      });
    } catch (e) {
      this.#restore(p);
      throw e;
    }
  }

  /** Puts an unwritten period back in front of the current one, so no count is lost. */
  #restore(old: Period): void {
    const cur = this.#period;
    for (const [tsa, t] of cur.byTsa) {
      const o = old.byTsa.get(tsa);
      if (o) old.byTsa.set(tsa, { granted: o.granted + t.granted, firstSerial: o.firstSerial, lastSerial: t.lastSerial });
      else old.byTsa.set(tsa, t);
    }
    for (const [code, n] of cur.refused) old.refused.set(code, (old.refused.get(code) ?? 0) + n);
    // The samples stay those of the older stamps; the newer ones are still counted.
    old.seen += cur.seen;
    this.#period = old;
  }
}
