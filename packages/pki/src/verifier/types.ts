/**
 * The relying party's verdict on a document (a certificate, a CMS signature, a signed XML) and what it is
 * judged with. One core gives it to every surface — the CLI's `verify`, this library, the server's
 * /api/v1/verify and its NCANode-shaped routes — so they cannot disagree.
 */
import type { PathBudgetLimits } from '../path/budget.ts';
import type { Bytes } from '../encoding.ts';
import type { QtError } from '@qoltanba/errors';
import type { ChainElement, Purpose, RevocationMode } from '../path/index.ts';
import type { VerifierLimits } from './limits.ts';
import type { TimeStampInfo } from '../tsp/token.ts';
import type { CadesLevel } from '../cades/stamps.ts';

export type DocumentKind = 'certificate' | 'cms' | 'xml' | 'signature';

export type RevocationKind = 'ocsp' | 'crl';

/**
 * Where revocation evidence comes from when the caller did not bring it: the certificate's own OCSP and
 * CRL addresses, fetched by whoever may do I/O (the server's HTTP fetcher with its limits and cache).
 * Both throw a QtError whose message says why there is no answer (timeout, refused, too large, …).
 */
export interface RevocationSource {
  /** The DER OCSP response of `url` for `certificate` (issued by `issuer`). */
  fetchOcsp(url: string, request: { certificate: Bytes; issuer: Bytes }): Promise<Bytes>;
  /** The DER CRL published at `url`. */
  fetchCrl(url: string): Promise<Bytes>;
}

export interface VerifyDocumentOptions {
  trustAnchors: readonly Uint8Array[];
  /** CA certificates that may complete a chain (besides those the document carries). */
  intermediates?: readonly Uint8Array[] | undefined;
  /** Everything is judged as of this time (default: now). */
  at?: Date | undefined;
  /**
   * require (default): every certificate below the trust anchor must be shown good — no answer is "not
   * valid", never "not revoked". prefer: use what can be had, accept silence. off: never look.
   */
  revocation?: RevocationMode | undefined;
  /**
   * Which kinds of evidence may decide for the signer's certificate (NCANode's revocationCheck); default both,
   * OCSP first. CA certificates below the anchor are checked with whatever they name. Evidence the caller
   * brings is filtered by these kinds too.
   */
  revocationKinds?: readonly RevocationKind[] | undefined;
  /** Evidence the caller brings (DER or base64); used before anything is fetched. */
  crls?: readonly Uint8Array[] | undefined;
  ocspResponses?: readonly Uint8Array[] | undefined;
  /** Fetches the certificates' own OCSP/CRL addresses; without it only the evidence above counts. */
  revocationSource?: RevocationSource | undefined;
  /** What the signer's certificate must be good for (default any). */
  purpose?: Purpose | undefined;
  /** The signed content of a detached CMS. */
  content?: Uint8Array | undefined;
  limits?: Partial<VerifierLimits> | undefined;
  /** The path-building work allowed per signer (signature checks, candidate paths, policy nodes…); default: defaultPathBudget. */
  pathBudget?: PathBudgetLimits | undefined;
}

export interface SignerVerdict {
  valid: boolean;
  /** Set exactly when valid is false. */
  error?: QtError | undefined;
  /** DER of the signer's certificate (undefined when the document does not carry it). */
  certificate: Bytes | undefined;
  /** Leaf first, trust anchor last, with each certificate's revocation status. */
  chain: ChainElement[];
  signatureAlgorithm?: string | undefined;
  /** The signing time the signer claims (CMS signingTime), not a proven one. */
  signingTime?: Date | undefined;
  /** CMS: every time-stamp of this signer, checked (signature and archive time-stamps). */
  timeStamps?: TimeStampJudgement[] | undefined;
  /** CMS: the time the signer's chain was judged at, and why (a proven time-stamp, or the requested time). */
  judgedAt?: JudgedAt | undefined;
  /** CMS: the CAdES level the signer's attributes reach. */
  level?: CadesLevel | undefined;
  /** The CRLs and OCSP responses the chain was judged with (what CAdES-LT embeds). */
  evidence?: { crls: Bytes[]; ocspResponses: Bytes[] } | undefined;
}

export interface JudgedAt {
  time: Date;
  basis: 'signature-time-stamp' | 'requested-time';
  reason: string;
}

export interface TimeStampJudgement {
  kind: 'signature' | 'archive';
  /** The token, its imprint over the right bytes and the TSA's chain as of genTime. */
  valid: boolean;
  error?: QtError | undefined;
  genTime?: Date | undefined;
  info?: TimeStampInfo | undefined;
  tsaCertificate?: Bytes | undefined;
  /** The TSA's chain as of genTime, leaf first. */
  chain: ChainElement[];
  evidence?: { crls: Bytes[]; ocspResponses: Bytes[] } | undefined;
}

export interface DocumentVerdict {
  /** True when every signature verifies and every signer's chain is valid (revocation included). */
  valid: boolean;
  kind: DocumentKind;
  at: Date;
  /** The first failure, set exactly when valid is false. */
  error?: QtError | undefined;
  signers: SignerVerdict[];
  cms?: { attached: boolean; content: Bytes | undefined } | undefined;
  xml?: { signatures: number; references: number } | undefined;
}
