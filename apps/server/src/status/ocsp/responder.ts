/**
 * Answers one OCSP request (DER in, DER out), never throwing: every failure is an OCSP status.
 *
 * The hot path — one SHA-1 certID, no nonce, the usual RFC 5019 request — is one indexed lookup that
 * joins the certificate row with its pre-signed response and returns the stored bytes: no RSA operation.
 * Everything else is signed on demand and never stored: a nonce must be echoed, several certIDs need one
 * response naming them all, a SHA-256 certID needs a response naming it the same way, and a serial we
 * never issued has no row to store against. A pre-signed response that is missing, stale, from a rotated
 * signer or disagrees with the certificate row is re-signed and stored on the way.
 */
import { buildOcspErrorResponse, hashOids, isQtError, parseOcspRequest, QtError, type OcspRequestInfo } from '@qoltanba/pki';
import type { ServerContext } from '../../context.ts';
import type { CertificateStatus } from '../../store/index.ts';
import type { CaDirectory, CaEntry } from '../directory.ts';
import type { OcspPresigner } from './presign.ts';
import { certStatusOf, responseMatches, signOcsp, storedSerial, type CertificateStatusRow, type SignItem } from './sign.ts';
import { assertStatusesAudited } from './audit-guard.ts';

export type OcspOutcome = 'presigned' | 'signed' | 'malformedRequest' | 'unauthorized' | 'internalError' | 'tryLater';

export interface OcspAnswer {
  der: Uint8Array;
  outcome: OcspOutcome;
  /** Present when HTTP caches may keep the answer (no nonce): its thisUpdate and nextUpdate. */
  validity?: { thisUpdate: Date; nextUpdate: Date } | undefined;
}

interface JoinedRow extends CertificateStatusRow {
  der: Buffer | null;
  cert_status: CertificateStatus | null;
  signer_id: number | null;
  this_update: Date | null;
  next_update: Date | null;
}

const SHA1 = hashOids['SHA-1'];
const LOOKUP = `
  SELECT c.serial, c.status, c.revocation_reason, c.revoked_at,
         r.der, r.cert_status, r.signer_id, r.this_update, r.next_update
  FROM certificates c LEFT JOIN ocsp_responses r ON r.ca_id = c.ca_id AND r.serial = c.serial
  WHERE c.ca_id = $1 AND c.serial = $2`;
/** A stored response this close to its nextUpdate is re-signed rather than served. */
const STALE_MARGIN_MS = 60_000;

const errorAnswers = {
  malformedRequest: buildOcspErrorResponse('malformedRequest'),
  unauthorized: buildOcspErrorResponse('unauthorized'),
  internalError: buildOcspErrorResponse('internalError'),
  tryLater: buildOcspErrorResponse('tryLater'),
} as const;

export function ocspErrorAnswer(outcome: keyof typeof errorAnswers): OcspAnswer {
  return { der: errorAnswers[outcome], outcome };
}

export class OcspResponder {
  readonly #ctx: ServerContext;
  readonly #directory: CaDirectory;
  readonly #presigner: OcspPresigner;
  /** On-demand signatures in progress (see config.ocsp.onDemandConcurrency). */
  #onDemandInFlight = 0;

  constructor(ctx: ServerContext, directory: CaDirectory, presigner: OcspPresigner) {
    this.#ctx = ctx;
    this.#directory = directory;
    this.#presigner = presigner;
  }

