/**
 * CMS SignedData verification: for every signer, the content digest, the signature over the signed
 * attributes, and the ESS signing-certificate binding. Hash and signature are looked up by OID
 * (digestByOid, verifySignature), so GOST plugs in through the registries with no change here.
 * Chain building and revocation are path/'s job: the result carries the certificates it needs.
 */
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, toBytes, type Bytes } from '../encoding.ts';
import { verifySignature } from '../crypto/index.ts';
import { budgetFrom, type PathBudget, type PathBudgetLimits } from '../path/budget.ts';
import { essNamesCertificate } from './attributes.ts';
import { assertValidAt } from './certificates.ts';
import { decodeCms } from './decode.ts';
import { digestByOid } from './digests.ts';
import { inspectDecoded, type CmsReport, type CmsSignerReport, type InspectedCms, type InspectedSigner } from './inspect.ts';

export interface VerifyCmsOptions {
  /** The signed content, required when the CMS is detached (it replaces attached content if both exist). */
  content?: Uint8Array;
  /** When given, each signer certificate must be within its validity period at this instant. */
  at?: Date;
  maxBytes?: number;
  /**
   * The work allowed (signers' signature checks, embedded certificates), or a PathBudget to share with the
   * chain validation of the signers (validatePath's `budget`). Default: a fresh budget with default limits.
   */
  budget?: PathBudget | PathBudgetLimits | undefined;
}

export interface CmsSignerVerification extends CmsSignerReport {
  certificate: Bytes;
  /** Result of the ESS binding check, when the attribute is present (a mismatch throws). */
  signingCertificateV2Matches: boolean | undefined;
  signingCertificateMatches: boolean | undefined;
}

export interface CmsVerification extends CmsReport {
  signers: CmsSignerVerification[];
}

/** Verifies every signer; throws a QtError naming the first failure. */
export async function verifyCms(input: Uint8Array | string, options: VerifyCmsOptions = {}): Promise<CmsVerification> {
  const budget = budgetFrom(options.budget);
  const decoded = decodeCms(input, options.maxBytes);
  // Paid up front, so a signature with thousands of signers or certificates is refused before any work on them.
  budget.spend('certificates', decoded.signedData.certificates?.length ?? 0);
  budget.spend('signatureChecks', decoded.signedData.signerInfos.length);
  return verifySigners(inspectDecoded(decoded), options);
}

/** verifyCms on a CMS already decoded and inspected (the relying-party verifier checks its limits in between). */
export async function verifyInspectedCms(inspected: InspectedCms, options: Omit<VerifyCmsOptions, 'maxBytes'> = {}): Promise<CmsVerification> {
  const budget = budgetFrom(options.budget);
  budget.spend('certificates', inspected.report.certificates.length);
  budget.spend('signatureChecks', inspected.signers.length);
  return verifySigners(inspected, options);
}

async function verifySigners(inspected: InspectedCms, options: Omit<VerifyCmsOptions, 'maxBytes'>): Promise<CmsVerification> {
  const content = options.content ? toBytes(options.content) : inspected.report.content;
  if (!content) throw new QtError('QT_ERR_CMS_NO_CONTENT');
  const signers: CmsSignerVerification[] = [];
  for (const [index, signer] of inspected.signers.entries()) {
    signers.push(await verifySigner(signer, index, content, inspected.report.contentType, options.at));
  }
  return { ...inspected.report, content, signers };
}

async function verifySigner(
  signer: InspectedSigner,
  index: number,
  content: Uint8Array,
  eContentType: string,
  at: Date | undefined,
): Promise<CmsSignerVerification> {
  const { report, attributes, certificate } = signer;
  const where = { signer: index };
  if (!certificate) {
    throw new QtError('QT_ERR_CMS_SIGNER_NOT_FOUND', `The certificate of signer ${index + 1} is not in the CMS`, where);
  }
  if (at) assertValidAt(certificate, at);

  const contentDigest = await digestByOid(report.digestAlgorithm.oid, content);
  let signedBytes: Uint8Array;
  if (attributes && signer.signedAttributesDer) {
    // RFC 5652 §5.3: with signed attributes, contentType and messageDigest are mandatory.
    if (attributes.contentType !== eContentType) {
      throw new QtError('QT_ERR_CMS_MALFORMED', `The content-type attribute of signer ${index + 1} does not match the content`, where);
    }
    if (!attributes.messageDigest) {
      throw new QtError('QT_ERR_CMS_MALFORMED', `Signer ${index + 1} has signed attributes but no message digest`, where);
    }
    if (!bytesEqual(attributes.messageDigest, contentDigest)) {
      throw new QtError('QT_ERR_CMS_DIGEST_MISMATCH', undefined, where);
    }
    signedBytes = signer.signedAttributesDer;
  } else {
    if (eContentType !== oid.cmsData) {
      throw new QtError('QT_ERR_CMS_MALFORMED', `Signer ${index + 1} signs non-data content without signed attributes`, where);
    }
    signedBytes = content;
  }

  const params = signer.info.signatureAlgorithm.parameters;
  const valid = await verifySignature(report.signatureAlgorithm.oid, {
    spki: certificate.spki,
    parameters: params ? new Uint8Array(params) : undefined,
    data: signedBytes,
    signature: new Uint8Array(signer.info.signature.buffer),
  });
  if (!valid) throw new QtError('QT_ERR_SIGNATURE_INVALID', `The signature of signer ${index + 1} does not verify`, where);

  const v2 = attributes?.signingCertificateV2 ? await essNamesCertificate(attributes.signingCertificateV2, certificate, 2) : undefined;
  const v1 = attributes?.signingCertificate ? await essNamesCertificate(attributes.signingCertificate, certificate, 1) : undefined;
  if (v2 === false || v1 === false) {
    throw new QtError('QT_ERR_CMS_SIGNER_CERT_MISMATCH', `The signing-certificate attribute of signer ${index + 1} names another certificate`, where);
  }
  return { ...report, certificate: certificate.der, signingCertificateV2Matches: v2, signingCertificateMatches: v1 };
}
