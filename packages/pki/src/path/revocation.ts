/**
 * Revocation status of one certificate on a path as of a time, from the OCSP responses and CRLs the caller
 * supplied. Evidence is used only when it verifies and is current at that time; evidence that does not is
 * recorded as the reason the status is unknown.
 *
 * CRLs follow RFC 5280 §6.3.3: for each of the certificate's distribution points (or the implied one, "its
 * issuer's CRL"), complete CRLs whose scope covers it (issuer or indirect cRLIssuer, issuingDistributionPoint
 * name, user/CA/attribute-only flags, reasons) are used until every revocation reason is covered; each CRL's
 * signer is found by name and key and its own path validated to the same trust anchor (so a CA may sign CRLs
 * with a separate or rolled-over key); the newest applicable delta CRL is combined with its base (§5.2.4),
 * so removeFromCRL lifts a hold. The CRL profile is checked: a CRL without a CRLNumber, with a critical one,
 * with an extension twice, or with critical (entry) extensions we do not understand is not evidence.
 */
import { isQtError } from '@qoltanba/errors';
import { parseCrl, type CrlEntry, type CrlScope, type ParsedCrl } from '../crl/parse.ts';
import type { CrlReason } from '../crl/reasons.ts';
import { checkCrlCurrent } from '../crl/verify.ts';
import { certIdIsFor, computeIssuerHashes } from '../ocsp/cert-id.ts';
import { parseOcspResponse, type ParsedOcspResponse } from '../ocsp/parse-response.ts';
import { verifyParsedOcsp } from '../ocsp/verify-response.ts';
import { ocspSaysNeverIssued, type OcspSingleResponse } from '../ocsp/types.ts';
import { bytesEqual, type Bytes } from '../encoding.ts';
import { parseName, type ParsedName, type RdnKey } from './dn.ts';
import { ALL_REASONS, type DistributionPoint, type ReasonMask } from './extensions.ts';
import { describeGeneralName, generalNamesEqual, type GeneralName } from './general-names.ts';
import type { PathBudget } from './budget.ts';
import type { CertificateFacts } from './certificate.ts';
import { parametersOf, type SignatureChecks } from './signatures.ts';
import type { RevocationVerdict } from './types.ts';

export interface RevocationEvidence {
  crls: ParsedCrl[];
  ocsp: ParsedOcspResponse[];
}

/** Parses all supplied evidence up front: unreadable input is the caller's error, reported as such. */
export function readEvidence(crls: readonly (Uint8Array | string)[] = [], ocsp: readonly (Uint8Array | string)[] = []): RevocationEvidence {
  return { crls: crls.map((c) => parseCrl(c)), ocsp: ocsp.map((r) => parseOcspResponse(r)) };
}

export interface RevocationContext {
  at: Date;
  /**
   * `at` is a proven time in the past (a time-stamp): evidence issued after it speaks for it too, as long as it
   * was issued while the certificate was still valid (evidenceTimeProblem).
   */
  pastTime: boolean;
  evidence: RevocationEvidence;
  signatures: SignatureChecks;
  budget: PathBudget;
  /** Certificates (anchors and intermediates) with this subject, for finding a CRL's signer. */
  withSubject(nameKey: string): readonly CertificateFacts[];
  /**
   * Validates the path of a CRL signer that is not on the certificate's own path, to the same trust anchor
   * (RFC 5280 §6.3.3 (f)), revocation included. Resolves to why it is not valid, or undefined when it is.
   */
  validateCrlSigner(signer: CertificateFacts, anchor: CertificateFacts): Promise<string | undefined>;
}

/** The status of path[index] (its issuer is path[index + 1]; the anchor is last). */
export async function revocationOf(path: readonly CertificateFacts[], index: number, ctx: RevocationContext): Promise<RevocationVerdict> {
  const cert = path[index] as CertificateFacts;
  const issuer = path[index + 1] as CertificateFacts;
  const unusable: string[] = [];
  const fromOcsp = await ocspVerdict(cert, issuer, ctx, unusable);
  if (fromOcsp) return fromOcsp;
  const fromCrl = await crlVerdict(path, index, ctx, unusable);
  if (fromCrl) return fromCrl;
  return unusable.length ? { status: 'unknown', detail: unusable.join('; ') } : { status: 'unchecked' };
}

