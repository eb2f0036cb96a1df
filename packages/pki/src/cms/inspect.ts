/**
 * What a CMS says about itself, without any cryptography: content, signers, their certificates and
 * signed attributes. verifyCms builds on it; callers use it to show a signature they cannot (yet)
 * verify, e.g. a GOST time-stamp token.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import type { SignerInfo } from '@peculiar/asn1-cms';
import { oid } from '../oids.ts';
import { bytesEqual, toHex, type Bytes } from '../encoding.ts';
import { algorithmName, signatureOidFor } from '../crypto/index.ts';
import { readSignedAttributes, type SignedAttributeValues } from './attributes.ts';
import { minimalInteger, readParsedCertificate, sameSerial, type CertificateFacts } from './certificates.ts';
import { decodeCms, encapsulatedContent, type DecodedCms } from './decode.ts';
import { digestName } from './digests.ts';
import { offerCertificateTree } from '../path/certificate.ts';

export interface AlgorithmReport {
  oid: string;
  name: string;
}

export type SignerIdReport =
  | { issuer: Bytes; serialNumber: string }
  | { subjectKeyIdentifier: string };

export interface CmsSignerReport {
  sid: SignerIdReport;
  /** DER of the signer certificate, when the CMS carries it. */
  certificate: Bytes | undefined;
  digestAlgorithm: AlgorithmReport;
  /** The full signature algorithm (rsaEncryption with SHA-256 is reported as RSA/SHA-256). */
  signatureAlgorithm: AlgorithmReport;
  contentType: string | undefined;
  messageDigest: Bytes | undefined;
  signingTime: Date | undefined;
  /** Which ESS signing-certificate attribute the signer included, if any. */
  signingCertificateAttribute: 'v1' | 'v2' | undefined;
}

export interface CmsReport {
  /** The content travels inside the CMS (false: detached). */
  attached: boolean;
  contentType: string;
  content: Bytes | undefined;
  signers: CmsSignerReport[];
  /** DER of every certificate in the CMS, in order (what a path builder needs). */
  certificates: Bytes[];
}

export interface InspectedSigner {
  report: CmsSignerReport;
  info: SignerInfo;
  attributes: SignedAttributeValues | undefined;
  /** The signed attributes exactly as signed (a DER SET), when present. */
  signedAttributesDer: Bytes | undefined;
  certificate: CertificateFacts | undefined;
}

export interface InspectedCms {
  report: CmsReport;
  signers: InspectedSigner[];
}

export function parseCms(input: Uint8Array | string, options: { maxBytes?: number } = {}): CmsReport {
  return inspectDecoded(decodeCms(input, options.maxBytes)).report;
}

export function inspectDecoded(decoded: DecodedCms): InspectedCms {
  const sd = decoded.signedData;
  // Array.from: the asn1 collections' own map/filter would return asn1 collection instances.
  // The bytes as received when the DER reader sliced them (decodeCms); re-encoding the parsed tree costs as much
  // as parsing it, and a signature or a record is about the received bytes anyway.
  const certificates = Array.from(sd.certificates ?? []).flatMap((c, i) => {
    if (!c.certificate) return [];
    const received = decoded.certificateDer?.[i];
    // The tree of exactly these bytes, for a path validation of the signer that follows not to parse them again.
    if (received) offerCertificateTree(received, c.certificate);
    return [readParsedCertificate(received ?? new Uint8Array(AsnConvert.serialize(c.certificate)), c.certificate)];
  });
  const content = encapsulatedContent(sd.encapContentInfo.eContent);
  const signers = Array.from(sd.signerInfos).map((info, i): InspectedSigner => {
    const attributes = info.signedAttrs ? readSignedAttributes(info.signedAttrs) : undefined;
    const certificate = certificates.find((c) => identifies(info, c));
    const digestOid = info.digestAlgorithm.algorithm;
    const sigOid = fullSignatureOid(info.signatureAlgorithm.algorithm, digestOid);
    return {
      info,
      attributes,
      certificate,
      signedAttributesDer: decoded.signedAttributesDer[i],
      report: {
        sid: signerIdReport(info),
        certificate: certificate?.der,
        digestAlgorithm: { oid: digestOid, name: digestName(digestOid) },
        signatureAlgorithm: { oid: sigOid, name: algorithmName(sigOid) },
        contentType: attributes?.contentType,
        messageDigest: attributes?.messageDigest,
        signingTime: attributes?.signingTime,
        signingCertificateAttribute: attributes?.signingCertificateV2 ? 'v2' : attributes?.signingCertificate ? 'v1' : undefined,
      },
    };
  });
  return {
    signers,
    report: {
      attached: content !== undefined,
      contentType: sd.encapContentInfo.eContentType,
      content,
      signers: signers.map((s) => s.report),
      certificates: certificates.map((c) => c.der),
    },
  };
}

/** SignerInfos often name only the key algorithm (rsaEncryption) next to a separate digest. */
export function fullSignatureOid(sigOid: string, digestOid: string): string {
  if (sigOid !== oid.rsaEncryption && sigOid !== oid.ecPublicKey) return sigOid;
  try {
    return signatureOidFor(sigOid, digestOid);
  } catch {
    return sigOid;
  }
}

function identifies(info: SignerInfo, cert: CertificateFacts): boolean {
  const ias = info.sid.issuerAndSerialNumber;
  if (ias) {
    return sameSerial(new Uint8Array(ias.serialNumber), cert.serial) && bytesEqual(new Uint8Array(AsnConvert.serialize(ias.issuer)), cert.issuer);
  }
  const ski = info.sid.subjectKeyIdentifier;
  return ski !== undefined && cert.subjectKeyIdentifier !== undefined && bytesEqual(new Uint8Array(ski.buffer), cert.subjectKeyIdentifier);
}

function signerIdReport(info: SignerInfo): SignerIdReport {
  const ias = info.sid.issuerAndSerialNumber;
  if (ias) {
    return { issuer: new Uint8Array(AsnConvert.serialize(ias.issuer)), serialNumber: toHex(minimalInteger(new Uint8Array(ias.serialNumber))) };
  }
  return { subjectKeyIdentifier: toHex(info.sid.subjectKeyIdentifier?.buffer ?? new ArrayBuffer(0)) };
}
