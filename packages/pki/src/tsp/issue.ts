/**
 * Issuing RFC 3161 time-stamp tokens (with RFC 5816's ESSCertIDv2): a TSTInfo, signed as CMS SignedData
 * by the TSA's key. Everything that is the same for every stamp of one TSA key — its certificate, the
 * signer identifier, the signing-certificate-v2 attribute, the algorithm identifiers — is encoded once
 * by prepareTimeStamping; a stamp then costs one small TSTInfo, one digest and the signature. The DER is
 * written by hand for that reason (the CRL writer's helpers): building @peculiar/asn1-cms objects per
 * stamp would cost more than everything but an RSA signature. The bytes are those the CMS parsers read
 * back (parseTimeStampToken, verifyCms, openssl ts -verify).
 *
 * The TSA key signs only the signed attributes (a DER SET, RFC 5652 §5.4); checkTimeStampSignedAttributes
 * is what a signer holding a TSA key checks before signing, so the key signs stamps and nothing else.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { IssuerAndSerialNumber } from '@peculiar/asn1-cms';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, concatBytes, type Bytes } from '../encoding.ts';
import { algorithmIdentifierDer, type Signer } from '../crypto/signer.ts';
import { digestByOid, digestOidForSignature } from '../crypto/digests.ts';
import { TAG, childrenOf, contentOf, contextTag, elementOf, readOid, readWhole } from '../der/read.ts';
import { integer, integerFromMagnitude, objectIdentifier, octetString, sequence, time, tlv } from '../der/write.ts';
import { readCertificate } from '../cms/certificates.ts';
import { tsaGrantedReply } from './tsa-reply.ts';

export interface TimeStampingKey {
  /** The TSA's certificate (critical EKU timeStamping); its public key must be the signer's. */
  certificate: Uint8Array | string;
  /** Certificates sent after the TSA's when a request asks for certificates (the issuing CA; not the root). */
  chain?: readonly (Uint8Array | string)[];
  signer: Signer;
  /** Write the TSA's subject into TSTInfo.tsa (RFC 3161 §2.4.2 "tsa"). Default true. */
  nameInToken?: boolean;
}


export interface StampInput {
  /** The MessageImprint element of the request, copied into TSTInfo unchanged. */
  messageImprintDer: Uint8Array;
  policy: string;
  /** Serial number as a positive integer's magnitude (big-endian) — unique per TSA. */
  serial: Uint8Array;
  genTime: Date;
  /** Accuracy in microseconds; 0 or absent: not stated. */
  accuracyMicros?: number;
  /** The request's nonce INTEGER content, echoed unchanged. */
  nonce?: Uint8Array | undefined;
  /** Put the TSA's certificate (and chain) into the token. */
  certReq?: boolean;
}

export interface IssuedStamp {
  /** TimeStampToken: ContentInfo(SignedData(TSTInfo)). */
  token: Bytes;
  /** TimeStampResp with status granted and the token. */
  reply: Bytes;
  tstInfo: Bytes;
}

export interface TimeStamper {
  readonly signatureAlgorithm: string;
  readonly digestAlgorithm: string;
  stamp(input: StampInput): Promise<IssuedStamp>;
}

const ESS_DEFAULT_HASH = oid.sha256;
/** Kazakh GOST AlgorithmIdentifiers carry NULL parameters, as NCA's tokens and Kalkan write them. */
const NULL_PARAMS_HASHES: ReadonlySet<string> = new Set([oid.kzGost34311_95, oid.kzStreebog256, oid.kzStreebog512]);