  async answer(request: Uint8Array): Promise<OcspAnswer> {
    let info: OcspRequestInfo;
    try {
      if (request.length > this.#ctx.config.limits.ocspRequestBytes) return ocspErrorAnswer('malformedRequest');
      info = parseOcspRequest(request);
    } catch {
      return ocspErrorAnswer('malformedRequest');
    }
    try {
      return await this.#answerParsed(info);
    } catch (e) {
      const busy = isQtError(e, 'QT_ERR_STORE_BUSY') || isQtError(e, 'QT_ERR_STORE_UNAVAILABLE') || isConnectionError(e);
      this.#ctx.log.error({ err: e }, 'OCSP request failed');
      return ocspErrorAnswer(busy ? 'tryLater' : 'internalError');
    }
  }

  async #answerParsed(info: OcspRequestInfo): Promise<OcspAnswer> {
    const issuers = await Promise.all(info.certIds.map((id) => this.#directory.forCertId(id)));
    // One response has one signer: answer for the first CA we sign for; certIDs of others get "unknown".
    const ca = issuers.find((c): c is CaEntry => !!c?.ocspSigner);
    if (!ca) return ocspErrorAnswer('unauthorized');
    const [only] = info.certIds;
    if (info.certIds.length === 1 && only && !info.nonce && only.hashAlgorithm === SHA1) {
      return this.#presignedOrRefreshed(ca, storedSerial(only.serial), info);
    }
    return this.#onDemand(ca, info, issuers);
  }

  async #presignedOrRefreshed(ca: CaEntry, serial: string, info: OcspRequestInfo): Promise<OcspAnswer> {
    // A named statement: each connection parses and plans it once (measured: 0.17 ms a lookup against 0.39 ms
    // through the query builder). Outside any transaction, so the pool is as safe as `db` here.
    const { rows } = await this.#ctx.store.pool.query<JoinedRow>({ name: 'qoltanba-ocsp-lookup', text: LOOKUP, values: [ca.id, serial] });
    const row = rows[0];
    if (!row) return this.#onDemand(ca, info, [ca]);
    const now = this.#ctx.now().getTime();
    if (
      row.der &&
      row.signer_id === ca.ocspSigner?.id &&
      row.next_update &&
      row.this_update &&
      row.next_update.getTime() - STALE_MARGIN_MS > now &&
      row.this_update.getTime() <= now &&
      responseMatches(row, row.cert_status as CertificateStatus, row.der)
    ) {
      return { der: row.der, outcome: 'presigned', validity: { thisUpdate: row.this_update, nextUpdate: row.next_update } };
    }
    const key = await this.#presigner.keyFor(ca);
    const signed = (await this.#presigner.signAndStore(key, [row])).responses.get(row.serial);
    // Refused by the audit guard: "good" in the row, revoked in the audit log (logged there).
    if (!signed) throw new QtError('QT_ERR_STATUS_AUDIT_MISMATCH', undefined, { ca: ca.name });
    return { der: signed.der, outcome: 'signed', validity: { thisUpdate: signed.thisUpdate, nextUpdate: signed.nextUpdate } };
  }

  async #onDemand(ca: CaEntry, info: OcspRequestInfo, issuers: readonly (CaEntry | undefined)[]): Promise<OcspAnswer> {
    // Each of these costs a signature nobody can cache: past the limit, ask the client to come back (RFC 6960 tryLater).
    if (this.#onDemandInFlight >= this.#ctx.config.ocsp.onDemandConcurrency) return ocspErrorAnswer('tryLater');
    this.#onDemandInFlight++;
    try {
      return await this.#signOnDemand(ca, info, issuers);
    } finally {
      this.#onDemandInFlight--;
    }
  }

  async #signOnDemand(ca: CaEntry, info: OcspRequestInfo, issuers: readonly (CaEntry | undefined)[]): Promise<OcspAnswer> {
    const mine = info.certIds.filter((_, i) => issuers[i] === ca).map((id) => storedSerial(id.serial));
    const rows = mine.length
      ? await this.#ctx.store.db
          .selectFrom('certificates')
          .select(['serial', 'status', 'revocation_reason', 'revoked_at'])
          .where('ca_id', '=', ca.id)
          .where('serial', 'in', mine)
          .execute()
      : [];
    await assertStatusesAudited(this.#ctx, ca.name, rows);
    const bySerial = new Map(rows.map((r) => [r.serial, r]));
    const items: SignItem[] = info.certIds.map((certId, i) => {
      const row = issuers[i] === ca ? bySerial.get(storedSerial(certId.serial)) : undefined;
      return { certId, status: row ? certStatusOf(row) : { status: 'unknown' } };
    });
    const key = await this.#presigner.keyFor(ca);
    const signed = await signOcsp(key, items, this.#ctx.now(), this.#presigner.validityMs, info.nonce);
    return { der: signed.der, outcome: 'signed', validity: info.nonce ? undefined : { thisUpdate: signed.thisUpdate, nextUpdate: signed.nextUpdate } };
  }
}

/** pg's own errors when the database goes away mid-request, or no pooled connection frees up in time. */
function isConnectionError(e: unknown): boolean {
  if (e instanceof Error && /timeout exceeded when trying to connect/i.test(e.message)) return true;
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code.startsWith('08') || code === '57P01');
}
