/**
 * Chain building: from the leaf up to a trust anchor, matching issuer to subject DN and, when both are
 * present, AKI to SKI (which tells apart re-keyed CAs with the same name). Every candidate path is yielded,
 * anchors first, so the validator can fall back to another path when one fails.
 */
import { bytesEqual } from '../encoding.ts';
import { namesMatch, type CertificateFacts } from './certificate.ts';

/** Longer paths than this are refused as loops or abuse; the national PKI has three levels. */
const MAX_PATH_LENGTH = 8;

function mayHaveIssued(issuer: CertificateFacts, cert: CertificateFacts): boolean {
  if (!namesMatch(cert.issuerDer, issuer.subjectDer)) return false;
  return !(cert.authorityKeyId && issuer.subjectKeyId && !bytesEqual(cert.authorityKeyId, issuer.subjectKeyId));
}

interface PathSearch {
  /** Complete paths, leaf first, trust anchor last. */
  paths: CertificateFacts[][];
  /** The longest path that did not reach an anchor (for the verdict when there is no complete one). */
  longestPartial: CertificateFacts[];
}

export function findPaths(leaf: CertificateFacts, intermediates: readonly CertificateFacts[], anchors: readonly CertificateFacts[]): PathSearch {
  const isAnchor = (c: CertificateFacts): boolean => anchors.some((a) => bytesEqual(a.der, c.der));
  const pool = [...anchors, ...intermediates].filter((c, i, all) => all.findIndex((o) => bytesEqual(o.der, c.der)) === i);
  const search: PathSearch = { paths: [], longestPartial: [leaf] };
  const extend = (path: CertificateFacts[]): void => {
    const top = path[path.length - 1] as CertificateFacts;
    if (isAnchor(top)) {
      search.paths.push(path);
      return;
    }
    if (path.length > search.longestPartial.length) search.longestPartial = path;
    if (path.length >= MAX_PATH_LENGTH) return;
    for (const candidate of pool) {
      if (path.some((c) => bytesEqual(c.der, candidate.der))) continue;
      if (mayHaveIssued(candidate, top)) extend([...path, candidate]);
    }
  };
  extend([leaf]);
  return search;
}
