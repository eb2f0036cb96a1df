/**
 * A certificate plan: every decision about a certificate's content, made and validated once, from
 * which the TBSCertificate is built and against which the lint checks the result. Issuance never
 * reads anything but the public key from a CSR; the subject always comes from the caller (the RA).
 */
import { QtError } from '@qoltanba/errors';
import { fromHex, toBytes, type Bytes } from '../encoding.ts';
import type { SignatureAlgorithmId } from '../crypto/index.ts';
import type { CertificateInfo } from '../certificate/index.ts';
import { addPeriod, profileExtKeyUsage, type CertificateProfile, type IdentificationMethod, type KeyStorage } from '../profiles/index.ts';
import { keyIdentifier } from './key-id.ts';
import { generateSerial } from './serial.ts';
import { normalizeUrls, urlProblem, type Urls, type UrlsInput } from './urls.ts';

export interface CpsInput {
  /** The CPS URI qualifier. */
  uri: string;
  /** userNotice explicitText; NCA repeats the URI there, which is the default. */
  notice?: string;
}

export interface CertificatePlan {
  profile: CertificateProfile;
  serial: Bytes;
  signatureAlgorithm: SignatureAlgorithmId;
  issuerName: Bytes;
  subject: Bytes;
  publicKey: Bytes;
  notBefore: Date;
  notAfter: Date;
  subjectKeyId: Bytes;
  authorityKeyId: Bytes;
  extKeyUsage: string[];
  urls: Urls;
  cps: { uri: string; notice: string } | undefined;
  email: string | undefined;
  identification: IdentificationMethod | undefined;
  keyStorage: KeyStorage;
  testMode: boolean;
}

/** Options every issuing function shares. */
export interface CommonIssueOptions {
  /** Default: now. */
  notBefore?: Date;
  /** Default: notBefore plus the profile's validity for `keyStorage`, cut at the issuer's notAfter. */
  notAfter?: Date;
  /** Where the subscriber key lives (file: 1 year, token: 3 years). Default "file". */
  keyStorage?: KeyStorage;
  /** Default: 16 random bytes. Bytes or hex. */
  serial?: Uint8Array | string;
  urls?: UrlsInput;
  /** Certificate policy qualifiers; without them the policy OID stands alone. */
  cps?: CpsInput;
}

export interface PlanInput extends CommonIssueOptions {
  profile: CertificateProfile;
  subject: Bytes;
  publicKey: Bytes;
  /** The issuing CA, or "self" with the algorithm of the key that will sign (a root). */
  issuer: { info: CertificateInfo; algorithm: SignatureAlgorithmId } | { self: SignatureAlgorithmId };
  email?: string;
  identification?: IdentificationMethod;
  testMode?: boolean;
}

// Deliberately plain: the address goes into an IA5String and must be what the person typed.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

function checkEmail(email: string | undefined): string | undefined {
  if (email === undefined || email === '') return undefined;
  if (!EMAIL.test(email) || email.length > 254) {
    throw new QtError('QT_ERR_SUBJECT_INVALID', `"${email}" is not an e-mail address`, { field: 'email' });
  }
  return email;
}

function resolveCps(cps: CpsInput | undefined): CertificatePlan['cps'] {
  if (!cps) return undefined;
  const problem = urlProblem(cps.uri);
  if (problem) throw new QtError('QT_ERR_INPUT_INVALID', `The CPS URI ${problem}`, { field: 'cps' });
  return { uri: cps.uri, notice: cps.notice ?? cps.uri };
}

function resolveSerial(serial: Uint8Array | string | undefined): Bytes {
  if (serial === undefined) return generateSerial();
  return typeof serial === 'string' ? fromHex(serial) : toBytes(serial);
}

function whole(date: Date): Date {
  // Certificate times have one-second resolution; what we plan must be what gets encoded.
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export async function planCertificate(input: PlanInput): Promise<CertificatePlan> {
  const { profile } = input;
  if (input.identification && !profile.identification) {
    throw new QtError('QT_ERR_INPUT_INVALID', `Profile ${profile.name} carries no identification method`);
  }
  const keyStorage = input.keyStorage ?? 'file';
  const subjectKeyId = await keyIdentifier(input.publicKey);
  const issuer = 'self' in input.issuer ? undefined : input.issuer.info;
  const notBefore = whole(input.notBefore ?? new Date());
  let notAfter = whole(input.notAfter ?? addPeriod(notBefore, profile.validity[keyStorage]));
  // A certificate outliving its issuer is useless after the issuer expires; cut the default, and
  // leave an explicit request to the lint, which refuses it.
  if (!input.notAfter && issuer && notAfter > issuer.notAfter) notAfter = issuer.notAfter;
  return {
    profile,
    serial: resolveSerial(input.serial),
    signatureAlgorithm: 'self' in input.issuer ? input.issuer.self : input.issuer.algorithm,
    issuerName: issuer ? issuer.subject.der : input.subject,
    subject: input.subject,
    publicKey: input.publicKey,
    notBefore,
    notAfter,
    subjectKeyId,
    authorityKeyId: issuer ? (issuer.subjectKeyId ? fromHex(issuer.subjectKeyId) : await keyIdentifier(issuer.publicKey.spki)) : subjectKeyId,
    extKeyUsage: profileExtKeyUsage(profile, input.identification),
    urls: normalizeUrls(input.urls),
    cps: resolveCps(input.cps),
    email: checkEmail(input.email),
    identification: input.identification,
    keyStorage,
    testMode: input.testMode ?? false,
  };
}
