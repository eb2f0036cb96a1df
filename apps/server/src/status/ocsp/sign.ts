/**
 * What one certificate's row says in OCSP terms, and signing a response with a CA's delegated signer.
 * Shared by pre-signing (one certificate per response, stored) and on-demand answers (nonce, several
 * certificates, SHA-256 certIDs, serials we never issued), so both say exactly the same thing.
 */
import {
  buildOcspResponse,
  crlReasonFromCode,
  normalizeSerial,
  parseOcspResponse,
  type Bytes,
  type OcspCertId,
  type OcspCertStatus,
  type Signer,
} from '@qoltanba/pki';
import type { CertificateStatus } from '../../store/index.ts';
import type { CaEntry, OcspSignerEntry } from '../directory.ts';

/** The columns of `certificates` an OCSP answer depends on. */
export interface CertificateStatusRow {
  serial: string;
  status: CertificateStatus;
  revocation_reason: number | null;
  revoked_at: Date | null;
}

export function certStatusOf(row: CertificateStatusRow): OcspCertStatus {
  if (row.status === 'good') return { status: 'good' };
  // on_hold rows carry reason 6 (certificateHold): RFC 6960 reports a hold as revoked with that reason.
  return { status: 'revoked', revokedAt: row.revoked_at as Date, reason: crlReasonFromCode(row.revocation_reason ?? 0) };
}

/** A certID serial ("00A1…", upper case, whole bytes) in the certificates table's spelling ("a1…"). */
export function storedSerial(certIdSerial: string): string {
  return certIdSerial.toLowerCase().replace(/^0+/, '');
}

/**
 * Does this stored response still say what the row says? Status changes are visible in the
 * ocsp_responses.cert_status column; the one change that keeps the status — a revoked certificate's
 * reason raised to keyCompromise (the trigger's only revoked→revoked move) — is read from the response.
 */
export function responseMatches(row: CertificateStatusRow, assertedStatus: CertificateStatus, der: Uint8Array): boolean {
  if (assertedStatus !== row.status) return false;
  if (row.status !== 'revoked' || row.revocation_reason !== 1) return true;
  const single = parseOcspResponse(der).basic?.responses[0];
  return single?.status === 'revoked' && single.reason === 'keyCompromise';
}

export interface SignedOcsp {
  der: Bytes;
  thisUpdate: Date;
  nextUpdate: Date;
}

export interface ResponderKey {
  ca: CaEntry;
  entry: OcspSignerEntry;
  signer: Signer;
}

export interface SignItem {
  certId: OcspCertId;
  status: OcspCertStatus;
}

/**
 * One signed response for `items`. thisUpdate is `at` to the second; nextUpdate is `validityMs` later
 * but never after the responder certificate expires (a client would refuse what the signer cannot vouch for).
 */
export async function signOcsp(key: ResponderKey, items: readonly SignItem[], at: Date, validityMs: number, nonce?: Uint8Array): Promise<SignedOcsp> {
  const thisUpdate = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const nextUpdate = new Date(Math.min(thisUpdate.getTime() + validityMs, key.entry.notAfter.getTime()));
  const der = await buildOcspResponse({
    // By key hash: 20 bytes instead of a DN, and what RFC 5019 §2.2.3 recommends.
    responder: { certificate: key.entry.certificate, signer: key.signer, byKey: true },
    responses: items.map((i) => ({ ...i.status, certId: { ...i.certId, serial: normalizeSerial(i.certId.serial) }, thisUpdate, nextUpdate })),
    producedAt: thisUpdate,
    nonce,
  });
  return { der, thisUpdate, nextUpdate };
}
