/**
 * Revocation status of one certificate as of a time, from the OCSP responses and CRLs the caller supplied.
 * Evidence is used only when it verifies against the certificate's issuer and is current at that time;
 * evidence that does not is recorded as the reason the status is unknown. A full CRL is combined with the
 * newest applicable delta CRL (RFC 5280 §5.2.4), so removeFromCRL lifts a hold.
 */
import { isQtError } from '../errors.ts';
import { parseCrl, type CrlEntry, type ParsedCrl } from '../crl/parse.ts';
import { checkCrlCurrent, checkCrlIssuedBy, crlNamesIssuer } from '../crl/verify.ts';
import { certIdIsFor, computeIssuerHashes } from '../ocsp/cert-id.ts';
import { parseOcspResponse, type ParsedOcspResponse } from '../ocsp/parse-response.ts';
import { verifyParsedOcsp } from '../ocsp/verify-response.ts';
import { ocspSaysNeverIssued, type OcspSingleResponse } from '../ocsp/types.ts';
import type { CertificateFacts } from './certificate.ts';
import type { RevocationVerdict } from './types.ts';

export interface RevocationEvidence {
  crls: ParsedCrl[];
  ocsp: ParsedOcspResponse[];
}

/** Parses all supplied evidence up front: unreadable input is the caller's error, reported as such. */
export function readEvidence(crls: readonly (Uint8Array | string)[] = [], ocsp: readonly (Uint8Array | string)[] = []): RevocationEvidence {
  return { crls: crls.map((c) => parseCrl(c)), ocsp: ocsp.map((r) => parseOcspResponse(r)) };
}

export async function revocationOf(
  cert: CertificateFacts,
  issuer: CertificateFacts,
  evidence: RevocationEvidence,
  at: Date,
): Promise<RevocationVerdict> {
  const unusable: string[] = [];
  const fromOcsp = await ocspVerdict(cert, issuer, evidence.ocsp, at, unusable);
  if (fromOcsp) return fromOcsp;
  const fromCrl = await crlVerdict(cert, issuer, evidence.crls, at, unusable);
  if (fromCrl) return fromCrl;
  return unusable.length ? { status: 'unknown', detail: unusable.join('; ') } : { status: 'unchecked' };
}

async function ocspVerdict(
  cert: CertificateFacts,
  issuer: CertificateFacts,
  responses: readonly ParsedOcspResponse[],
  at: Date,
  unusable: string[],
): Promise<RevocationVerdict | undefined> {
  const hashes = await computeIssuerHashes(issuer);
  for (const response of responses) {
    const single = response.basic?.responses.find((r) => r.certId.serial === cert.serial && certIdIsFor(r.certId, hashes));
    if (!single) continue;
    try {
      await verifyParsedOcsp(response, issuer, { at });
    } catch (e) {
      if (!isQtError(e)) throw e;
      unusable.push(`OCSP response (${e.code}): ${e.message}`);
      continue;
    }
    if (single.status === 'unknown') {
      unusable.push('the OCSP responder does not know this certificate');
      continue;
    }
    return fromOcspSingle(single, at);
  }
  return undefined;
}

function fromOcspSingle(single: OcspSingleResponse, at: Date): RevocationVerdict {
  if (single.status !== 'revoked' || single.revokedAt > at) return { status: 'good', source: 'ocsp' };
  const detail = ocspSaysNeverIssued(single) ? 'the OCSP responder says this serial was never issued (RFC 6960 §2.2)' : undefined;
  return { status: 'revoked', source: 'ocsp', reason: single.reason, revokedAt: single.revokedAt, detail };
}

async function crlVerdict(
  cert: CertificateFacts,
  issuer: CertificateFacts,
  crls: readonly ParsedCrl[],
  at: Date,
  unusable: string[],
): Promise<RevocationVerdict | undefined> {
  const full: ParsedCrl[] = [];
  const deltas: ParsedCrl[] = [];
  for (const crl of crls) {
    if (!crlNamesIssuer(crl, issuer) || !covers(crl, cert, unusable)) continue;
    try {
      await checkCrlIssuedBy(crl, issuer);
      checkCrlCurrent(crl, at);
    } catch (e) {
      if (!isQtError(e)) throw e;
      unusable.push(`CRL number ${crl.crlNumber ?? '?'} (${e.code}): ${e.message}`);
      continue;
    }
    (crl.deltaCrlIndicator === undefined ? full : deltas).push(crl);
  }
  const base = newest(full);
  if (!base) {
    if (deltas.length) unusable.push('a delta CRL cannot be used without its base CRL');
    return undefined;
  }
  const baseNumber = base.crlNumber ?? 0n;
  const delta = newest(deltas.filter((d) => (d.deltaCrlIndicator as bigint) <= baseNumber && (d.crlNumber ?? 0n) > baseNumber));
  const entry: CrlEntry | undefined = delta?.findRevocation(cert.serial) ?? base.findRevocation(cert.serial);
  // An entry dated after `at` did not exist yet at that time.
  if (!entry || entry.reason === 'removeFromCRL' || entry.revokedAt > at) return { status: 'good', source: 'crl' };
  return { status: 'revoked', source: 'crl', reason: entry.reason, revokedAt: entry.revokedAt };
}

/** Does this CRL's scope (issuingDistributionPoint) include the certificate? */
function covers(crl: ParsedCrl, cert: CertificateFacts, unusable: string[]): boolean {
  const scope = crl.issuingDistributionPoint;
  if (!scope) return true;
  if (scope.partial) {
    unusable.push(`CRL number ${crl.crlNumber ?? '?'} is partitioned by reason or indirect, which is not supported`);
    return false;
  }
  const isCa = cert.basicConstraints?.ca === true;
  return !(scope.onlyContainsUserCerts && isCa) && !(scope.onlyContainsCACerts && !isCa);
}

function newest(crls: readonly ParsedCrl[]): ParsedCrl | undefined {
  return [...crls].sort((a, b) => (a.crlNumber ?? 0n) === (b.crlNumber ?? 0n) ? b.thisUpdate.getTime() - a.thisUpdate.getTime() : (b.crlNumber ?? 0n) > (a.crlNumber ?? 0n) ? 1 : -1)[0];
}
