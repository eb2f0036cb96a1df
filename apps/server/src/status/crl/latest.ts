/**
 * The newest full or delta CRL of a CA, as served at /crl/…. A full CRL of a national CA runs to tens of
 * megabytes, so the bytes are kept in memory per (CA, kind) and re-read only when a newer number appears;
 * asking for the newest number is an index-only lookup, so a CRL published by another node is served at once.
 */
import { QtError } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { CrlKind } from './generate.ts';

export interface PublishedCrl {
  crlNumber: string;
  der: Buffer;
  thisUpdate: Date;
  nextUpdate: Date;
}

export class LatestCrls {
  readonly #db: Kysely<Database>;
  readonly #cache = new Map<string, PublishedCrl>();

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Throws QT_ERR_CRL_NOT_FOUND when none of this kind has been published yet. */
  async get(caId: number, caName: string, kind: CrlKind): Promise<PublishedCrl> {
    const key = `${caId}:${kind}`;
    const newest = await this.#db
      .selectFrom('crls')
      .select('crl_number')
      .where('ca_id', '=', caId)
      .where('kind', '=', kind)
      .orderBy('crl_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!newest) throw new QtError('QT_ERR_CRL_NOT_FOUND', `No ${kind} CRL of "${caName}" has been published yet`, { ca: caName, kind });
    const cached = this.#cache.get(key);
    if (cached?.crlNumber === newest.crl_number) return cached;
    const row = await this.#db
      .selectFrom('crls')
      .select(['crl_number', 'der', 'this_update', 'next_update'])
      .where('ca_id', '=', caId)
      .where('crl_number', '=', newest.crl_number)
      .executeTakeFirstOrThrow();
    const crl: PublishedCrl = { crlNumber: row.crl_number, der: row.der, thisUpdate: row.this_update, nextUpdate: row.next_update };
    // Concurrent requests may both read; keep whichever is newer.
    const now = this.#cache.get(key);
    if (!now || BigInt(now.crlNumber) < BigInt(crl.crlNumber)) this.#cache.set(key, crl);
    return crl;
  }
}
