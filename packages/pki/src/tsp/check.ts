/**
 * Judging a time-stamp token (RFC 3161 §2.4.2, RFC 5816):
 *  - the token's CMS signature over the TSTInfo, and its ESS signing-certificate(-v2) attribute, which RFC 3161
 *    requires and which binds the token to one TSA certificate;
 *  - that certificate is a TSA's: extendedKeyUsage present, critical, naming timeStamping only (§2.3), and
 *    valid at genTime;
 *  - the imprint is over the bytes the caller says were stamped, the nonce and policy are those expected;
 *  - with trust anchors, the TSA's chain as of genTime (purpose timeStamping), revocation as the caller asks.
 * verifyTimeStampToken throws the first failure; checkTimeStampToken never throws for a bad token and returns
 * a verdict, like validatePath.
 */
import { QtError, asQtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, toHex, type Bytes } from '../encoding.ts';
import { verifyInspectedCms } from '../cms/verify.ts';
import { minimalInteger } from '../cms/certificates.ts';
import { digestByOid, digestName } from '../cms/digests.ts';
import { readCertificate, type CertificateFacts } from '../path/certificate.ts';
import { validatePath, type ChainElement, type PathBudget, type PathBudgetLimits, type RevocationMode } from '../path/index.ts';
import { readTimeStampToken, type TimeStampInfo } from './token.ts';

export interface TimeStampExpectation {
  /** The bytes that were stamped: their digest (with the token's hash) must be the imprint … */
  data?: Uint8Array | undefined;
  /** … or the imprint itself, when the caller has only a digest (it must be of the token's hash algorithm). */
  digest?: Uint8Array | undefined;
  /** The nonce the request carried. */
  nonce?: Uint8Array | undefined;
  /** Policies the relying party accepts (any when unset). */
  policies?: readonly string[] | undefined;
}

export interface TimeStampTokenCheck {
  info: TimeStampInfo;
  /** DER of the TSA certificate the token is bound to. */
  tsaCertificate: Bytes;
  /** Every certificate the token carries (TSA chain candidates). */
  certificates: Bytes[];
}

function fail(code: QtErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new QtError(code, message, details);
}

/** The token on its own: signature, TSA certificate binding and role, imprint, nonce, policy. Throws the first failure. */
export async function verifyTimeStampToken(token: Uint8Array | string, expect: TimeStampExpectation = {}): Promise<TimeStampTokenCheck> {
  const { info, inspected } = readTimeStampToken(token);
  if (inspected.signers.length !== 1) fail('QT_ERR_TSP_MALFORMED', `A time-stamp token has exactly one signer; this one has ${inspected.signers.length}`);
  const signer = inspected.signers[0] as (typeof inspected.signers)[number];
  if (!signer.attributes?.signingCertificate && !signer.attributes?.signingCertificateV2) {
    fail('QT_ERR_TSP_MALFORMED', 'The token has no ESS signing-certificate attribute, which RFC 3161 requires (it names the TSA certificate)');
  }
  const verified = await verifyInspectedCms(inspected); // signature, TSTInfo digest, ESS binding (a mismatch throws)
  const tsaDer = verified.signers[0]?.certificate as Bytes;
  const tsa = readCertificate(tsaDer);
  checkTsaRole(tsa);
  if (info.genTime < tsa.notBefore || info.genTime > tsa.notAfter) {
    fail('QT_ERR_TSP_INVALID', `The TSA certificate "${tsa.subject}" was not valid at the stamp's time ${info.genTime.toISOString()} (${tsa.notBefore.toISOString()} – ${tsa.notAfter.toISOString()})`);
  }
  await checkImprint(info, expect);
  if (expect.nonce) {
    const sent = toHex(minimalInteger(expect.nonce));
    if (info.nonce !== sent) fail('QT_ERR_TSP_NONCE_MISMATCH', info.nonce ? 'The token carries another nonce than the request' : 'The token carries no nonce though the request had one');
  }
  if (expect.policies?.length && !expect.policies.includes(info.policy)) {
    fail('QT_ERR_TSP_INVALID', `The token was issued under policy ${info.policy}, which is not accepted here (${expect.policies.join(', ')})`, { policy: info.policy });
  }
  return { info, tsaCertificate: tsaDer, certificates: inspected.report.certificates };
}

