/**
 * CAdES-BES signed attributes: contentType, messageDigest, signingTime and signing-certificate-v2
 * (ESSCertIDv2 with issuerSerial), encoded as the DER SET the signature covers, and read back.
 */
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Attribute, SigningTime } from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, GeneralName, GeneralNames, Name } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, type Bytes } from '../encoding.ts';
import { AttributeSet, EssCertIdV2, IssuerSerial, SigningCertificate, SigningCertificateV2 } from './asn1.ts';
import { sameSerial, type CertificateFacts } from './certificates.ts';
import { digestByOid } from './digests.ts';

export interface CadesAttributeInput {
  contentType: string;
  messageDigest: Uint8Array;
  signingTime: Date;
  signerCertificate: CertificateFacts;
  /** Digest OID for the ESSCertIDv2 certHash (the signature's digest). */
  digestOid: string;
}

function attribute(attrType: string, value: unknown): Attribute {
  return new Attribute({ attrType, attrValues: [AsnConvert.serialize(value)] });
}

export async function cadesAttributes(input: CadesAttributeInput): Promise<Attribute[]> {
  const cert = input.signerCertificate;
  const essCertId = new EssCertIdV2({
    // DER omits a DEFAULT value: SHA-256 is ESSCertIDv2's default hash.
    hashAlgorithm: input.digestOid === oid.sha256 ? undefined : new AlgorithmIdentifier({ algorithm: input.digestOid }),
    certHash: new OctetString(await digestByOid(input.digestOid, cert.der)),
    issuerSerial: new IssuerSerial({
      issuer: new GeneralNames([new GeneralName({ directoryName: cert.parsed.tbsCertificate.issuer })]),
      serialNumber: cert.parsed.tbsCertificate.serialNumber,
    }),
  });
  return [
    new Attribute({ attrType: oid.attrContentType, attrValues: [new asn1js.ObjectIdentifier({ value: input.contentType }).toBER()] }),
    attribute(oid.attrSigningTime, new SigningTime(input.signingTime)),
    attribute(oid.attrMessageDigest, new OctetString(input.messageDigest)),
    attribute(oid.attrSigningCertificateV2, new SigningCertificateV2({ certs: [essCertId] })),
  ];
}

/**
 * DER orders a SET OF by the encodings of its members; the signature covers exactly these bytes and
 * the SignerInfo must carry the attributes in the same order.
 */
export function sortedAttributeSet(attrs: Attribute[]): { attributes: Attribute[]; der: Bytes } {
  const encoded = attrs.map((a) => ({ a, der: new Uint8Array(AsnConvert.serialize(a)) }));
  encoded.sort((x, y) => compareBytes(x.der, y.der));
  const attributes = encoded.map((e) => e.a);
  return { attributes, der: new Uint8Array(AsnConvert.serialize(new AttributeSet(attributes))) };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

export interface SignedAttributeValues {
  contentType: string | undefined;
  messageDigest: Bytes | undefined;
  signingTime: Date | undefined;
  signingCertificate: SigningCertificate | undefined;
  signingCertificateV2: SigningCertificateV2 | undefined;
}

export function readSignedAttributes(attrs: readonly Attribute[]): SignedAttributeValues {
  const single = (type: string): ArrayBuffer | undefined => {
    const found = attrs.filter((a) => a.attrType === type);
    if (found.length === 0) return undefined;
    // RFC 5652 §11: these attributes must occur once, with exactly one value.
    if (found.length > 1 || found[0]?.attrValues.length !== 1) {
      throw new QtError('QT_ERR_CMS_MALFORMED', `The signed attribute ${type} must have exactly one value`);
    }
    return found[0].attrValues[0];
  };
  try {
    const ct = single(oid.attrContentType);
    const md = single(oid.attrMessageDigest);
    const st = single(oid.attrSigningTime);
    const sc = single(oid.attrSigningCertificate);
    const sc2 = single(oid.attrSigningCertificateV2);
    return {
      contentType: ct ? readObjectIdentifier(ct) : undefined,
      messageDigest: md ? new Uint8Array(AsnConvert.parse(md, OctetString).buffer) : undefined,
      signingTime: st ? AsnConvert.parse(st, SigningTime).getTime() : undefined,
      signingCertificate: sc ? AsnConvert.parse(sc, SigningCertificate) : undefined,
      signingCertificateV2: sc2 ? AsnConvert.parse(sc2, SigningCertificateV2) : undefined,
    };
  } catch (e) {
    if (e instanceof QtError) throw e;
    throw new QtError('QT_ERR_CMS_MALFORMED', `A signed attribute is malformed: ${(e as Error).message}`, undefined, { cause: e });
  }
}

function readObjectIdentifier(der: ArrayBuffer): string {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.ObjectIdentifier) || parsed.offset !== der.byteLength) {
    throw new QtError('QT_ERR_CMS_MALFORMED', 'The content-type attribute is not an object identifier');
  }
  return parsed.result.valueBlock.toString();
}

/**
 * Does the ESS signing-certificate(-v2) attribute name this certificate? Per RFC 5035 the first
 * ESSCertID is the signer's: its hash must match, and its issuerSerial (when present) too.
 */
export async function essNamesCertificate(
  ess: SigningCertificate | SigningCertificateV2,
  cert: CertificateFacts,
  version: 1 | 2,
): Promise<boolean> {
  const first = ess.certs[0];
  if (!first) return false;
  const hashOid = version === 1 ? oid.sha1 : ((first as EssCertIdV2).hashAlgorithm?.algorithm ?? oid.sha256);
  const hash = await digestByOid(hashOid, cert.der);
  if (!bytesEqual(hash, new Uint8Array(first.certHash.buffer))) return false;
  if (!first.issuerSerial) return true;
  const issuerNames = first.issuerSerial.issuer.map((g) => g.directoryName).filter((n): n is Name => n !== undefined);
  return (
    sameSerial(new Uint8Array(first.issuerSerial.serialNumber), cert.serial) &&
    issuerNames.some((n) => bytesEqual(new Uint8Array(AsnConvert.serialize(n)), cert.issuer))
  );
}
