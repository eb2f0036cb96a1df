/**
 * Bounded path building (RFC 4158 in spirit): from the leaf up to a trust anchor, depth first, yielding
 * complete candidate paths best first so the validator can fall back to the next when one fails.
 *
 * - Candidates for "who issued this?" come from an index by subject name (RFC 5280 §7.1 matching) and are
 *   ordered: AKI = SKI before unknown key identifiers (a definite mismatch is not a candidate), exact issuer
 *   bytes before a merely matching name, valid at the time of the check before not, trust anchors before
 *   intermediates (shorter paths), newer before older.
 * - Each link's signature is checked before the builder climbs through it (cached, paid from the budget),
 *   so a pile of look-alike CAs costs one signature check each instead of a path each.
 * - A certificate appears at most once per path, and so does a (subject, key) pair (cross-certificate loops).
 * - Duplicate certificates are collapsed before building; the builder's own steps are bounded too.
 */
import { isQtError, type QtError } from '@qoltanba/errors';
import { bytesEqual, toHex } from '../encoding.ts';
import type { PathBudget } from './budget.ts';
import type { CertificateFacts } from './certificate.ts';
import { needsInheritance, type SignatureChecks } from './signatures.ts';

/** Longer paths are refused as loops or abuse; the national PKI has three levels, PKITS at most six. */
export const MAX_PATH_LENGTH = 10;

/** Removes byte-identical duplicates (first occurrence kept), and anything already in `exclude`. */
export function distinct(certs: readonly CertificateFacts[], exclude: readonly CertificateFacts[] = []): CertificateFacts[] {
  const seen = new Map<string, CertificateFacts[]>();
  const out: CertificateFacts[] = [];
  const add = (c: CertificateFacts, keep: boolean): void => {
    const key = `${c.der.length}:${toHex(c.signature.subarray(0, 32))}`;
    const bucket = seen.get(key) ?? [];
    if (bucket.some((o) => o === c || bytesEqual(o.der, c.der))) return;
    bucket.push(c);
    seen.set(key, bucket);
    if (keep) out.push(c);
  };
  for (const c of exclude) add(c, false);
  for (const c of certs) add(c, true);
  return out;
}

export interface BuildInput {
  anchors: readonly CertificateFacts[];
  intermediates: readonly CertificateFacts[];
  at: Date;
  budget: PathBudget;
  signatures: SignatureChecks;
}

/** What building learnt when it found no complete path, for a precise error. */
export interface BuildOutcome {
  /** The longest partial path (leaf first) that did not reach an anchor. */
  longestPartial: CertificateFacts[];
  /** A link refused because its signature did not verify: the certificate, the CA it named, and why (when not a plain mismatch). */
  badSignature: { path: CertificateFacts[]; issuer: CertificateFacts; error?: QtError | undefined } | undefined;
}

export class PathBuilder {
  private readonly bySubject = new Map<string, CertificateFacts[]>();
  private readonly anchors: ReadonlySet<CertificateFacts>;

  constructor(private readonly input: BuildInput) {
    this.anchors = new Set(input.anchors);
    for (const c of [...input.anchors, ...input.intermediates]) {
      const list = this.bySubject.get(c.subjectName.key) ?? [];
      list.push(c);
      this.bySubject.set(c.subjectName.key, list);
    }
  }

  isAnchor(c: CertificateFacts): boolean {
    return this.anchors.has(c);
  }

  /** Certificates whose subject matches this name (for CRL issuers too), anchors first. */
  withSubject(nameKey: string): readonly CertificateFacts[] {
    return this.bySubject.get(nameKey) ?? [];
  }

  /**
   * Complete candidate paths for `leaf`, leaf first and trust anchor last, best first. `outcome` learns the
   * longest dead end and the deepest link refused for its signature, for the error when nothing is found.
   */
  async *paths(leaf: CertificateFacts, outcome: BuildOutcome): AsyncGenerator<CertificateFacts[]> {
    outcome.longestPartial = [leaf];
    yield* this.extend([leaf], outcome);
  }

  private async *extend(path: CertificateFacts[], outcome: BuildOutcome): AsyncGenerator<CertificateFacts[]> {
    const top = path[path.length - 1] as CertificateFacts;
    if (this.isAnchor(top)) {
      yield path;
      return;
    }
    if (path.length > outcome.longestPartial.length) outcome.longestPartial = path;
    if (path.length >= MAX_PATH_LENGTH) return;
    for (const candidate of this.candidates(top, path)) {
      this.input.budget.spend('buildSteps');
      // A DSA key without parameters inherits them from above: its signatures are checked during validation.
      if (!needsInheritance(candidate)) {
        const signed = await this.signedBy(top, candidate);
        if (signed !== true) {
          if (!outcome.badSignature || path.length >= outcome.badSignature.path.length) outcome.badSignature = { path, issuer: candidate, error: signed || undefined };
          continue;
        }
      }
      yield* this.extend([...path, candidate], outcome);
    }
  }

  /**
   * Did `candidate`'s key sign `cert`? A key that cannot verify it at all (another algorithm, a malformed key)
   * did not sign it either: that is a dead end for the builder, not an error of the whole verification.
   */
  private async signedBy(cert: CertificateFacts, candidate: CertificateFacts): Promise<boolean | QtError> {
    try {
      return await this.input.signatures.verify(cert, { cert: candidate });
    } catch (e) {
      if (isQtError(e) && e.code !== 'QT_ERR_PATH_BUDGET_EXCEEDED') return e;
      throw e;
    }
  }

  private candidates(cert: CertificateFacts, path: readonly CertificateFacts[]): CertificateFacts[] {
    const at = this.input.at;
    const scored: { c: CertificateFacts; score: number; order: number }[] = [];
    let order = 0;
    for (const c of this.bySubject.get(cert.issuerName.key) ?? []) {
      order++;
      if (path.includes(c)) continue;
      if (path.some((p) => p.subjectName.key === c.subjectName.key && bytesEqual(p.spki, c.spki))) continue;
      const keyIdMatch = cert.authorityKeyId && c.subjectKeyId ? bytesEqual(cert.authorityKeyId, c.subjectKeyId) : undefined;
      if (keyIdMatch === false) continue;
      let score = 0;
      if (keyIdMatch) score += 16;
      if (bytesEqual(cert.issuerDer, c.subjectDer)) score += 8;
      if (c.notBefore <= at && at <= c.notAfter) score += 4;
      if (this.anchors.has(c)) score += 2;
      scored.push({ c, score, order });
    }
    return scored
      .sort((a, b) => b.score - a.score || b.c.notBefore.getTime() - a.c.notBefore.getTime() || a.order - b.order)
      .map((s) => s.c);
  }
}