/** RFC 3161 §2.3: the TSA key is for time-stamping only. */
function checkTsaRole(tsa: CertificateFacts): void {
  const eku = tsa.extensions.find((e) => e.oid === oid.extKeyUsage);
  if (!eku || !tsa.extKeyUsage) fail('QT_ERR_KEY_USAGE', `"${tsa.subject}" is not a TSA certificate: it has no extended key usage (RFC 3161 requires timeStamping, critical)`);
  if (!eku.critical) fail('QT_ERR_KEY_USAGE', `"${tsa.subject}": its timeStamping extended key usage must be critical (RFC 3161 §2.3)`);
  if (tsa.extKeyUsage.length !== 1 || tsa.extKeyUsage[0] !== oid.ekuTimeStamping) {
    fail('QT_ERR_KEY_USAGE', `"${tsa.subject}" is not a TSA certificate: its extended key usage must name timeStamping only (it names ${tsa.extKeyUsage.join(', ')})`);
  }
  if (tsa.keyUsage && !tsa.keyUsage.has('digitalSignature') && !tsa.keyUsage.has('nonRepudiation')) {
    fail('QT_ERR_KEY_USAGE', `"${tsa.subject}" may not make digital signatures (key usage)`);
  }
}

async function checkImprint(info: TimeStampInfo, expect: TimeStampExpectation): Promise<void> {
  const hashOid = info.messageImprint.hashAlgorithm.oid;
  let expected: Bytes | undefined;
  if (expect.data) expected = await digestByOid(hashOid, expect.data);
  else if (expect.digest) expected = new Uint8Array(expect.digest);
  if (!expected) return;
  if (!bytesEqual(expected, info.messageImprint.hashedMessage)) {
    fail('QT_ERR_TSP_IMPRINT_MISMATCH', `The token stamps other data: its ${digestName(hashOid)} imprint is not the digest of the bytes it should cover`);
  }
}

export interface CheckTimeStampOptions extends TimeStampExpectation {
  trustAnchors: readonly Uint8Array[];
  intermediates?: readonly Uint8Array[] | undefined;
  revocation?: { crls?: readonly Uint8Array[] | undefined; ocspResponses?: readonly Uint8Array[] | undefined; mode: RevocationMode } | undefined;
  budget?: PathBudget | PathBudgetLimits | undefined;
}

export interface TimeStampVerdict {
  ok: boolean;
  /** Set exactly when ok is false. */
  error?: QtError | undefined;
  /** Set when the token could be read. */
  info?: TimeStampInfo | undefined;
  /** The TSA's chain, leaf first, as of genTime. */
  chain: ChainElement[];
}

/** The token and the TSA's chain to a trust anchor as of genTime (purpose timeStamping). Never throws for a bad token. */
export async function checkTimeStampToken(token: Uint8Array | string, options: CheckTimeStampOptions): Promise<TimeStampVerdict> {
  let checked: TimeStampTokenCheck;
  try {
    checked = await verifyTimeStampToken(token, options);
  } catch (e) {
    let info: TimeStampInfo | undefined;
    try {
      info = readTimeStampToken(token).info;
    } catch {
      info = undefined;
    }
    return { ok: false, error: asQtError(e, 'QT_ERR_TSP_MALFORMED'), info, chain: [] };
  }
  const path = await validatePath({
    leaf: checked.tsaCertificate,
    intermediates: [...checked.certificates, ...(options.intermediates ?? [])],
    trustAnchors: options.trustAnchors,
    at: checked.info.genTime,
    purpose: 'timeStamping',
    revocation: options.revocation,
    budget: options.budget,
  });
  return { ok: path.ok, error: path.error, info: checked.info, chain: path.chain };
}
