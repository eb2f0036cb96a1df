/**
 * RFC 5280 §6.1 on one built path (leaf first, anchor last), without revocation, processed top-down as the
 * RFC does: signatures (with DSA parameter inheritance), validity as of a time, name chaining, name
 * constraints, certificate policies, basic constraints and path length, key usage for each certificate's
 * role, unknown critical extensions, the RFC 5280 §4 profile rules (profile.ts), and the purpose.
 * The trust anchor's own constraints are honoured as RFC 5937 describes (name constraints, policies and
 * policy constraints, path length, key usage, critical extensions, EKU).
 *
 * Hand-written: no JavaScript library implements RFC 5280 §6 in full (pkijs' CertificateChainValidationEngine
 * skips policy mapping, most name forms and CRL scope; @peculiar/x509's chain builder does no validation).
 */
import { QtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import type { Bytes } from '../encoding.ts';
import type { CertificateFacts, KeyUsageName } from './certificate.ts';
import { NameConstraintState } from './name-constraints.ts';
import { PolicyProcessor, type PolicyInputs, type PolicyReport } from './policies.ts';
import { profileViolation, type Profile } from './profile.ts';
import { parametersOf, type SignatureChecks } from './signatures.ts';
import type { PathBudget } from './budget.ts';
import type { Purpose } from './types.ts';

/** Extensions whose meaning we process or which carry no constraint for path validation. */
const understood: ReadonlySet<string> = new Set([
  oid.keyUsage,
  oid.basicConstraints,
  oid.extKeyUsage,
  oid.subjectKeyIdentifier,
  oid.authorityKeyIdentifier,
  oid.subjectAltName,
  oid.nameConstraints,
  oid.certificatePolicies,
  oid.policyMappings,
  oid.policyConstraints,
  oid.inhibitAnyPolicy,
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
  timeStamping: oid.ekuTimeStamping,
};

/** Key usages that satisfy a purpose when keyUsage is present (as OpenSSL's purpose checks read them). */
const purposeKeyUsage: Readonly<Record<Exclude<Purpose, 'any'>, readonly KeyUsageName[]>> = {
  clientAuth: ['digitalSignature', 'keyAgreement'],
  emailProtection: ['digitalSignature', 'nonRepudiation'],
  ocspSigning: ['digitalSignature', 'nonRepudiation'],
  timeStamping: ['digitalSignature', 'nonRepudiation'],
};

export interface PathCheckOptions {
  at: Date;
  purpose: Purpose;
  profile: Profile;
  policy: PolicyInputs;
  budget: PathBudget;
  signatures: SignatureChecks;
}

export function failure(code: QtErrorCode, message: string, index: number, cert: CertificateFacts): QtError {
  return new QtError(code, message, { index, subject: cert.subject, serial: cert.serial });
}

/** Runs every check; the first failure, top-down as RFC 5280 processes a path, is thrown. */
export async function checkPath(path: readonly CertificateFacts[], o: PathCheckOptions): Promise<PolicyReport> {
  const anchorIndex = path.length - 1;
  const n = anchorIndex; // certificates below the anchor
  const anchor = path[anchorIndex] as CertificateFacts;
  const names = new NameConstraintState();
  const policies = new PolicyProcessor(n, o.policy, o.budget);
  let maxPathLength = n;

  // The trust anchor (RFC 5937): its validity, its own rules, and the constraints it imposes.
  checkValidity(anchor, anchorIndex, o.at);
  checkCriticalExtensions(anchor, anchorIndex);
  checkProfile(anchor, anchorIndex, o.profile);
  if (n > 0) {
    checkIssuerRole(anchor, anchorIndex, path, true);
    if (anchor.basicConstraints?.pathLen !== undefined) maxPathLength = Math.min(maxPathLength, anchor.basicConstraints.pathLen);
    addNameConstraints(names, anchor, anchorIndex);
  }
  policies.applyTrustAnchor(anchor);
  if (o.purpose !== 'any') checkPurpose(anchor, anchorIndex, o.purpose, n === 0);
  let parameters: Bytes | undefined = parametersOf(anchor, undefined);

  for (let k = anchorIndex - 1; k >= 0; k--) {
    const i = anchorIndex - k; // RFC 5280's 1-based position, counted from the anchor
    const cert = path[k] as CertificateFacts;
    const issuer = path[k + 1] as CertificateFacts;
    // §6.1.3 (a): signature, validity, name chaining.
    const signed = await o.signatures.verify(cert, { cert: issuer, inheritedParameters: parameters });
    if (!signed) throw failure('QT_ERR_SIGNATURE_INVALID', `The signature on "${cert.subject}" does not verify with the key of "${issuer.subject}"`, k, cert);
    checkValidity(cert, k, o.at);
    if (cert.issuerName.key !== issuer.subjectName.key) {
      throw failure('QT_ERR_CHAIN_INVALID', `The issuer name of "${cert.subject}" does not match the subject of "${issuer.subject}"`, k, cert);
    }
    // (b), (c): name constraints, skipped for self-issued certificates other than the last.
    if (!cert.selfIssued || k === 0) {
      const violation = names.violation({ subject: { type: 'directoryName', der: cert.subjectDer, name: cert.subjectName }, altNames: cert.subjectAltNames ?? [], emails: cert.subjectName.emails });
      if (violation) throw failure('QT_ERR_CHAIN_INVALID', `"${cert.subject}" violates the name constraints of a CA above it: ${violation}`, k, cert);
    }
    // (d)–(f): policies.
    const policyFailure = policies.processCertificate(cert, i);
    if (policyFailure) throw failure('QT_ERR_CHAIN_INVALID', `"${cert.subject}": ${policyFailure}`, k, cert);

    if (k > 0) {
      // §6.1.4: preparation for the certificate below.
      const prepFailure = policies.prepareNext(cert, i);
      if (prepFailure) throw failure('QT_ERR_CHAIN_INVALID', `"${cert.subject}": ${prepFailure}`, k, cert);
      checkIssuerRole(cert, k, path, false);
      addNameConstraints(names, cert, k);
      if (!cert.selfIssued) {
        if (maxPathLength <= 0) {
          throw failure('QT_ERR_CHAIN_INVALID', `The path length constraint above "${cert.subject}" allows no further CA certificate below it`, k, cert);
        }
        maxPathLength--;
      }
      const pathLen = cert.basicConstraints?.pathLen;
      if (pathLen !== undefined && pathLen < maxPathLength) maxPathLength = pathLen;
    }
    checkCriticalExtensions(cert, k);
    checkProfile(cert, k, o.profile);
    if (o.purpose !== 'any') checkPurpose(cert, k, o.purpose, k === 0);
    parameters = parametersOf(cert, parameters);
  }
  // §6.1.5: wrap-up.
  const outcome = policies.wrapUp(path[0] as CertificateFacts);
  if ('failure' in outcome) throw failure('QT_ERR_CHAIN_INVALID', `"${(path[0] as CertificateFacts).subject}": ${outcome.failure}`, 0, path[0] as CertificateFacts);
  return outcome.report;
}

function checkValidity(cert: CertificateFacts, i: number, at: Date): void {
  if (at < cert.notBefore) {
    throw failure('QT_ERR_CERT_NOT_YET_VALID', `"${cert.subject}" is valid only from ${cert.notBefore.toISOString()} (checked as of ${at.toISOString()})`, i, cert);
  }
  if (at > cert.notAfter) {
    throw failure('QT_ERR_CERT_EXPIRED', `"${cert.subject}" expired ${cert.notAfter.toISOString()} (checked as of ${at.toISOString()})`, i, cert);
  }
}

/** §6.1.4 (k), (n): the certificate at `i` issues the one below it, so it must be a CA allowed to sign certificates. */
function checkIssuerRole(ca: CertificateFacts, i: number, path: readonly CertificateFacts[], isAnchor: boolean): void {
  // A trust anchor is trusted as configured; only an explicit "not a CA" is held against it (old v1 roots have no
  // extensions). Below it, a v3 CA must say cA=TRUE and a v1/v2 certificate cannot be shown to be a CA at all.
  if (ca.basicConstraints ? !ca.basicConstraints.ca : !isAnchor) {
    throw failure('QT_ERR_CHAIN_INVALID', `"${ca.subject}" issued "${path[i - 1]?.subject}" but is not a CA certificate`, i, ca);
  }
  if (ca.keyUsage && !ca.keyUsage.has('keyCertSign')) {
    throw failure('QT_ERR_KEY_USAGE', `"${ca.subject}" is not allowed to sign certificates (no keyCertSign)`, i, ca);
  }
}

function addNameConstraints(names: NameConstraintState, ca: CertificateFacts, i: number): void {
  if (!ca.nameConstraints) return;
  const critical = ca.extensions.some((e) => e.oid === oid.nameConstraints && e.critical);
  const refusal = names.add(ca.nameConstraints, critical);
  if (refusal) throw failure('QT_ERR_CHAIN_INVALID', `"${ca.subject}": ${refusal}`, i, ca);
}

function checkCriticalExtensions(cert: CertificateFacts, i: number): void {
  const unknown = cert.extensions.filter((e) => e.critical && !understood.has(e.oid)).map((e) => e.oid);
  if (unknown.length) {
    throw failure('QT_ERR_CHAIN_INVALID', `"${cert.subject}" has critical extensions we cannot process: ${unknown.join(', ')}`, i, cert);
  }
}

function checkProfile(cert: CertificateFacts, i: number, profile: Profile): void {
  const violation = profileViolation(cert, profile);
  if (violation) throw failure('QT_ERR_CERT_MALFORMED', `"${cert.subject}" does not follow the certificate profile: ${violation}`, i, cert);
}

/**
 * EKU must name the purpose (or anyExtendedKeyUsage) wherever it appears in the chain, trust anchor included;
 * other OIDs beside it, such as the Kazakh role OIDs NCA writes into EKU, are simply ignored. The leaf's
 * keyUsage must fit too.
 */
function checkPurpose(cert: CertificateFacts, i: number, purpose: Exclude<Purpose, 'any'>, isLeaf: boolean): void {
  const wanted = purposeEku[purpose];
  if (cert.extKeyUsage && !cert.extKeyUsage.includes(wanted) && !cert.extKeyUsage.includes(anyExtendedKeyUsage)) {
    throw failure('QT_ERR_KEY_USAGE', `"${cert.subject}" is not allowed for ${purpose} (its extended key usage does not include it)`, i, cert);
  }
  if (isLeaf && cert.keyUsage && !purposeKeyUsage[purpose].some((u) => cert.keyUsage?.has(u))) {
    throw failure('QT_ERR_KEY_USAGE', `"${cert.subject}" has a key usage that does not allow ${purpose}`, i, cert);
  }
}
