/**
 * Pre-signed OCSP responses: one per certificate, signed by the CA's delegated OCSP signer and kept in
 * `ocsp_responses`, so answering a plain request costs a lookup and no RSA operation.
 *
 * Signing happens outside any transaction (a signature takes a millisecond or more, and on PGlite a
 * transaction holds the only connection). The race that opens — the status changes between our read and
 * our write — is closed by the write itself: a response is stored only if the certificate still has the
 * status and reason it asserts, checked in the same statement. A response that loses that race is simply
 * not stored; the caller that changed the status re-signs (presignNow), and the responder never serves a
 * stored response that disagrees with the certificate row.
 *
 * A "good" row whose audit history says revoked or on hold (an edit made with the triggers off) is not signed
 * at all (audit-guard.ts).
 */
import { makeCertId, QtError } from '@qoltanba/pki';
import { sql, type RawBuilder } from 'kysely';
import type { ServerContext } from '../../context.ts';
import type { CaDirectory, CaEntry } from '../directory.ts';
import { certStatusOf, signOcsp, type CertificateStatusRow, type ResponderKey, type SignedOcsp } from './sign.ts';
import { goodAgainstAudit } from './audit-guard.ts';

/** Rows read and written per statement. */
const BATCH = 500;
/** Signatures in flight at once: WebCrypto and PKCS#11 sign off the event loop, so a few overlap well. */
const SIGN_CONCURRENCY = 8;

/**
 * A new certificate's "good" response, signed before the certificate commits, for the statement that stores the
 * certificate to store too (ra/batch.ts): no statement, transaction or audit read of its own after the commit.
 */
export interface FreshResponse {
  caId: number;
  serial: string;
  signerId: number;
  der: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * `INSERT INTO ocsp_responses …` for the responses whose certificate the caller's CTE `cte` (columns ca_id, serial)
 * stored — a certificate that was not stored (a serial collision) gets none. The audit guard (audit-guard.ts) is not
 * asked: a certificate stored by this very statement has no audit history but its `certificate.issued`.
 */
export function storeFreshFrom(cte: string, responses: readonly FreshResponse[]): RawBuilder<unknown> {
  return sql`INSERT INTO ocsp_responses (ca_id, serial, signer_id, cert_status, der, this_update, next_update)
    SELECT v.ca_id, v.serial, v.signer_id, 'good', v.der, v.this_update, v.next_update
    FROM unnest(${responses.map((r) => r.caId)}::int4[], ${responses.map((r) => r.serial)}::text[], ${responses.map((r) => r.signerId)}::int4[],
                ${responses.map((r) => Buffer.from(r.der))}::bytea[], ${responses.map((r) => r.thisUpdate.toISOString())}::timestamptz[],
                ${responses.map((r) => r.nextUpdate.toISOString())}::timestamptz[]) AS v(ca_id, serial, signer_id, der, this_update, next_update)
    JOIN ${sql.table(cte)} ON ${sql.ref(`${cte}.ca_id`)} = v.ca_id AND ${sql.ref(`${cte}.serial`)} = v.serial
    ON CONFLICT (ca_id, serial) DO NOTHING`;
}

interface FreshCertificate {
  caId: number;
  serial: string;
  done: (error?: unknown) => void;
}

export class OcspPresigner {
  readonly #ctx: ServerContext;
  readonly #directory: CaDirectory;
  /** Certificates just issued, waiting for the next batch (presignIssued). */
  #fresh: FreshCertificate[] = [];
  /** The batches being stored, while there are any. */
  #flushing: Promise<void> | undefined;

  constructor(ctx: ServerContext, directory: CaDirectory) {
    this.#ctx = ctx;
    this.#directory = directory;
  }

  /** The CA's delegated signer, opened for OCSP only. */
  async keyFor(ca: CaEntry): Promise<ResponderKey> {
    if (!ca.ocspSigner) throw new QtError('QT_ERR_OCSP_SIGNER_MISSING', `The CA "${ca.name}" has no active OCSP signing certificate`, { ca: ca.name });
    return { ca, entry: ca.ocspSigner, signer: await this.#ctx.signers.signerFor(ca.ocspSigner.keyUri, 'ocsp') };
  }

  get validityMs(): number {
    return this.#ctx.config.ocsp.validityHours * 3_600_000;
  }

  /**
   * Signs and stores a response for each of these certificates (serials as the certificates table spells
   * them; ones the CA never issued are skipped). Returns how many were stored.
   */
  async presign(caId: number, serials: readonly string[]): Promise<number> {
    const ca = await this.#directory.byId(caId);
    const key = await this.keyFor(ca);
    let stored = 0;
    for (let i = 0; i < serials.length; i += BATCH) {
      const rows = await this.#ctx.store.db
        .selectFrom('certificates')
        .select(['serial', 'status', 'revocation_reason', 'revoked_at'])
        .where('ca_id', '=', caId)
        .where('serial', 'in', serials.slice(i, i + BATCH))
        .execute();
      stored += (await this.signAndStore(key, rows)).stored;
    }
    return stored;
  }

  /**
   * For issuance, right after its commit: the new certificate's "good" response, signed and stored. Issuances that
   * commit while a batch is being stored wait for the next one, so under load one INSERT stores many responses;
   * a lone issuance is stored at once. No read first: a fresh certificate is good, and the INSERT stores a
   * response only if the row still says so (presign.ts's race rule), so a revocation in between wins.
   */
  presignIssued(caId: number, serial: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#fresh.push({ caId, serial, done: (e) => (e === undefined ? resolve() : reject(e)) });
      this.#flushing ??= this.#flushFresh();
    });
  }

