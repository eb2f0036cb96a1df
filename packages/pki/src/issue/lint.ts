/**
 * The pre-signing lint: a certificate is parsed back and judged against its profile and RFC 5280
 * before any real CA key signs it. Also usable on its own, on any certificate we issued.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { isQtError } from '../errors.ts';
import { toArrayBuffer } from '../encoding.ts';
import { inspectCertificate, type CertificateInfo, type DerInput } from '../certificate/index.ts';
import { getProfile, type CertificateProfile } from '../profiles/index.ts';
import type { LintCheck, LintContext, LintExpectations, LintViolation } from './lint-context.ts';
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

function asInfo(input: DerInput | CertificateInfo): CertificateInfo {
  return typeof input === 'object' && 'tbs' in input && 'serialHex' in input ? input : inspectCertificate(input as DerInput);
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
  const violations: LintViolation[] = [];
  const resolved = typeof profile === 'string' ? getProfile(profile) : profile;
  let info: CertificateInfo;
  try {
    info = inspectCertificate(der);
  } catch (e) {
    return [{ check: 'parse', message: isQtError(e) ? e.message : String(e) }];
  }
  const ctx: LintContext = {
    info,
    cert: AsnConvert.parse(toArrayBuffer(info.der), Certificate),
    profile: resolved,
    issuer: issuer ? asInfo(issuer) : info,
    expected: options.expected ?? {},
    testMode: options.testMode ?? false,
    report: (check, message) => violations.push({ check, message }),
  };
  for (const check of checks) await check(ctx);
  return violations;
}

export type { LintViolation, LintExpectations };
