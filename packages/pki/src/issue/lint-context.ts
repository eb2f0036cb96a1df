/** What every lint check sees, and how it reports. */
import type { CertificateInfo } from '../certificate/index.ts';
import type { ParsedCertificate } from '../certificate/parse.ts';
import type { CertificateProfile, IdentificationMethod, KeyStorage } from '../profiles/index.ts';
import type { CpsInput } from './plan.ts';
import type { UrlsInput } from './urls.ts';

export interface LintViolation {
  /** Stable name of the rule, e.g. "key-usage", "subject", "validity". */
  check: string;
  message: string;
}

/** What the issuer meant to write; each given field must be exactly what the certificate holds. */
export interface LintExpectations {
  subject?: Uint8Array;
  publicKey?: Uint8Array;
  urls?: UrlsInput;
  email?: string;
  /** The identification method written into the EKU; a present key with value undefined means none. */
  identification?: IdentificationMethod | undefined;
  cps?: CpsInput;
  /** Validity is judged against this storage's period; without it, against the longest. */
  keyStorage?: KeyStorage;
}

export interface LintContext {
  info: CertificateInfo;
  /** The structure `info` was read from, for encodings inspection does not surface (time types, raw serial). */
  parsed: ParsedCertificate;
  profile: CertificateProfile;
  /** The issuing CA; the certificate itself for a self-signed root. */
  issuer: CertificateInfo;
  expected: LintExpectations;
  testMode: boolean;
  report(check: string, message: string): void;
}

export type LintCheck = (ctx: LintContext) => void | Promise<void>;