export function prepareTimeStamping(key: TimeStampingKey): TimeStamper {
  const cert = readCertificate(key.certificate);
  if (!bytesEqual(cert.spki, key.signer.publicKey)) {
    throw new QtError('QT_ERR_KEY_MISMATCH', "The TSA's signer does not hold the key of the TSA certificate");
  }
  const eku = cert.parsed.tbsCertificate.extensions?.find((e) => e.extnID === oid.extKeyUsage);
  if (!eku?.critical || !isOnlyTimeStamping(new Uint8Array(eku.extnValue.buffer))) {
    throw new QtError('QT_ERR_KEY_USAGE', 'The TSA certificate must carry one critical extKeyUsage holding timeStamping only (RFC 3161 §2.3)');
  }
  const signer = key.signer;
  const digestOid = digestOidForSignature(signer.algorithm.oid, signer.algorithm.parameters);
  const digestAlgorithm = sequence(objectIdentifier(digestOid), ...(NULL_PARAMS_HASHES.has(digestOid) ? [new Uint8Array([TAG.null, 0])] : []));
  const signatureAlgorithm = algorithmIdentifierDer(signer.algorithm);
  const issuerAndSerial = new Uint8Array(
    AsnConvert.serialize(new IssuerAndSerialNumber({ issuer: cert.parsed.tbsCertificate.issuer, serialNumber: cert.parsed.tbsCertificate.serialNumber })),
  );
  const subject = new Uint8Array(AsnConvert.serialize(cert.parsed.tbsCertificate.subject));
  // tsa [0] EXPLICIT GeneralName, directoryName [4] EXPLICIT Name.
  const tsaName = key.nameInToken === false ? new Uint8Array(0) : tlv(contextTag(0, true), tlv(contextTag(4, true), subject));
  const contentTypeAttr = attribute(oid.attrContentType, objectIdentifier(oid.tstInfo));
  const chain = (key.chain ?? []).map((c) => readCertificate(c).der).filter((der) => !bytesEqual(der, cert.der));
  const versionThree = integer(3);
  const versionOne = integer(1);
  const digestAlgorithms = tlv(TAG.set, digestAlgorithm);
  const tstInfoOid = objectIdentifier(oid.tstInfo);
  const signedDataOid = objectIdentifier(oid.cmsSignedData);
  let prepared: { essAttr: Bytes; certificates: Bytes } | undefined;

  const prepare = async () => {
    if (prepared) return prepared;
    // signing-certificate-v2 (RFC 5035) with ESSCertIDv2 { hashAlgorithm DEFAULT sha256, certHash, issuerSerial }.
    const certHash = await digestByOid(digestOid, cert.der);
    const [issuer, serial] = childrenOf(issuerAndSerial, readWhole(issuerAndSerial, TAG.sequence, 'IssuerAndSerialNumber'));
    // IssuerSerial { issuer GeneralNames { directoryName [4] EXPLICIT Name }, serialNumber }
    const issuerSerial = sequence(sequence(tlv(contextTag(4, true), elementOf(issuerAndSerial, issuer!))), elementOf(issuerAndSerial, serial!));
    const essCertId = sequence(...(digestOid === ESS_DEFAULT_HASH ? [] : [digestAlgorithm]), octetString(certHash), issuerSerial);
    const essAttr = attribute(oid.attrSigningCertificateV2, sequence(sequence(essCertId)));
    // CertificateSet is a SET OF: DER sorts its members.
    const certificates = tlv(contextTag(0, true), ...sortedDer([cert.der, ...chain]));
    return (prepared = { essAttr, certificates });
  };

  return {
    signatureAlgorithm: signer.algorithm.oid,
    digestAlgorithm: digestOid,
    async stamp(input) {
      const { essAttr, certificates } = await prepare();
      if (input.serial.length === 0 || input.serial.length > 20) throw new QtError('QT_ERR_INPUT_INVALID', 'A time-stamp serial number is 1 to 20 bytes (RFC 3161 §2.4.2)');
      const tstInfo = sequence(
        versionOne,
        objectIdentifier(input.policy),
        input.messageImprintDer,
        integerFromMagnitude(input.serial),
        genTimeDer(input.genTime),
        ...(input.accuracyMicros ? [accuracyDer(input.accuracyMicros)] : []),
        ...(input.nonce ? [tlv(TAG.integer, input.nonce)] : []),
        tsaName,
      );
      const messageDigest = await digestByOid(digestOid, tstInfo);
      const attrs = sortedDer([
        contentTypeAttr,
        attribute(oid.attrSigningTime, time(input.genTime)),
        attribute(oid.attrMessageDigest, octetString(messageDigest)),
        essAttr,
      ]);
      const signature = await signer.sign(tlv(TAG.set, ...attrs));
      const signerInfo = sequence(versionOne, issuerAndSerial, digestAlgorithm, tlv(contextTag(0, true), ...attrs), signatureAlgorithm, octetString(signature));
      const signedData = sequence(
        versionThree,
        digestAlgorithms,
        sequence(tstInfoOid, tlv(contextTag(0, true), octetString(tstInfo))),
        ...(input.certReq ? [certificates] : []),
        tlv(TAG.set, signerInfo),
      );
      const token = sequence(signedDataOid, tlv(contextTag(0, true), signedData));
      return { token, reply: tsaGrantedReply(token), tstInfo };
    },
  };
}

