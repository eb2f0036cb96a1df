/**
 * Issuing certificates. Every path goes plan → TBS → pre-certificate (placeholder or throwaway signature) →
 * lint → only then the real CA signer, and the result is checked against the CA's public key.
 * There is no way around the lint in this API.
 */
import { QtError, isQtError } from '@qoltanba/errors';
import { bytesEqual, toHex, toPem, type Bytes } from '../encoding.ts';
import { isSignatureAlgorithmSupported, verifySignature, type Signer } from '../crypto/index.ts';
import type { CertificateInfo, DerInput } from '../certificate/index.ts';
import { inspectCertificateStructure, type InspectedCertificate } from '../certificate/inspect.ts';
import { parseCertificateDer } from '../certificate/parse.ts';
import { verifyCsr, checkPublicKeyPolicy, type CsrInfo } from '../csr/index.ts';
import { buildKzSubject, decodeDn, encodeDn, type DnInput, type KzSubjectInput } from '../names/index.ts';
import { getProfile, type CertificateProfile, type IdentificationMethod, type ProfileName } from '../profiles/index.ts';
import { lintInspected, type LintViolation } from './lint.ts';
import { issuerCertificateInfo } from './issuer-info.ts';
import { precertificateSignature } from './lint-signer.ts';
import { planCertificate, type CertificatePlan, type CommonIssueOptions, type PlanInput } from './plan.ts';
import { assembleCertificate, buildTbs } from './tbs.ts';

export interface IssuerInput {
  /** The issuing CA's certificate (DER, PEM or already inspected). */
  certificate: DerInput | CertificateInfo;
  /** The CA's key; its public key must be the certificate's. */
  signer: Signer;
}

export interface IssuedCertificate {
  der: Bytes;
  pem: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** Lower-case hex; NCA names key files and aliases after it. */
  subjectKeyId: string;
  profile: ProfileName;
  info: CertificateInfo;
}

function issuerInfo(issuer: IssuerInput): CertificateInfo {
  const info = issuerCertificateInfo(issuer.certificate);
  if (!bytesEqual(info.publicKey.spki, issuer.signer.publicKey)) {
    throw new QtError('QT_ERR_KEY_MISMATCH', "The issuer's signer does not hold the key of the issuer's certificate");
  }
  return info;
}

/**
 * Lint-before-sign: the real signer is called only when the pre-certificate has no violations. The
 * pre-certificate is read once; the lint runs over that read, and the issued certificate's facts are
 * the same read with the real signature in place (the TBS bytes are identical, only the signature differs).
 */
async function signPlan(plan: CertificatePlan, signer: Signer, issuer: CertificateInfo | undefined): Promise<IssuedCertificate> {
  const tbs = buildTbs(plan);
  const precertificate = assembleCertificate(tbs, plan.signatureAlgorithm, await precertificateSignature(plan.signatureAlgorithm.oid, signer.publicKey, tbs));
  const inspected = readPrecertificate(plan, precertificate);
  const violations = await lintInspected(inspected, plan.profile, issuer, {
    testMode: plan.testMode,
    expected: {
      subject: plan.subject,
      publicKey: plan.publicKey,
      urls: plan.urls,
      email: plan.email,
      identification: plan.identification,
      cps: plan.cps,
      keyStorage: plan.keyStorage,
    },
  });
  if (violations.length) throw violation(plan, violations);
  const signature = await signer.sign(tbs);
  const der = assembleCertificate(tbs, plan.signatureAlgorithm, signature);
  // A signer that signs the wrong thing (a misconfigured HSM slot) must not produce a certificate.
  const verifierKey = issuer?.publicKey.spki ?? plan.publicKey;
  if (isSignatureAlgorithmSupported(plan.signatureAlgorithm.oid)) {
    const ok = await verifySignature(plan.signatureAlgorithm.oid, { spki: verifierKey, parameters: plan.signatureAlgorithm.parameters, data: tbs, signature });
    if (!ok) throw new QtError('QT_ERR_SIGNATURE_INVALID', "The CA signer's signature on the new certificate does not verify with the CA's public key");
  }
  // The issued bytes are read back structurally (cheap) to prove they frame exactly the linted TBS.
  const issued = parseCertificateDer(der);
  if (!bytesEqual(issued.tbs, inspected.info.tbs)) throw new QtError('QT_ERR_CERT_MALFORMED', 'The issued certificate does not frame the linted TBSCertificate');
  const info: CertificateInfo = { ...inspected.info, der: issued.der, signature: issued.signature };
  return {
    der,
    pem: toPem('CERTIFICATE', der),
    serialHex: info.serialHex,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    subjectKeyId: toHex(plan.subjectKeyId),
    profile: plan.profile.name,
    info,
  };
}

/** What the lint reports when the pre-certificate cannot even be read back: a "parse" violation. */
function readPrecertificate(plan: CertificatePlan, der: Bytes): InspectedCertificate {
  try {
    return inspectCertificateStructure(der);
  } catch (e) {
    throw violation(plan, [{ check: 'parse', message: isQtError(e) ? e.message : String(e) }]);
  }
}

function violation(plan: CertificatePlan, violations: LintViolation[]): QtError {
  return new QtError('QT_ERR_PROFILE_VIOLATION', `The certificate would violate profile ${plan.profile.name}: ${violations.map((v) => v.message).join('; ')}`, {
    profile: plan.profile.name,
    violations,
  });
}

