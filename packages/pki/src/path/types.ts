/** The contract of validatePath: what the CLI `verify` command and the server pass in and print out. */
import type { QtError } from '../errors.ts';
import type { Bytes } from '../encoding.ts';
import type { CrlReason } from '../crl/reasons.ts';
import type { CertificateInput } from './certificate.ts';

/** What the leaf will be used for; checked against its EKU and key usage (and any CA EKU on the way). */
export type Purpose = 'any' | 'clientAuth' | 'emailProtection' | 'ocspSigning';

/**
 * off: never look. prefer: use CRLs/OCSP responses when given, tolerate their absence.
 * require: every certificate below the trust anchor must be shown good by a usable CRL or OCSP response.
 */
export type RevocationMode = 'off' | 'prefer' | 'require';

export interface ValidatePathOptions {
  leaf: CertificateInput;
  intermediates?: readonly CertificateInput[] | undefined;
  trustAnchors: readonly CertificateInput[];
  /** Everything (validity, CRL and OCSP windows, revocation dates) is judged as of this time. */
  at: Date;
  revocation?: {
    crls?: readonly (Uint8Array | string)[] | undefined;
    ocspResponses?: readonly (Uint8Array | string)[] | undefined;
    mode: RevocationMode;
  } | undefined;
  purpose?: Purpose | undefined;
}

export interface RevocationVerdict {
  /** unchecked: not looked at (mode off, trust anchor, no data, or the chain failed before). */
  status: 'good' | 'revoked' | 'unknown' | 'unchecked';
  source?: 'crl' | 'ocsp' | undefined;
  /** certificateHold means suspended (QT_ERR_CERT_ON_HOLD), not revoked for good. */
  reason?: CrlReason | undefined;
  revokedAt?: Date | undefined;
  /** Why the status is unknown (which evidence was unusable and why). */
  detail?: string | undefined;
}

export interface ChainElement {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  trustAnchor: boolean;
  revocation: RevocationVerdict;
  certificate: Bytes;
}

export interface PathVerdict {
  ok: boolean;
  /** Leaf first, trust anchor last; when no chain could be built, as far as it got. */
  chain: ChainElement[];
  /** Set exactly when ok is false; details.index is the failing chain position when there is one. */
  error?: QtError | undefined;
}
