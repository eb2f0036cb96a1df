/** The contract of validatePath: what the CLI `verify` command and the server pass in and print out. */
import type { QtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import type { CrlReason } from '../crl/reasons.ts';
import type { CertificateInput } from './certificate.ts';
import type { PathBudget, PathBudgetLimits } from './budget.ts';
import type { PolicyInputs, PolicyReport } from './policies.ts';
import type { Profile } from './profile.ts';

/**
 * What the leaf will be used for; checked against its EKU and key usage (and any CA EKU on the way).
 * timeStamping is a TSA's certificate (RFC 3161 §2.3: its EKU must also be critical and name only
 * timeStamping, which tsp/check.ts adds on top).
 */
export type Purpose = 'any' | 'clientAuth' | 'emailProtection' | 'ocspSigning' | 'timeStamping';

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
    /**
     * `at` is a proven time in the past (a time-stamp's genTime): CRLs and OCSP responses made after it also
     * count, as long as they were made while the certificate was valid, and only what was revoked by then
     * (or compromised by then, per its invalidity date) is revoked.
     */
    pastTime?: boolean | undefined;
  } | undefined;
  purpose?: Purpose | undefined;
  /** RFC 5280 §6.1.1 policy inputs; default: any policy, nothing required or inhibited. */
  policy?: PolicyInputs | undefined;
  /**
   * 'strict' (default) also refuses serial numbers that are zero, negative or longer than 20 octets;
   * 'rfc5280' tolerates them, as RFC 5280 §4.1.2.2 asks relying parties to. Every other rule holds in both.
   */
  profile?: Profile | undefined;
  /**
   * Limits on the work of this call, or a PathBudget shared with other calls (every signer of one CMS or XML
   * document). Running out is QT_ERR_PATH_BUDGET_EXCEEDED.
   */
  budget?: PathBudget | PathBudgetLimits | undefined;
}

export interface RevocationVerdict {
  /** unchecked: not looked at (mode off, trust anchor, no data, or the chain failed before). */
  status: 'good' | 'revoked' | 'unknown' | 'unchecked';
  source?: 'crl' | 'ocsp' | undefined;
  /** certificateHold means suspended (QT_ERR_CERT_ON_HOLD), not revoked for good. */
  reason?: CrlReason | undefined;
  revokedAt?: Date | undefined;
  /** When the key was compromised, per the CRL entry's or OCSP response's invalidityDate. */
  invalidityDate?: Date | undefined;
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
  /** The certificate policy outcome (RFC 5280 §6.1.6) of the accepted path; set when ok is true. */
  policy?: PolicyReport | undefined;
  /** The work this call spent (cumulative, when the budget was shared). */
  work?: Readonly<Record<string, number>> | undefined;
}
