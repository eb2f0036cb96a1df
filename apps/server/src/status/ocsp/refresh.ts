/**
 * Keeps pre-signed responses current, in batches, within a time budget per run:
 *  1. Responses that disagree with their certificate — a status change whose presignNow was missed
 *     (the process died after the revocation committed, say). Candidates come from the status changes
 *     since the current delta-CRL base (indexed, bounded by the revocations of one full-CRL period);
 *     a change older than that has been looked at by every run since it happened.
 *  2. Certificates among the newest that have no response at all: issuance pre-signs right after its commit,
 *     off the answer's path, so a process that died in between leaves one (the newest `missingWindow`
 *     certificates by id — a range of the primary key — older than `missingAfterMs`, so a pre-signing still
 *     in flight is not done twice).
 *  3. Responses whose nextUpdate falls within `refreshBeforeHours`, soonest first (indexed).
 * The responder never serves a stale or disagreeing response either way (it signs on demand); this only
 * keeps that rare.
 */
import { sql } from 'kysely';
import type { ServerContext } from '../../context.ts';
import type { CaDirectory, CaEntry } from '../directory.ts';
import type { OcspPresigner } from './presign.ts';
import { responseMatches, type CertificateStatusRow } from './sign.ts';
import type { CertificateStatus } from '../../store/index.ts';

export interface RefreshOptions {
  batchSize?: number;
  /** Stop starting new batches after this long; the next run continues. */
  budgetMs?: number;
  /** How many of the newest certificates are checked for a missing response (default 10 000). */
  missingWindow?: number;
  /** Only certificates issued at least this long ago count as missing their response (default 10 s). */
  missingAfterMs?: number;
}

export interface RefreshResult {
  changed: number;
  /** Certificates that had no response (their pre-signing after issuance never happened). */
  missing: number;
  expiring: number;
  /** True when the budget ran out with work left. */
  more: boolean;
}

export async function refreshOcsp(ctx: ServerContext, directory: CaDirectory, presigner: OcspPresigner, options: RefreshOptions = {}): Promise<RefreshResult> {
  const batchSize = options.batchSize ?? 500;
  const deadline = performance.now() + (options.budgetMs ?? 30_000);
  const cas = (await directory.all()).filter((ca) => ca.ocspSigner);
  const result: RefreshResult = { changed: 0, missing: 0, expiring: 0, more: false };
  for (const ca of cas) result.changed += await presigner.presign(ca.id, await disagreeing(ctx, ca));
  const issuedBefore = new Date(ctx.now().getTime() - (options.missingAfterMs ?? 10_000));
  for (const ca of cas) {
    for (;;) {
      const serials = await missing(ctx, ca, options.missingWindow ?? 10_000, issuedBefore, batchSize);
      const stored = serials.length ? await presigner.presign(ca.id, serials) : 0;
      result.missing += stored;
      if (serials.length < batchSize || stored === 0) break;
      if (performance.now() > deadline) {
        result.more = true;
        break;
      }
    }
  }

  const cutoff = new Date(ctx.now().getTime() + ctx.config.ocsp.refreshBeforeHours * 3_600_000);
  const ids = cas.map((ca) => ca.id);
  while (ids.length > 0) {
    if (performance.now() > deadline) {
      result.more = true;
      break;
    }
    const due = await ctx.store.db
      .selectFrom('ocsp_responses')
      .select(['ca_id', 'serial'])
      .where('next_update', '<', cutoff)
      .where('ca_id', 'in', ids)
      .orderBy('next_update')
      .limit(batchSize)
      .execute();
    let stored = 0;
    for (const [caId, serials] of groupBy(due)) stored += await presigner.presign(caId, serials);
    result.expiring += stored;
    // A batch that stored nothing (every row changed under us) would come back identical: stop here.
    if (due.length < batchSize || stored === 0) break;
  }
  return result;
}

/** Serials of this CA whose stored response no longer says what the certificate row says. */
async function disagreeing(ctx: ServerContext, ca: CaEntry): Promise<string[]> {
  const { rows } = await sql<CertificateStatusRow & { cert_status: CertificateStatus; der: Buffer; suspect: boolean }>`
    SELECT DISTINCT ON (c.serial) c.serial, c.status, c.revocation_reason, c.revoked_at, r.cert_status,
           (r.cert_status = c.status) AS suspect, CASE WHEN r.cert_status = c.status THEN r.der END AS der
    FROM crl_state s
    JOIN certificate_status_changes ch ON ch.ca_id = s.ca_id AND ch.id > s.base_change_id
    JOIN certificates c ON c.id = ch.certificate_id
    JOIN ocsp_responses r ON r.ca_id = c.ca_id AND r.serial = c.serial
    WHERE s.ca_id = ${ca.id}
      AND (r.cert_status <> c.status OR (c.status = 'revoked' AND c.revocation_reason = 1))`.execute(ctx.store.db);
  // "suspect" rows agree on status but may predate a raise to keyCompromise: only their DER can tell.
  return rows.filter((r) => !r.suspect || !responseMatches(r, r.cert_status, r.der)).map((r) => r.serial);
}

/** Serials of this CA, among the newest `window` certificates issued before `issuedBefore`, that have no stored response. */
async function missing(ctx: ServerContext, ca: CaEntry, window: number, issuedBefore: Date, limit: number): Promise<string[]> {
  const { rows } = await sql<{ serial: string }>`
    SELECT c.serial FROM certificates c
    WHERE c.id > (SELECT coalesce(max(id), 0) FROM certificates) - ${window}
      AND c.ca_id = ${ca.id} AND c.issued_at <= ${issuedBefore}
      AND NOT EXISTS (SELECT 1 FROM ocsp_responses r WHERE r.ca_id = c.ca_id AND r.serial = c.serial)
    ORDER BY c.id LIMIT ${limit}`.execute(ctx.store.db);
  return rows.map((r) => r.serial);
}

function groupBy(rows: readonly { ca_id: number; serial: string }[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const r of rows) {
    const list = out.get(r.ca_id);
    if (list) list.push(r.serial);
    else out.set(r.ca_id, [r.serial]);
  }
  return out;
}