async function ocspVerdict(cert: CertificateFacts, issuer: CertificateFacts, ctx: RevocationContext, unusable: string[]): Promise<RevocationVerdict | undefined> {
  if (ctx.evidence.ocsp.length === 0) return undefined;
  const hashes = await computeIssuerHashes(issuer);
  for (const response of ctx.evidence.ocsp) {
    const single = response.basic?.responses.find((r) => r.certId.serial === cert.serial && certIdIsFor(r.certId, hashes));
    if (!single) continue;
    // The response signature and, for a delegated responder, its certificate's signature.
    ctx.budget.spend('signatureChecks', 2);
    try {
      // A response given for a past time is checked as of when it was made (its responder valid then).
      await verifyParsedOcsp(response, issuer, { at: ctx.pastTime ? (response.basic as { producedAt: Date }).producedAt : ctx.at });
    } catch (e) {
      if (!isQtError(e)) throw e;
      unusable.push(`OCSP response (${e.code}): ${e.message}`);
      continue;
    }
    const late = ctx.pastTime ? evidenceTimeProblem(single, cert, ctx.at) : undefined;
    if (late) {
      unusable.push(`OCSP response ${late}`);
      continue;
    }
    if (single.status === 'unknown') {
      unusable.push('the OCSP responder does not know this certificate');
      continue;
    }
    return fromOcspSingle(single, ctx.at);
  }
  return undefined;
}

function fromOcspSingle(single: OcspSingleResponse, at: Date): RevocationVerdict {
  if (single.status !== 'revoked' || !revokedAsOf(single, at)) return { status: 'good', source: 'ocsp' };
  const detail = ocspSaysNeverIssued(single) ? 'the OCSP responder says this serial was never issued (RFC 6960 §2.2)' : compromisedBefore(single, at);
  return revokedVerdict('ocsp', single, detail);
}

/** A revoked verdict with only the facts that are known (no undefined keys: callers compare verdicts whole). */
function revokedVerdict(source: 'crl' | 'ocsp', r: { revokedAt: Date; reason?: CrlReason | undefined; invalidityDate?: Date | undefined }, detail: string | undefined): RevocationVerdict {
  const v: RevocationVerdict = { status: 'revoked', source, reason: r.reason, revokedAt: r.revokedAt };
  if (r.invalidityDate) v.invalidityDate = r.invalidityDate;
  if (detail) v.detail = detail;
  return v;
}

const COMPROMISE: ReadonlySet<string> = new Set(['keyCompromise', 'cACompromise', 'aACompromise']);

/**
 * Revoked as of `at`: revoked at or before it, or revoked later because the key was compromised, with an
 * invalidity date (RFC 5280 §5.3.2: when the key is known or suspected to have been compromised) at or before it.
 * Any other later revocation (superseded, affiliationChanged, a hold…) leaves the certificate good at `at`.
 */
export function revokedAsOf(r: { revokedAt: Date; reason?: string | undefined; invalidityDate?: Date | undefined }, at: Date): boolean {
  if (r.revokedAt <= at) return true;
  return r.reason !== undefined && COMPROMISE.has(r.reason) && r.invalidityDate !== undefined && r.invalidityDate <= at;
}

function compromisedBefore(r: { revokedAt: Date; reason?: string | undefined; invalidityDate?: Date | undefined }, at: Date): string | undefined {
  if (r.revokedAt <= at || !r.invalidityDate) return undefined;
  return `revoked (${r.reason}) on ${r.revokedAt.toISOString()}, the key compromised since ${r.invalidityDate.toISOString()} (invalidity date), before ${at.toISOString()}`;
}

