/** The shapes shared by building, parsing and verifying OCSP responses. */
import type { CrlReason } from '../crl/reasons.ts';
import type { OcspCertId } from './cert-id.ts';

export type OcspCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason?: CrlReason | undefined; /** The invalidityDate single extension (RFC 6960 §4.4.7 allows the CRL entry extensions). */ invalidityDate?: Date | undefined }
  | { status: 'unknown' };

/** One SingleResponse: what the responder says about one certificate, and for how long it holds. */
export type OcspSingleResponse = OcspCertStatus & {
  certId: OcspCertId;
  thisUpdate: Date;
  /** Absent: newer information is always available (RFC 6960 §4.2.2.1). */
  nextUpdate?: Date | undefined;
};

export type OcspResponseStatus = 'successful' | 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';
export type OcspErrorStatus = Exclude<OcspResponseStatus, 'successful'>;

export const ocspResponseStatusCodes: Readonly<Record<OcspResponseStatus, number>> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  // 4 is not used
  sigRequired: 5,
  unauthorized: 6,
};

/**
 * RFC 6960 §2.2: "revoked" at 1970-01-01 with reason certificateHold means the serial was never issued
 * (NCA's test responder answers this for unknown serials).
 */
export function ocspSaysNeverIssued(r: OcspCertStatus): boolean {
  return r.status === 'revoked' && r.reason === 'certificateHold' && r.revokedAt.getTime() === 0;
}