export interface IssueCertificateRequest extends CommonIssueOptions {
  /** PKCS#10 request; only its public key is used, after proof of possession and key policy. */
  csr: DerInput | CsrInfo;
  /** A person profile: individual-auth|sign, legal-<role>-auth|sign. */
  profile: ProfileName;
  /** The subject as the RA established it; never taken from the CSR. */
  subject: KzSubjectInput;
  issuer: IssuerInput;
  /** Goes into subjectAltName as rfc822Name. */
  email?: string;
  identification?: IdentificationMethod;
  /** Accept NCA's test IINs/BINs. Never in production. */
  testMode?: boolean;
}

function personProfile(name: string): CertificateProfile {
  const profile = getProfile(name);
  if (profile.subject === 'authority') {
    throw new QtError('QT_ERR_INPUT_INVALID', `Profile ${name} is for CA infrastructure; use issueCaCertificate or issueOcspSigningCertificate`);
  }
  return profile;
}

/** Issues a person's AUTH or SIGN certificate for the key in `csr`, to the caller's subject. */
export async function issueCertificate(request: IssueCertificateRequest): Promise<IssuedCertificate> {
  const profile = personProfile(request.profile);
  const hasOrganization = !!request.subject.organization;
  if ((profile.subject === 'legal-entity') !== hasOrganization) {
    throw new QtError(
      'QT_ERR_SUBJECT_INVALID',
      profile.subject === 'legal-entity' ? `Profile ${profile.name} needs the organisation and its BIN` : `Profile ${profile.name} is for individuals; give no organisation or BIN`,
      { profile: profile.name },
    );
  }
  const subject = buildKzSubject(request.subject, { testMode: request.testMode });
  const csr = await verifyCsr(request.csr);
  const issuer = issuerInfo(request.issuer);
  const plan = await planCertificate({
    ...request,
    profile,
    subject,
    publicKey: csr.publicKey.spki,
    issuer: { info: issuer, algorithm: request.issuer.signer.algorithm },
  });
  return signPlan(plan, request.issuer.signer, issuer);
}

interface AuthorityRequest extends CommonIssueOptions {
  /** Any DN (DER, or attributes for encodeDn), e.g. [{type:'C',value:'KZ'},{type:'CN',value:'…'}]. */
  subject: Uint8Array | DnInput;
}

export interface RootCaRequest extends AuthorityRequest {
  profile: 'root-ca';
  /** The root's own key: it signs its own certificate. */
  signer: Signer;
}

export interface IssuingCaRequest extends AuthorityRequest {
  profile: 'issuing-ca';
  /** The new CA's public key (SPKI DER), e.g. from the keystore or HSM that holds it. */
  publicKey: Uint8Array;
  issuer: IssuerInput;
}

function authoritySubject(subject: Uint8Array | DnInput): Bytes {
  if (!(subject instanceof Uint8Array)) return encodeDn(subject);
  // The bytes go into the certificate verbatim, so they must be a Name (QT_ERR_DER_MALFORMED otherwise).
  decodeDn(subject);
  return new Uint8Array(subject);
}

/** A self-signed root, or an issuing CA (pathLen 0) under it. */
export async function issueCaCertificate(request: RootCaRequest | IssuingCaRequest): Promise<IssuedCertificate> {
  const profile = getProfile(request.profile);
  const subject = authoritySubject(request.subject);
  if (request.profile === 'root-ca') {
    checkPublicKeyPolicy(request.signer.publicKey);
    const plan = await planCertificate({ ...request, profile, subject, publicKey: new Uint8Array(request.signer.publicKey), issuer: { self: request.signer.algorithm } });
    return signPlan(plan, request.signer, undefined);
  }
  checkPublicKeyPolicy(request.publicKey);
  const issuer = issuerInfo(request.issuer);
  const plan = await planCertificate({ ...request, profile, subject, publicKey: new Uint8Array(request.publicKey), issuer: { info: issuer, algorithm: request.issuer.signer.algorithm } });
  return signPlan(plan, request.issuer.signer, issuer);
}

export interface OcspSigningRequest extends AuthorityRequest {
  /** The responder's public key (SPKI DER). */
  publicKey: Uint8Array;
  /** The CA whose certificates the responder answers for. */
  issuer: IssuerInput;
}

/** A delegated OCSP responder certificate (OCSPSigning, ocsp-nocheck, short-lived). */
export async function issueOcspSigningCertificate(request: OcspSigningRequest): Promise<IssuedCertificate> {
  checkPublicKeyPolicy(request.publicKey);
  const issuer = issuerInfo(request.issuer);
  const plan = await planCertificate({
    ...request,
    profile: getProfile('ocsp-signing'),
    subject: authoritySubject(request.subject),
    publicKey: new Uint8Array(request.publicKey),
    issuer: { info: issuer, algorithm: request.issuer.signer.algorithm },
  } satisfies PlanInput);
  return signPlan(plan, request.issuer.signer, issuer);
}

export interface TimeStampingRequest extends AuthorityRequest {
  /** The TSA's public key (SPKI DER). */
  publicKey: Uint8Array;
  /** The issuing CA the TSA's certificate chains to. */
  issuer: IssuerInput;
}

/**
 * A time-stamping authority's certificate (RFC 3161 §2.3): keyUsage digitalSignature and one critical
 * extKeyUsage holding timeStamping only, CRL pointers and the issuer's certificate URL.
 */
export async function issueTimeStampingCertificate(request: TimeStampingRequest): Promise<IssuedCertificate> {
  checkPublicKeyPolicy(request.publicKey);
  const issuer = issuerInfo(request.issuer);
  const plan = await planCertificate({
    ...request,
    profile: getProfile('tsa-signing'),
    subject: authoritySubject(request.subject),
    publicKey: new Uint8Array(request.publicKey),
    issuer: { info: issuer, algorithm: request.issuer.signer.algorithm },
  } satisfies PlanInput);
  return signPlan(plan, request.issuer.signer, issuer);
}