/**
 * Can evidence made at `thisUpdate` (valid until `nextUpdate`) show a certificate's status as of a past time
 * `at`? Yes when it was current then; or when it was made after `at` but while the certificate was still valid
 * — a later revocation is then visible with its date, and the entry dates tell whether it predates `at`. Evidence
 * made after the certificate expired cannot: CAs drop expired certificates from their CRLs (RFC 5280 §3.3), so
 * silence about it proves nothing. Undefined when usable, else why not.
 */
export function evidenceTimeProblem(e: { thisUpdate: Date; nextUpdate?: Date | undefined }, cert: { notAfter: Date }, at: Date): string | undefined {
  if (e.thisUpdate <= at && (!e.nextUpdate || e.nextUpdate >= at)) return undefined;
  if (e.thisUpdate > at) {
    if (e.thisUpdate <= cert.notAfter) return undefined;
    return `was made ${e.thisUpdate.toISOString()}, after the certificate expired (${cert.notAfter.toISOString()}): CAs drop expired certificates from their lists, so it cannot show the status as of ${at.toISOString()}`;
  }
  return `expired ${e.nextUpdate?.toISOString()}, before ${at.toISOString()}`;
}

const implicitPoint: DistributionPoint = { name: undefined, reasons: undefined, crlIssuer: undefined };

const label = (crl: ParsedCrl): string => `CRL number ${crl.crlNumber ?? '?'} of "${crl.issuer.display}"`;

async function crlVerdict(path: readonly CertificateFacts[], index: number, ctx: RevocationContext, unusable: string[]): Promise<RevocationVerdict | undefined> {
  const cert = path[index] as CertificateFacts;
  const crls = ctx.evidence.crls;
  if (crls.length === 0) return undefined;
  const complete = newestFirst(crls.filter((c) => c.deltaCrlIndicator === undefined));
  const points = cert.crlDistributionPoints?.length ? cert.crlDistributionPoints : [implicitPoint];
  const reported = new Set<ParsedCrl>();
  const note = (crl: ParsedCrl, why: string): void => {
    if (reported.has(crl)) return;
    reported.add(crl);
    unusable.push(`${label(crl)} ${why}`);
  };
  let covered: ReasonMask = 0;
  let usedAny = false;
  for (const point of points) {
    for (const crl of complete) {
      if (covered === ALL_REASONS) break;
      const interim = scopeCovers(crl, cert, point);
      if (interim === undefined || (interim & ~covered) === 0) continue;
      const problem = profileProblem(crl);
      if (problem) {
        note(crl, problem);
        continue;
      }
      const stale = crlTimeProblem(crl, cert, ctx);
      if (stale) {
        note(crl, stale);
        continue;
      }
      const signer = await findCrlSigner(crl, path, index, point, ctx);
      if (typeof signer === 'string') {
        note(crl, signer);
        continue;
      }
      const delta = await findDelta(crl, signer, path, index, crls, ctx, note);
      const entry = (delta && entryFor(delta, cert, crl)) ?? entryFor(crl, cert, crl);
      usedAny = true;
      covered |= interim;
      // An entry dated after `at` did not exist yet at that time (unless it dates a key compromise back before
      // it); removeFromCRL (in a delta) lifts a hold.
      if (entry && entry.reason !== 'removeFromCRL' && revokedAsOf(entry, ctx.at)) {
        return revokedVerdict('crl', entry, compromisedBefore(entry, ctx.at));
      }
    }
  }
  if (covered === ALL_REASONS) return { status: 'good', source: 'crl' };
  if (usedAny) unusable.push('the usable CRLs cover only some revocation reasons for this certificate');
  else if (crls.some((c) => c.deltaCrlIndicator !== undefined && crlIssuerName(c)?.key === cert.issuerName.key) && !complete.some((c) => crlIssuerName(c)?.key === cert.issuerName.key)) {
    unusable.push('a delta CRL cannot be used without its base CRL');
  }
  return undefined;
}

