/**
 * validatePath: build a chain from the leaf to a trust anchor and validate it as of a time, with
 * revocation. It never throws for a bad certificate or chain; the verdict carries the precise QtError.
 */
import { QtError, asQtError } from '../errors.ts';
import { checkDate } from '../crl/der-write.ts';
import { readCertificate, type CertificateFacts } from './certificate.ts';
import { findPaths } from './build.ts';
import { checkPath, failure } from './checks.ts';
import { readEvidence, revocationOf, type RevocationEvidence } from './revocation.ts';
import type { ChainElement, PathVerdict, Purpose, RevocationMode, RevocationVerdict, ValidatePathOptions } from './types.ts';

export async function validatePath(options: ValidatePathOptions): Promise<PathVerdict> {
  let leaf: CertificateFacts;
  let intermediates: CertificateFacts[];
  let anchors: CertificateFacts[];
  let evidence: RevocationEvidence;
  let at: Date;
  try {
    at = checkDate(options.at, 'at');
    leaf = readCertificate(options.leaf);
    intermediates = (options.intermediates ?? []).map((c) => readCertificate(c));
    anchors = options.trustAnchors.map((c) => readCertificate(c));
    evidence = readEvidence(options.revocation?.crls, options.revocation?.ocspResponses);
  } catch (e) {
    return { ok: false, chain: [], error: asQtError(e, 'QT_ERR_INPUT_INVALID') };
  }
  const search = findPaths(leaf, intermediates, anchors);
  if (search.paths.length === 0) {
    const top = search.longestPartial[search.longestPartial.length - 1] as CertificateFacts;
    const error = new QtError(
      'QT_ERR_CHAIN_INCOMPLETE',
      `The issuer of "${top.subject}" ("${top.issuer}") is neither a trust anchor nor among the intermediate certificates`,
      { index: search.longestPartial.length - 1, subject: top.subject, missingIssuer: top.issuer },
    );
    return { ok: false, chain: search.longestPartial.map((c) => element(c, false)), error };
  }
  const mode = options.revocation?.mode ?? 'off';
  const purpose = options.purpose ?? 'any';
  let firstFailure: PathVerdict | undefined;
  for (const path of search.paths) {
    const verdict = await validateOne(path, at, purpose, mode, evidence);
    if (verdict.ok) return verdict;
    firstFailure ??= verdict;
  }
  return firstFailure as PathVerdict;
}

async function validateOne(
  path: CertificateFacts[],
  at: Date,
  purpose: Purpose,
  mode: RevocationMode,
  evidence: RevocationEvidence,
): Promise<PathVerdict> {
  const chain = path.map((c, i) => element(c, i === path.length - 1));
  try {
    await checkPath(path, at, purpose);
    if (mode === 'off') return { ok: true, chain };
    // Top-down: a revoked CA makes everything below it moot.
    for (let i = path.length - 2; i >= 0; i--) {
      const cert = path[i] as CertificateFacts;
      const revocation = await revocationOf(cert, path[i + 1] as CertificateFacts, evidence, at);
      (chain[i] as ChainElement).revocation = revocation;
      const error = revocationFailure(revocation, cert, i, mode);
      if (error) return { ok: false, chain, error };
    }
    return { ok: true, chain };
  } catch (e) {
    return { ok: false, chain, error: asQtError(e, 'QT_ERR_CHAIN_INVALID') };
  }
}

function revocationFailure(r: RevocationVerdict, cert: CertificateFacts, i: number, mode: RevocationMode): QtError | undefined {
  const when = r.revokedAt ? ` since ${r.revokedAt.toISOString()}` : '';
  const by = r.source === 'ocsp' ? 'the OCSP responder' : 'the CRL';
  if (r.status === 'revoked' && r.reason === 'certificateHold' && !r.detail) {
    return failure('QT_ERR_CERT_ON_HOLD', `"${cert.subject}" is suspended (on hold)${when}, according to ${by}`, i, cert);
  }
  if (r.status === 'revoked') {
    const why = r.detail ?? `revoked${r.reason ? ` (${r.reason})` : ''}${when}`;
    return failure('QT_ERR_CERT_REVOKED', `"${cert.subject}": ${why}, according to ${by}`, i, cert);
  }
  if (mode === 'require' && r.status !== 'good') {
    const why = r.detail ?? 'no CRL or OCSP response for it was supplied';
    return failure('QT_ERR_REVOCATION_UNKNOWN', `The revocation status of "${cert.subject}" is unknown: ${why}`, i, cert);
  }
  return undefined;
}

function element(c: CertificateFacts, trustAnchor: boolean): ChainElement {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serial,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    trustAnchor,
    revocation: { status: 'unchecked' },
    certificate: c.der,
  };
}
