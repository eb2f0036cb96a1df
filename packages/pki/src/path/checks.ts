/**
 * The RFC 5280 §6.1 checks on one built path (leaf first, anchor last), without revocation: signatures,
 * validity as of a time, CA constraints (basicConstraints, pathLen, keyCertSign), unknown critical
 * extensions, and the purpose. Each failure is a QtError naming the certificate and its chain position.
 */
import { QtError, type QtErrorCode } from '../errors.ts';
import { oid } from '../oids.ts';
import { verifySignature } from '../crypto/index.ts';
import type { CertificateFacts, KeyUsageName } from './certificate.ts';
import type { Purpose } from './types.ts';

/** Extensions whose meaning we process or which carry no constraint for path validation. */
const understood: ReadonlySet<string> = new Set([
  oid.keyUsage,
  oid.basicConstraints,
  oid.extKeyUsage,
  oid.subjectKeyIdentifier,
  oid.authorityKeyIdentifier,
  oid.subjectAltName,
  // Policies: we accept any policy (no policy constraints are asked of a path), so marking them critical changes nothing.
  oid.certificatePolicies,
  oid.crlDistributionPoints,
  oid.freshestCrl,
  oid.authorityInfoAccess,
  oid.ocspNoCheck,
]);

const anyExtendedKeyUsage = '2.5.29.37.0';

const purposeEku: Readonly<Record<Exclude<Purpose, 'any'>, string>> = {
  clientAuth: oid.ekuClientAuth,
  emailProtection: oid.ekuEmailProtection,
  ocspSigning: oid.ekuOcspSigning,
};

/** Key usages that satisfy a purpose when keyUsage is present (as OpenSSL's purpose checks read them). */
const purposeKeyUsage: Readonly<Record<Exclude<Purpose, 'any'>, readonly KeyUsageName[]>> = {
  clientAuth: ['digitalSignature', 'keyAgreement'],
  emailProtection: ['digitalSignature', 'nonRepudiation'],
  ocspSigning: ['digitalSignature', 'nonRepudiation'],
};

export function failure(code: QtErrorCode, message: string, index: number, cert: CertificateFacts): QtError {
  return new QtError(code, message, { index, subject: cert.subject, serial: cert.serial });
}

/** Runs every check; the first failure, top-down as RFC 5280 processes a path, is thrown. */
export async function checkPath(path: readonly CertificateFacts[], at: Date, purpose: Purpose): Promise<void> {
  const anchorIndex = path.length - 1;
  checkValidity(path[anchorIndex] as CertificateFacts, anchorIndex, at);
  if (anchorIndex > 0) checkIssuer(path, anchorIndex);
  for (let i = anchorIndex - 1; i >= 0; i--) {
    const cert = path[i] as CertificateFacts;
    await checkSignature(cert, path[i + 1] as CertificateFacts, i);
    checkValidity(cert, i, at);
    checkCriticalExtensions(cert, i);
    if (i > 0) checkIssuer(path, i);
    if (purpose !== 'any') checkPurpose(cert, i, purpose);
  }
}

async function checkSignature(cert: CertificateFacts, issuer: CertificateFacts, i: number): Promise<void> {
  const ok = await verifySignature(cert.signatureAlgorithm.oid, {
    spki: issuer.spki,
    parameters: cert.signatureAlgorithm.parameters,
    data: cert.tbs,
    signature: cert.signature,
  });
  if (!ok) throw failure('QT_ERR_SIGNATURE_INVALID', `The signature on "${cert.subject}" does not verify with the key of "${issuer.subject}"`, i, cert);
}

function checkValidity(cert: CertificateFacts, i: number, at: Date): void {
  if (at < cert.notBefore) {
    throw failure('QT_ERR_CERT_NOT_YET_VALID', `"${cert.subject}" is valid only from ${cert.notBefore.toISOString()} (checked as of ${at.toISOString()})`, i, cert);
  }
  if (at > cert.notAfter) {
    throw failure('QT_ERR_CERT_EXPIRED', `"${cert.subject}" expired ${cert.notAfter.toISOString()} (checked as of ${at.toISOString()})`, i, cert);
  }
}

/** The certificate at `i` issues the one below it: it must be a CA, may sign certificates, and respect pathLen. */
function checkIssuer(path: readonly CertificateFacts[], i: number): void {
  const ca = path[i] as CertificateFacts;
  const isAnchor = i === path.length - 1;
  // A trust anchor is trusted as configured; only an explicit "not a CA" is held against it (old v1 roots have no extensions).
  if (ca.basicConstraints ? !ca.basicConstraints.ca : !isAnchor) {
    throw failure('QT_ERR_CHAIN_INVALID', `"${ca.subject}" issued "${path[i - 1]?.subject}" but is not a CA certificate`, i, ca);
  }
  if (ca.keyUsage && !ca.keyUsage.has('keyCertSign')) {
    throw failure('QT_ERR_KEY_USAGE', `"${ca.subject}" is not allowed to sign certificates (no keyCertSign)`, i, ca);
  }
  const pathLen = ca.basicConstraints?.pathLen;
  if (pathLen !== undefined) {
    // RFC 5280 §4.2.1.9: self-issued intermediates do not count; the leaf never counts.
    const below = path.slice(1, i).filter((c) => !c.selfIssued).length;
    if (below > pathLen) {
      throw failure('QT_ERR_CHAIN_INVALID', `"${ca.subject}" allows ${pathLen} CA certificate(s) below it; the chain has ${below}`, i, ca);
    }
  }
}

function checkCriticalExtensions(cert: CertificateFacts, i: number): void {
  const unknown = cert.extensions.filter((e) => e.critical && !understood.has(e.oid)).map((e) => e.oid);
  if (unknown.length) {
    throw failure('QT_ERR_CHAIN_INVALID', `"${cert.subject}" has critical extensions we cannot process: ${unknown.join(', ')}`, i, cert);
  }
}

/**
 * EKU must name the purpose (or anyExtendedKeyUsage) wherever it appears in the chain; other OIDs beside it,
 * such as the Kazakh role OIDs NCA writes into EKU, are simply ignored. The leaf's keyUsage must fit too.
 */
function checkPurpose(cert: CertificateFacts, i: number, purpose: Exclude<Purpose, 'any'>): void {
  const wanted = purposeEku[purpose];
  if (cert.extKeyUsage && !cert.extKeyUsage.includes(wanted) && !cert.extKeyUsage.includes(anyExtendedKeyUsage)) {
    throw failure('QT_ERR_KEY_USAGE', `"${cert.subject}" is not allowed for ${purpose} (its extended key usage does not include it)`, i, cert);
  }
  if (i === 0 && cert.keyUsage && !purposeKeyUsage[purpose].some((u) => cert.keyUsage?.has(u))) {
    throw failure('QT_ERR_KEY_USAGE', `"${cert.subject}" has a key usage that does not allow ${purpose}`, i, cert);
  }
}