/** Why this CRL cannot speak for the certificate as of ctx.at (current then, or made later in a past-time check). */
function crlTimeProblem(crl: ParsedCrl, cert: CertificateFacts, ctx: RevocationContext): string | undefined {
  if (ctx.pastTime) {
    const why = evidenceTimeProblem(crl, cert, ctx.at);
    return why ? `(QT_ERR_CRL_STALE): it ${why}` : undefined;
  }
  try {
    checkCrlCurrent(crl, ctx.at);
    return undefined;
  } catch (e) {
    if (!isQtError(e)) throw e;
    return `(${e.code}): ${e.message}`;
  }
}

/** RFC 5280 §5.2, §5.3 and §5.2.3, as a relying party can check them. */
function profileProblem(crl: ParsedCrl): string | undefined {
  if (crl.version !== 2) return 'is a version 1 CRL, which carries no CRL number (RFC 5280 §5.1.2.1)';
  if (crl.crlNumber === undefined) return 'has no CRL number (RFC 5280 §5.2.3)';
  if (crl.crlNumberCritical) return 'marks its CRL number critical (RFC 5280 §5.2.3)';
  if (crl.duplicateExtensions.length) return `carries the extension ${crl.duplicateExtensions.join(', ')} more than once`;
  if (crl.unknownCriticalExtensions.length) return `(QT_ERR_CRL_MALFORMED): has critical extensions we do not understand: ${crl.unknownCriticalExtensions.join(', ')}`;
  const entryExtensions = crl.unknownCriticalEntryExtensions();
  if (entryExtensions.length) return `has critical entry extensions we do not understand: ${entryExtensions.join(', ')} (RFC 5280 §5.3)`;
  return undefined;
}

/**
 * RFC 5280 §6.3.3 (b)–(c): does this complete CRL speak for the certificate at this distribution point, and
 * for which reasons? undefined when it does not apply at all.
 */
function scopeCovers(crl: ParsedCrl, cert: CertificateFacts, point: DistributionPoint): ReasonMask | undefined {
  const scope = crl.issuingDistributionPoint;
  const crlIssuer = crlIssuerName(crl);
  if (!crlIssuer) return undefined;
  const crlIssuerKey = crlIssuer.key;
  // (b)(1): who issues the CRL.
  if (point.crlIssuer) {
    const named = point.crlIssuer.some((n) => n.type === 'directoryName' && n.name.key === crlIssuerKey);
    if (!named || !scope?.indirectCRL) return undefined;
  } else if (crlIssuerKey !== cert.issuerName.key) {
    return undefined;
  }
  // (b)(2): the CRL's own scope.
  if (scope) {
    if (scope.distributionPoint) {
      const idpNames = pointNames(scope.distributionPoint, crlIssuer.rdns);
      const certNames = point.name ? pointNames(point.name, point.crlIssuer ? directoryRdns(point.crlIssuer) : cert.issuerName.rdns) : (point.crlIssuer ?? []);
      if (!idpNames.some((a) => certNames.some((b) => generalNamesEqual(a, b)))) return undefined;
    }
    const isCa = cert.basicConstraints?.ca === true;
    if (scope.onlyContainsUserCerts && isCa) return undefined;
    if (scope.onlyContainsCACerts && !isCa) return undefined;
    if (scope.onlyContainsAttributeCerts) return undefined;
  }
  // (c): the reasons it speaks for.
  const idpReasons = scope?.onlySomeReasons ?? ALL_REASONS;
  const dpReasons = point.reasons ?? ALL_REASONS;
  return idpReasons & dpReasons & ALL_REASONS;
}

/** A distribution point's names; nameRelativeToCRLIssuer is appended to the issuer's DN (RFC 5280 §4.2.1.13). */
function pointNames(name: NonNullable<DistributionPoint['name']>, issuer: readonly RdnKey[] | undefined): GeneralName[] {
  if ('fullName' in name) return name.fullName;
  if (!issuer) return [];
  const rdns = [...issuer, name.relative];
  return [{ type: 'directoryName', der: new Uint8Array(), name: { rdns, key: rdns.join(','), emails: [] } }];
}

