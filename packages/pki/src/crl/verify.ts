/** Is this CRL really from this CA (and current)? RFC 5280 §6.3.3 steps (f)–(g), plus freshness. */
import { QtError } from '@qoltanba/errors';
import { bytesEqual } from '../encoding.ts';
import { verifySignature } from '../crypto/index.ts';
import { namesMatch, readCertificate, type CertificateFacts, type CertificateInput } from '../path/certificate.ts';
import { parseCrl, type ParsedCrl } from './parse.ts';

export interface VerifyCrlOptions {
  /** Also require the CRL to be current at this time: thisUpdate ≤ at ≤ nextUpdate (QT_ERR_CRL_STALE). */
  at?: Date | undefined;
}

/**
 * Parses and verifies a CRL against its issuing CA certificate and returns the parsed CRL. Throws
 * QT_ERR_CRL_MALFORMED, QT_ERR_CRL_ISSUER_MISMATCH, QT_ERR_KEY_USAGE (CA may not sign CRLs),
 * QT_ERR_SIGNATURE_INVALID, QT_ERR_ALGORITHM_UNSUPPORTED (GOST, for now) or QT_ERR_CRL_STALE.
 */
export async function verifyCrl(
  crl: Uint8Array | string | ParsedCrl,
  issuerCertificate: CertificateInput,
  options: VerifyCrlOptions = {},
): Promise<ParsedCrl> {
  const parsed = typeof crl === 'string' || crl instanceof Uint8Array ? parseCrl(crl) : crl;
  await checkCrlIssuedBy(parsed, readCertificate(issuerCertificate));
  if (options.at) checkCrlCurrent(parsed, options.at);
  return parsed;
}

export function crlNamesIssuer(crl: ParsedCrl, issuer: CertificateFacts): boolean {
  if (!namesMatch(crl.issuer.der, issuer.subjectDer)) return false;
  // Same name but another key (a re-keyed CA): the AKI tells them apart when both sides carry it.
  return !(crl.authorityKeyId && issuer.subjectKeyId && !bytesEqual(crl.authorityKeyId, issuer.subjectKeyId));
}

export async function checkCrlIssuedBy(crl: ParsedCrl, issuer: CertificateFacts): Promise<void> {
  if (!crlNamesIssuer(crl, issuer)) {
    throw new QtError(
      'QT_ERR_CRL_ISSUER_MISMATCH',
      `The CRL of "${crl.issuer.display}" was not issued by the CA "${issuer.subject}" (name or key identifier differ)`,
    );
  }
  if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) {
    throw new QtError('QT_ERR_KEY_USAGE', `The CA certificate "${issuer.subject}" is not allowed to sign CRLs (no cRLSign)`);
  }
  if (crl.unknownCriticalExtensions.length) {
    throw new QtError('QT_ERR_CRL_MALFORMED', `The CRL has critical extensions we do not understand: ${crl.unknownCriticalExtensions.join(', ')}`);
  }
  const ok = await verifySignature(crl.signatureAlgorithm.oid, {
    spki: issuer.spki,
    parameters: crl.signatureAlgorithm.parameters,
    data: crl.tbs,
    signature: crl.signature,
  });
  if (!ok) throw new QtError('QT_ERR_SIGNATURE_INVALID', `The CRL signature of "${crl.issuer.display}" does not verify`);
}

export function checkCrlCurrent(crl: ParsedCrl, at: Date): void {
  if (crl.thisUpdate > at) {
    throw new QtError('QT_ERR_CRL_STALE', `The CRL was issued ${crl.thisUpdate.toISOString()}, after ${at.toISOString()}`);
  }
  if (crl.nextUpdate && crl.nextUpdate < at) {
    throw new QtError('QT_ERR_CRL_STALE', `The CRL expired ${crl.nextUpdate.toISOString()}, before ${at.toISOString()}`);
  }
}
