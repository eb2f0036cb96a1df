/**
 * The pre-signing lint: a certificate is parsed back and judged against its profile and RFC 5280
 * before any real CA key signs it. Also usable on its own, on any certificate we issued.
 */
import { isQtError } from '@qoltanba/errors';
import type { CertificateInfo, DerInput } from '../certificate/index.ts';
import { inspectCertificateStructure, type InspectedCertificate } from '../certificate/inspect.ts';
import { getProfile, type CertificateProfile } from '../profiles/index.ts';
import type { LintCheck, LintContext, LintExpectations, LintViolation } from './lint-context.ts';
import { issuerCertificateInfo } from './issuer-info.ts';
import { checkIssuerCanIssue, checkIssuerName, checkPublicKey, checkSerial, checkSignatureAlgorithm, checkValidity, checkVersion } from './lint-structure.ts';
import { checkSubject } from './lint-subject.ts';
import {
  checkBasicConstraints,
  checkExtKeyUsage,
  checkExtensionSet,
  checkKeyIdentifiers,
  checkKeyUsage,
  checkOcspNoCheck,
  checkPolicies,
  checkSubjectAltName,
  checkUrls,
} from './lint-extensions.ts';

const checks: readonly LintCheck[] = [
  checkVersion,
  checkSerial,
  checkSignatureAlgorithm,
  checkIssuerName,
  checkIssuerCanIssue,
  checkValidity,
  checkSubject,
  checkPublicKey,
  checkExtensionSet,
  checkKeyUsage,
  checkExtKeyUsage,
  checkBasicConstraints,
  checkPolicies,
  checkKeyIdentifiers,
  checkUrls,
  checkSubjectAltName,
  checkOcspNoCheck,
];

export interface LintOptions {
  /** What the issuer meant to write (subject, key, URLs, e-mail, …). */
  expected?: LintExpectations;
  /** Accept NCA's test IINs/BINs in the subject. */
  testMode?: boolean;
}


/**
 * Judges a certificate against a profile and RFC 5280. `issuer` is the issuing CA's certificate
 * (omit it for a self-signed root). Returns every violation found; an empty list means it passes.
 */
export async function lintCertificate(
  der: DerInput,
  profile: CertificateProfile | string,
  issuer?: DerInput | CertificateInfo,
  options: LintOptions = {},
): Promise<LintViolation[]> {
  let inspected: InspectedCertificate;
  try {
    inspected = inspectCertificateStructure(der);
  } catch (e) {
    return [{ check: 'parse', message: isQtError(e) ? e.message : String(e) }];
  }
  return lintInspected(inspected, profile, issuer, options);
}

/**
 * The lint over a certificate already read once (issuance reads its pre-certificate once and keeps the
 * result): every rule runs over this one parse.
 */
export async function lintInspected(
  { info, parsed }: InspectedCertificate,
  profile: CertificateProfile | string,
  issuer?: DerInput | CertificateInfo,
  options: LintOptions = {},
): Promise<LintViolation[]> {
  const violations: LintViolation[] = [];
  const resolved = typeof profile === 'string' ? getProfile(profile) : profile;
  const ctx: LintContext = {
    info,
    parsed,
    profile: resolved,
    issuer: issuer ? issuerCertificateInfo(issuer) : info,
    expected: options.expected ?? {},
    testMode: options.testMode ?? false,
    report: (check, message) => violations.push({ check, message }),
  };
  for (const check of checks) await check(ctx);
  return violations;
}

export type { LintViolation, LintExpectations };