/** The DN of the first directoryName among GeneralNames (a cRLIssuer), as RDN keys. */
function directoryRdns(names: readonly GeneralName[]): readonly RdnKey[] | undefined {
  const dn = names.find((n) => n.type === 'directoryName');
  return dn?.type === 'directoryName' ? dn.name.rdns : undefined;
}

const parsedIssuers = new WeakMap<ParsedCrl, ParsedName | null>();

/** The CRL issuer's name as RFC 5280 §7.1 compares it (null when unreadable), parsed once per CRL. */
function crlIssuerName(crl: ParsedCrl): ParsedName | null {
  let name = parsedIssuers.get(crl);
  if (name === undefined) {
    try {
      name = parseName(crl.issuer.der);
    } catch {
      name = null;
    }
    parsedIssuers.set(crl, name);
  }
  return name;
}

/**
 * RFC 5280 §6.3.3 (f)–(g): the certificate whose key signed the CRL, with the right to sign CRLs and a valid
 * path to the same trust anchor. The certificate's own issuer is tried first (the usual case, already
 * validated as part of this path); then any certificate with the CRL issuer's name. Returns why none fits.
 */
async function findCrlSigner(crl: ParsedCrl, path: readonly CertificateFacts[], index: number, point: DistributionPoint, ctx: RevocationContext): Promise<CertificateFacts | string> {
  const issuer = path[index + 1] as CertificateFacts;
  const anchor = path[path.length - 1] as CertificateFacts;
  const crlIssuerKey = crlIssuerName(crl)?.key;
  if (crlIssuerKey === undefined) return '(QT_ERR_CRL_MALFORMED): its issuer name cannot be read';
  const candidates = [...new Set([...(point.crlIssuer ? [] : [issuer]), ...path.slice(index + 1).filter((c) => c.subjectName.key === crlIssuerKey), ...ctx.withSubject(crlIssuerKey)])];
  const reasons: string[] = [];
  for (const candidate of candidates) {
    if (candidate.subjectName.key !== crlIssuerKey) continue;
    if (crl.authorityKeyId && candidate.subjectKeyId && !bytesEqual(crl.authorityKeyId, candidate.subjectKeyId)) continue;
    let signed: boolean;
    try {
      signed = await ctx.signatures.verify(crl, { cert: candidate, inheritedParameters: inheritedParameters(path, path.indexOf(candidate)) });
    } catch (e) {
      if (!isQtError(e) || e.code === 'QT_ERR_PATH_BUDGET_EXCEEDED') throw e;
      reasons.push(`(${e.code}): ${e.message}`);
      continue;
    }
    if (!signed) {
      reasons.push(`(QT_ERR_SIGNATURE_INVALID): its signature does not verify with the key of "${candidate.subject}"`);
      continue;
    }
    if (candidate.keyUsage && !candidate.keyUsage.has('cRLSign')) {
      reasons.push(`(QT_ERR_KEY_USAGE): "${candidate.subject}" is not allowed to sign CRLs (no cRLSign)`);
      continue;
    }
    // On the certificate's own path above it: already validated (and checked for revocation top-down).
    const onPath = path.indexOf(candidate);
    if (onPath > index) return candidate;
    const why = await ctx.validateCrlSigner(candidate, anchor);
    if (why === undefined) return candidate;
    reasons.push(`(QT_ERR_CHAIN_INVALID): the CRL signer "${candidate.subject}" is not valid: ${why}`);
  }
  return reasons.length ? reasons.join('; ') : `(QT_ERR_CHAIN_INCOMPLETE): no certificate of "${crl.issuer.display}" that could have signed it was supplied`;
}

