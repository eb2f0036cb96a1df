/**
 * What one verification may cost. A verifier answers strangers: every count that multiplies work
 * (certificates to build paths from, signers, XML nesting, revocation fetches) has a ceiling, and input
 * past it is refused with QT_ERR_TOO_LARGE before the work starts.
 */
import { QtError } from '@qoltanba/errors';
import { bytesEqual, type Bytes } from '../encoding.ts';
import { readCertificate } from '../path/certificate.ts';

export interface VerifierLimits {
  /** Bytes of the document (CMS DER, XML characters, certificate DER). */
  maxDocumentBytes: number;
  /** Certificates the document carries plus those the caller supplies, after duplicates are dropped. */
  maxCertificates: number;
  /** How many of those may share one subject name: each is a branch the path builder may try. */
  maxCertificatesPerSubject: number;
  /** CMS SignerInfos or XML ds:Signature elements. */
  maxSigners: number;
  /** Element nesting of an XML document (canonicalization walks it). */
  maxXmlDepth: number;
  /** CRLs and OCSP responses the caller brings. */
  maxEvidence: number;
  /** OCSP and CRL fetches for one document. */
  maxFetches: number;
  /** Time-stamps (signature and archive) on one CMS signer; each costs a chain validation. */
  maxTimeStamps: number;
  /** CRLs and OCSP responses a CMS carries in itself (CAdES-LT). */
  maxEmbeddedEvidence: number;
}

export const DEFAULT_VERIFIER_LIMITS: Readonly<VerifierLimits> = {
  maxDocumentBytes: 32 * 1024 * 1024,
  maxCertificates: 32,
  maxCertificatesPerSubject: 4,
  maxSigners: 16,
  maxXmlDepth: 256,
  maxEvidence: 16,
  maxFetches: 16,
  maxTimeStamps: 8,
  maxEmbeddedEvidence: 64,
};

export function resolveLimits(limits: Partial<VerifierLimits> | undefined): VerifierLimits {
  const out = { ...DEFAULT_VERIFIER_LIMITS };
  for (const [k, v] of Object.entries(limits ?? {})) if (typeof v === 'number' && v >= 0) out[k as keyof VerifierLimits] = v;
  return out;
}

export function tooLarge(message: string, details: Record<string, unknown>): QtError {
  return new QtError('QT_ERR_TOO_LARGE', message, details);
}

/** Drops repeated certificates and refuses more than the limits allow; unreadable ones are left to path validation. */
export function checkCertificates(certificates: readonly Bytes[], limits: VerifierLimits): Bytes[] {
  const unique = certificates.filter((c, i) => certificates.findIndex((o) => bytesEqual(o, c)) === i);
  if (unique.length > limits.maxCertificates) {
    throw tooLarge(`The request carries ${unique.length} certificates; at most ${limits.maxCertificates} are accepted`, {
      certificates: unique.length,
      limit: limits.maxCertificates,
    });
  }
  const bySubject = new Map<string, number>();
  for (const c of unique) {
    let subject: string;
    try {
      subject = readCertificate(c).subject;
    } catch {
      continue;
    }
    const n = (bySubject.get(subject) ?? 0) + 1;
    bySubject.set(subject, n);
    if (n > limits.maxCertificatesPerSubject) {
      throw tooLarge(`More than ${limits.maxCertificatesPerSubject} of the certificates are named "${subject}"`, {
        subject,
        limit: limits.maxCertificatesPerSubject,
      });
    }
  }
  return unique;
}

export function checkCount(what: string, count: number, limit: number): void {
  if (count > limit) throw tooLarge(`The document has ${count} ${what}; at most ${limit} are accepted`, { [what]: count, limit });
}

/**
 * The deepest element nesting of an XML text, read without building a tree, so a document nested deeper
 * than the limit is refused before the parser and canonicalization recurse into it. Hand-written: the XML
 * parser we use (xmldom) has no depth limit. Comments, CDATA, processing instructions, the declaration and
 * quoted attribute values are skipped; whatever is not well-formed is left for the parser to report.
 */
export function xmlDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let i = text.indexOf('<');
  while (i !== -1 && i < text.length) {
    const next = text[i + 1];
    if (text.startsWith('<!--', i)) i = skipPast(text, '-->', i + 4);
    else if (text.startsWith('<![CDATA[', i)) i = skipPast(text, ']]>', i + 9);
    else if (next === '?') i = skipPast(text, '?>', i + 2);
    else if (next === '!') i = skipPast(text, '>', i + 2);
    else if (next === '/') {
      depth = Math.max(0, depth - 1);
      i = skipPast(text, '>', i + 2);
    } else {
      const end = tagEnd(text, i + 1);
      if (end === -1) break;
      if (text[end - 1] !== '/') {
        depth++;
        if (depth > max) max = depth;
        if (max > stopAbove) return max;
      }
      i = end + 1;
    }
    if (i === -1) break;
    i = text.indexOf('<', i);
  }
  return max;
}

function skipPast(text: string, marker: string, from: number): number {
  const at = text.indexOf(marker, from);
  return at === -1 ? -1 : at + marker.length;
}

/** Index of the '>' closing a start tag, skipping quoted attribute values; -1 when there is none. */
function tagEnd(text: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < text.length; j++) {
    const ch = text[j];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') return j;
  }
  return -1;
}