  /** The "good" response of a certificate about to be stored (serial as the table spells it); see FreshResponse. */
  async signFresh(caId: number, serial: string): Promise<FreshResponse | undefined> {
    // Called inside the issuing transaction: the CA as last loaded, never a load (on PGlite it would wait for the
    // connection that transaction holds). Not loaded yet (a process's first issuances): none, and the issuance
    // pre-signs after its commit instead (presignIssued).
    const ca = this.#directory.peekById(caId);
    if (!ca) return undefined;
    const key = await this.keyFor(ca);
    const certId = makeCertId(key.ca.hashes, serial, 'SHA-1');
    const s = await signOcsp(key, [{ certId, status: { status: 'good' } }], this.#ctx.now(), this.validityMs);
    return { caId, serial, signerId: key.entry.id, der: s.der, thisUpdate: s.thisUpdate, nextUpdate: s.nextUpdate };
  }

  /** Resolves once no pre-signing of new certificates is queued or in progress (the status service's stop waits for it). */
  async settled(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /**
   * Stores batches until nothing waits. The emptiness check and clearing the flag run with no await between
   * them, so a certificate queued meanwhile is never left without a flush. The first batch is taken a microtask
   * later, so certificates announced in the same tick (a re-issuance's pair) share it.
   */
  async #flushFresh(): Promise<void> {
    await undefined;
    try {
      while (this.#fresh.length > 0) {
        const batch = this.#fresh.splice(0, BATCH);
        const byCa = new Map<number, FreshCertificate[]>();
        for (const f of batch) byCa.set(f.caId, [...(byCa.get(f.caId) ?? []), f]);
        for (const [caId, list] of byCa) {
          try {
            const key = await this.keyFor(await this.#directory.byId(caId));
            await this.signAndStore(key, list.map((f) => ({ serial: f.serial, status: 'good' as const, revocation_reason: null, revoked_at: null })));
            for (const f of list) f.done();
          } catch (e) {
            for (const f of list) f.done(e);
          }
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** For the revocation service, right after its commit: the new status shows in OCSP at once. */
  async presignNow(caId: number, serial: string): Promise<void> {
    await this.presign(caId, [serial]);
  }

  /**
   * Signs one response per row and stores those whose row is still unchanged. Returns every signed response
   * by serial (each was true when its row was read) and how many were stored. A row refused by the audit
   * guard gets no response.
   */
  async signAndStore(key: ResponderKey, candidates: readonly CertificateStatusRow[]): Promise<{ responses: Map<string, SignedOcsp>; stored: number }> {
    const signed = new Map<string, SignedOcsp>();
    if (candidates.length === 0) return { responses: signed, stored: 0 };
    const refused = await goodAgainstAudit(this.#ctx, key.ca.name, candidates);
    const rows = refused.size ? candidates.filter((r) => !refused.has(r.serial)) : candidates;
    if (rows.length === 0) return { responses: signed, stored: 0 };
    const at = this.#ctx.now();
    const certIdOf = (serial: string) => makeCertId(key.ca.hashes, serial, 'SHA-1');
    await forEachLimited(rows, SIGN_CONCURRENCY, async (row) => {
      signed.set(row.serial, await signOcsp(key, [{ certId: certIdOf(row.serial), status: certStatusOf(row) }], at, this.validityMs));
    });
    const list = rows.map((r) => ({ row: r, s: signed.get(r.serial)! }));
    const { rows: written } = await sql<{ serial: string }>`
      INSERT INTO ocsp_responses (ca_id, serial, signer_id, cert_status, der, this_update, next_update)
      SELECT ${key.ca.id}, v.serial, ${key.entry.id}, v.cert_status, v.der, v.this_update, v.next_update
      FROM unnest(${list.map((x) => x.row.serial)}::text[], ${list.map((x) => x.row.status)}::text[],
                  ${list.map((x) => x.row.revocation_reason)}::smallint[], ${list.map((x) => Buffer.from(x.s.der))}::bytea[],
                  ${list.map((x) => x.s.thisUpdate.toISOString())}::timestamptz[], ${list.map((x) => x.s.nextUpdate.toISOString())}::timestamptz[])
             AS v(serial, cert_status, reason, der, this_update, next_update)
      JOIN certificates c ON c.ca_id = ${key.ca.id} AND c.serial = v.serial
                         AND c.status = v.cert_status AND c.revocation_reason IS NOT DISTINCT FROM v.reason
      ON CONFLICT (ca_id, serial) DO UPDATE SET
        signer_id = EXCLUDED.signer_id, cert_status = EXCLUDED.cert_status, der = EXCLUDED.der,
        this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update
      RETURNING serial`.execute(this.#ctx.store.db);
    return { responses: signed, stored: written.length };
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
