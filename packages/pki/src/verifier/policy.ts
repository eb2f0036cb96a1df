/** The options of a verification, checked against the limits once, as the chain judge takes them. */
import { QtError } from '@qoltanba/errors';
import { derFrom, type Bytes } from '../encoding.ts';
import type { ChainPolicy } from './chain.ts';
import { checkCertificates, resolveLimits, tooLarge, type VerifierLimits } from './limits.ts';
import type { RevocationKind, VerifyDocumentOptions } from './types.ts';

export interface Prepared {
  limits: VerifierLimits;
  at: Date;
  policy: ChainPolicy;
}

const KINDS: readonly RevocationKind[] = ['ocsp', 'crl'];

export function prepare(options: VerifyDocumentOptions): Prepared {
  const limits = resolveLimits(options.limits);
  const at = options.at ?? new Date();
  if (Number.isNaN(at.getTime())) throw new QtError('QT_ERR_INPUT_INVALID', 'The time to verify as of is not a valid date');
  const evidence = (options.crls?.length ?? 0) + (options.ocspResponses?.length ?? 0);
  if (evidence > limits.maxEvidence) {
    throw tooLarge(`The request carries ${evidence} CRLs and OCSP responses; at most ${limits.maxEvidence} are accepted`, { evidence, limit: limits.maxEvidence });
  }
  const kinds = options.revocationKinds?.length ? KINDS.filter((k) => options.revocationKinds?.includes(k)) : KINDS;
  return {
    limits,
    at,
    policy: {
      trustAnchors: options.trustAnchors.map((c) => derFrom(c)),
      intermediates: checkCertificates((options.intermediates ?? []).map((c) => derFrom(c)), limits),
      at,
      purpose: options.purpose ?? 'any',
      mode: options.revocation ?? 'require',
      kinds,
      crls: (options.crls ?? []).map((c) => derFrom(c)),
      ocspResponses: (options.ocspResponses ?? []).map((r) => derFrom(r)),
      source: options.revocationSource,
      fetches: { left: limits.maxFetches, limit: limits.maxFetches },
      fetched: new Map<string, Promise<Bytes>>(),
      pathBudget: options.pathBudget,
    },
  };
}
