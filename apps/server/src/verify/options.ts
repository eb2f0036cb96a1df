/**
 * The verification service's knobs (server.json "verify", CLI flags, or the feature's options in tests),
 * with defaults: what to trust, how revocation is found, what a fetch and a request may cost.
 */
import { QtError, DEFAULT_VERIFIER_LIMITS, type RevocationKind, type RevocationMode, type VerifierLimits } from '@qoltanba/pki';

export const trustPresets = ['local', 'nca-prod', 'nca-test'] as const;
export type TrustPreset = (typeof trustPresets)[number];

export interface VerifyOptions {
  trust?: {
    /** Built-in sets: local (this installation's own CA), nca-prod, nca-test. Default: local and nca-prod. */
    presets?: TrustPreset[];
    /** Further trust anchors: PEM/DER files (a PEM file may hold several). */
    anchors?: string[];
    /** CA certificates that may complete chains (never trusted by themselves). */
    intermediates?: string[];
  };
  revocation?: {
    /** require (default, fail-closed), prefer, off. A request may ask for less for itself. */
    mode?: RevocationMode;
    /** Which evidence may decide, in this order: ocsp then crl (default both). */
    kinds?: RevocationKind[];
  };
  fetch?: {
    /** Whole fetch, connection to last byte (default 5000). */
    timeoutMs?: number;
    maxCrlBytes?: number;
    maxOcspBytes?: number;
    /** Addresses never fetched from, as CIDRs (default: link-local, i.e. cloud metadata endpoints). */
    forbid?: string[];
    /** URL prefix → replacement, for mirrors in closed networks ("http://crl.pki.gov.kz/" → "http://mirror.local/nca/"). */
    mirrors?: Record<string, string>;
    /** How long an OCSP answer without nextUpdate is reused (default 60 s; 0: never). */
    ocspCacheSeconds?: number;
    /** How long a failed fetch is remembered, so a dead responder is not asked by every request (default 5 s). */
    failureCacheSeconds?: number;
    /** Cached CRL and OCSP bytes kept at most (default 256 MiB). */
    cacheBytes?: number;
    /** All fetches of one request together (default 15000). */
    requestDeadlineMs?: number;
  };
  limits?: Partial<VerifierLimits> & {
    /** JSON request body (default 48 MiB: base64 of a 32 MiB document). */
    bodyBytes?: number;
    /** Certificates in one /x509/info request (default 16). */
    certificatesPerRequest?: number;
    /** Key files in one /pkcs12/info request (default 4). */
    keysPerRequest?: number;
    /** Verifications at once in this process; beyond, up to `queue` wait, the rest get 429. */
    concurrent?: number;
    queue?: number;
  };
}

export interface ResolvedVerifyOptions {
  trust: { presets: TrustPreset[]; anchors: string[]; intermediates: string[] };
  revocation: { mode: RevocationMode; kinds: RevocationKind[] };
  fetch: {
    timeoutMs: number;
    maxCrlBytes: number;
    maxOcspBytes: number;
    forbid: string[];
    mirrors: Record<string, string>;
    ocspCacheSeconds: number;
    failureCacheSeconds: number;
    cacheBytes: number;
    requestDeadlineMs: number;
  };
  limits: VerifierLimits & { bodyBytes: number; certificatesPerRequest: number; keysPerRequest: number; concurrent: number; queue: number };
}

export const DEFAULT_FORBIDDEN = ['169.254.0.0/16', 'fe80::/10'];

export function resolveVerifyOptions(o: VerifyOptions = {}): ResolvedVerifyOptions {
  const presets = o.trust?.presets ?? ['local', 'nca-prod'];
  for (const p of presets) {
    if (!(trustPresets as readonly string[]).includes(p)) throw invalid('trust.presets', `"${p}" is not a preset; presets are ${trustPresets.join(', ')}`);
  }
  const mode = o.revocation?.mode ?? 'require';
  if (!['require', 'prefer', 'off'].includes(mode)) throw invalid('revocation.mode', 'must be require, prefer or off');
  const kinds = o.revocation?.kinds ?? ['ocsp', 'crl'];
  if (kinds.length === 0 || kinds.some((k) => k !== 'ocsp' && k !== 'crl')) throw invalid('revocation.kinds', 'must list ocsp and/or crl');
  const f = o.fetch ?? {};
  const l = o.limits ?? {};
  return {
    trust: { presets, anchors: o.trust?.anchors ?? [], intermediates: o.trust?.intermediates ?? [] },
    revocation: { mode, kinds },
    fetch: {
      timeoutMs: positive('fetch.timeoutMs', f.timeoutMs ?? 5000),
      maxCrlBytes: positive('fetch.maxCrlBytes', f.maxCrlBytes ?? 32 * 1024 * 1024),
      maxOcspBytes: positive('fetch.maxOcspBytes', f.maxOcspBytes ?? 64 * 1024),
      forbid: f.forbid ?? DEFAULT_FORBIDDEN,
      mirrors: f.mirrors ?? {},
      ocspCacheSeconds: atLeastZero('fetch.ocspCacheSeconds', f.ocspCacheSeconds ?? 60),
      failureCacheSeconds: atLeastZero('fetch.failureCacheSeconds', f.failureCacheSeconds ?? 5),
      cacheBytes: atLeastZero('fetch.cacheBytes', f.cacheBytes ?? 256 * 1024 * 1024),
      requestDeadlineMs: positive('fetch.requestDeadlineMs', f.requestDeadlineMs ?? 15_000),
    },
    limits: {
      ...DEFAULT_VERIFIER_LIMITS,
      ...Object.fromEntries(Object.entries(l).filter(([k]) => k in DEFAULT_VERIFIER_LIMITS).map(([k, v]) => [k, positive(`limits.${k}`, v as number)])),
      bodyBytes: positive('limits.bodyBytes', l.bodyBytes ?? 48 * 1024 * 1024),
      certificatesPerRequest: positive('limits.certificatesPerRequest', l.certificatesPerRequest ?? 16),
      keysPerRequest: positive('limits.keysPerRequest', l.keysPerRequest ?? 4),
      concurrent: positive('limits.concurrent', l.concurrent ?? 8),
      queue: atLeastZero('limits.queue', l.queue ?? 64),
    },
  };
}

function invalid(field: string, why: string): QtError {
  return new QtError('QT_ERR_INPUT_INVALID', `verify.${field} ${why}`, { field: `verify.${field}` });
}

function positive(field: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw invalid(field, `must be a positive number, not ${v}`);
  return v;
}

function atLeastZero(field: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw invalid(field, `must be zero or more, not ${v}`);
  return v;
}