/** RFC 5280 §5.2.4, §6.3.3 (e), (h): the newest current delta CRL for this complete CRL, signed by the same key. */
async function findDelta(
  base: ParsedCrl,
  signer: CertificateFacts,
  path: readonly CertificateFacts[],
  index: number,
  crls: readonly ParsedCrl[],
  ctx: RevocationContext,
  note: (crl: ParsedCrl, why: string) => void,
): Promise<ParsedCrl | undefined> {
  const baseNumber = base.crlNumber as bigint;
  const baseIssuer = crlIssuerName(base)?.key;
  const candidates = newestFirst(
    crls.filter(
      (d) =>
        d.deltaCrlIndicator !== undefined &&
        d.deltaCrlIndicator <= baseNumber &&
        (d.crlNumber ?? 0n) > baseNumber &&
        crlIssuerName(d)?.key === baseIssuer &&
        sameScope(d.issuingDistributionPoint, base.issuingDistributionPoint) &&
        sameKeyId(d, base),
    ),
  );
  for (const delta of candidates) {
    const problem = profileProblem(delta);
    if (problem) {
      note(delta, problem);
      continue;
    }
    const stale = crlTimeProblem(delta, path[index] as CertificateFacts, ctx);
    if (stale) {
      note(delta, stale);
      continue;
    }
    if (!(await ctx.signatures.verify(delta, { cert: signer, inheritedParameters: inheritedParameters(path, path.indexOf(signer)) }))) {
      note(delta, `(QT_ERR_SIGNATURE_INVALID): the delta CRL signature does not verify with the key of "${signer.subject}"`);
      continue;
    }
    return delta;
  }
  return undefined;
}

/** DSA domain parameters a key on the path inherits from the nearest CA above it (RFC 5280 §6.1.4 (f)). */
function inheritedParameters(path: readonly CertificateFacts[], index: number): Bytes | undefined {
  if (index < 0) return undefined;
  let inherited: Bytes | undefined;
  for (let i = path.length - 1; i > index; i--) inherited = parametersOf(path[i] as CertificateFacts, inherited);
  return inherited;
}

function sameKeyId(a: ParsedCrl, b: ParsedCrl): boolean {
  return !a.authorityKeyId || !b.authorityKeyId || bytesEqual(a.authorityKeyId, b.authorityKeyId);
}

function scopeKey(scope: CrlScope | undefined): string {
  if (!scope) return '';
  const point = scope.distributionPoint;
  const names = point ? ('fullName' in point ? point.fullName.map(describeGeneralName).join('|') : `rel:${point.relative}`) : '';
  return JSON.stringify([names, scope.onlyContainsUserCerts, scope.onlyContainsCACerts, scope.onlySomeReasons ?? null, scope.indirectCRL ?? false, scope.onlyContainsAttributeCerts ?? false]);
}

function sameScope(a: CrlScope | undefined, b: CrlScope | undefined): boolean {
  return scopeKey(a) === scopeKey(b);
}

/**
 * The CRL's entry for this certificate. In an indirect CRL an entry names its certificate's issuer through the
 * certificateIssuer extension, which carries over to the entries after it (RFC 5280 §5.3.3).
 */
function entryFor(crl: ParsedCrl, cert: CertificateFacts, base: ParsedCrl): CrlEntry | undefined {
  if (!crl.issuingDistributionPoint?.indirectCRL && !base.issuingDistributionPoint?.indirectCRL) return crl.findEntry(cert.serialBytes);
  let current = crlIssuerName(crl)?.key;
  for (const entry of crl.entries()) {
    if (entry.certificateIssuer) {
      const dn = entry.certificateIssuer.find((n) => n.type === 'directoryName');
      current = dn?.type === 'directoryName' ? dn.name.key : undefined;
    }
    if (current === cert.issuerName.key && entry.serial === cert.serial) return entry;
  }
  return undefined;
}

function newestFirst(crls: readonly ParsedCrl[]): ParsedCrl[] {
  return [...crls].sort((a, b) =>
    (a.crlNumber ?? 0n) === (b.crlNumber ?? 0n) ? b.thisUpdate.getTime() - a.thisUpdate.getTime() : (b.crlNumber ?? 0n) > (a.crlNumber ?? 0n) ? 1 : -1,
  );
}