/**
 * What a signer holding a TSA key checks before it signs: the bytes are CMS signed attributes (a DER SET
 * of Attribute) whose content type is TSTInfo and which carry a message digest, and nothing beyond the
 * attributes a stamp has. So the key cannot be made to sign a certificate, a CRL or another document.
 */
export function checkTimeStampSignedAttributes(data: Uint8Array): void {
  const buf = data as Bytes;
  const refuse = (why: string) => new QtError('QT_ERR_SIGNING_REFUSED', `Refusing to sign with a TSA key: ${why}`);
  const seen = new Map<string, Bytes>();
  try {
    for (const attr of childrenOf(buf, readWhole(buf, TAG.set, 'signed attributes'))) {
      const [type, values, extra] = attr.tag === TAG.sequence ? childrenOf(buf, attr) : [];
      if (!type || values?.tag !== TAG.set || extra) throw refuse('an element is not an Attribute');
      const name = readOid(buf, type);
      if (!STAMP_ATTRIBUTES.has(name)) throw refuse(`attribute ${name} is not one a time-stamp token carries`);
      if (seen.has(name)) throw refuse(`attribute ${name} appears twice`);
      seen.set(name, contentOf(buf, values));
    }
  } catch (e) {
    if (e instanceof QtError && e.code === 'QT_ERR_SIGNING_REFUSED') throw e;
    throw refuse(`the data is not DER signed attributes (${(e as Error).message})`);
  }
  const contentType = seen.get(oid.attrContentType);
  if (!contentType || !bytesEqual(contentType, objectIdentifier(oid.tstInfo))) throw refuse('the content type is not TSTInfo');
  if (!seen.has(oid.attrMessageDigest)) throw refuse('there is no message digest');
}

const STAMP_ATTRIBUTES: ReadonlySet<string> = new Set([
  oid.attrContentType,
  oid.attrMessageDigest,
  oid.attrSigningTime,
  oid.attrSigningCertificate,
  oid.attrSigningCertificateV2,
]);

function attribute(type: string, value: Uint8Array): Bytes {
  return sequence(objectIdentifier(type), tlv(TAG.set, value));
}

function sortedDer(items: readonly Uint8Array[]): Uint8Array[] {
  return [...items].sort(compareBytes);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function isOnlyTimeStamping(ekuValue: Uint8Array): boolean {
  const buf = ekuValue as Bytes;
  try {
    const purposes = childrenOf(buf, readWhole(buf, TAG.sequence, 'ExtKeyUsageSyntax'));
    return purposes.length === 1 && readOid(buf, purposes[0]!) === oid.ekuTimeStamping;
  } catch {
    return false;
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** GeneralizedTime with milliseconds, trailing zeros (and a bare dot) dropped as RFC 3161 §2.4.2 requires. */
function genTimeDer(date: Date): Bytes {
  const whole = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
  const fraction = pad(date.getUTCMilliseconds(), 3).replace(/0+$/, '');
  return tlv(TAG.generalizedTime, new TextEncoder().encode(`${whole}${fraction ? `.${fraction}` : ''}Z`));
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL } */
function accuracyDer(micros: number): Bytes {
  const seconds = Math.floor(micros / 1_000_000);
  const millis = Math.floor(micros / 1000) % 1000;
  const rest = Math.floor(micros) % 1000;
  const implicit = (n: number, value: number) => {
    const int = integer(value);
    return concatBytes([contextTag(n, false)], int.subarray(1));
  };
  return sequence(...(seconds ? [integer(seconds)] : []), ...(millis ? [implicit(0, millis)] : []), ...(rest ? [implicit(1, rest)] : []));
}
