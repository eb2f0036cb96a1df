/**
 * The verification service both REST shapes share: the trust store, the revocation fetcher and its cache,
 * and the per-request policy handed to the verifier core in @qoltanba/pki. Nothing here judges a
 * signature; it only decides what the core is given and how many verifications run at once.
 */
import {
  QtError,
  fromBase64,
  type Bytes,
  type Purpose,
  type RevocationKind,
  type RevocationMode,
  type VerifyDocumentOptions,
} from '@qoltanba/pki';
import { RevocationFetcher } from './fetch/source.ts';
import type { ResolvedVerifyOptions } from './options.ts';
import type { TrustStore } from './trust.ts';

/** What one request may choose for itself (less assurance for its own verdict, never more trust). */
export interface RequestPolicy {
  at?: Date | undefined;
  revocation?: RevocationMode | undefined;
  kinds?: readonly RevocationKind[] | undefined;
  purpose?: Purpose | undefined;
  /** Base64 (or PEM) evidence and intermediates the client brings. */
  crls?: readonly string[] | undefined;
  ocspResponses?: readonly string[] | undefined;
  intermediates?: readonly string[] | undefined;
  content?: Bytes | undefined;
}

export interface VerifyService {
  readonly options: ResolvedVerifyOptions;
  readonly fetcher: RevocationFetcher;
  trust(): Promise<TrustStore>;
  /** The core's options for one request. */
  coreOptions(request: RequestPolicy): Promise<VerifyDocumentOptions>;
  /** Runs one verification within the process's concurrency limit (QT_ERR_RATE_LIMITED beyond the queue). */
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createVerifyService(options: ResolvedVerifyOptions, trust: () => Promise<TrustStore>, now: () => Date): VerifyService {
  const fetcher = new RevocationFetcher(options.fetch, () => now().getTime());
  const gate = concurrencyGate(options.limits.concurrent, options.limits.queue);
  return {
    options,
    fetcher,
    trust,
    async coreOptions(request) {
      const store = await trust();
      return {
        trustAnchors: store.anchors,
        intermediates: [...store.intermediates, ...decodeAll(request.intermediates, 'intermediates')],
        at: request.at ?? now(),
        revocation: request.revocation ?? options.revocation.mode,
        revocationKinds: request.kinds?.length ? request.kinds : options.revocation.kinds,
        crls: decodeAll(request.crls, 'crls'),
        ocspResponses: decodeAll(request.ocspResponses, 'ocspResponses'),
        revocationSource: fetcher.forRequest(),
        purpose: request.purpose,
        content: request.content,
        limits: options.limits,
      };
    },
    run: (work) => gate(work),
  };
}

function decodeAll(values: readonly string[] | undefined, field: string): Bytes[] {
  return (values ?? []).map((v, i) => {
    try {
      return fromBase64(v.replace(/-----[A-Z0-9 ]+-----/g, ''));
    } catch {
      throw new QtError('QT_ERR_BASE64_MALFORMED', `${field}[${i}] is not base64`, { field: `${field}[${i}]` });
    }
  });
}

/**
 * At most `concurrent` verifications at once, `queue` more waiting; the rest are refused at once, so a
 * flood of requests gets 429s instead of making every caller wait behind it.
 */
function concurrencyGate(concurrent: number, queue: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (active >= concurrent) {
      if (waiting.length >= queue) throw new QtError('QT_ERR_RATE_LIMITED', 'Too many verifications are in progress; please try again shortly');
      // The finishing verification hands its slot over: `active` stays as it is.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else active++;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
