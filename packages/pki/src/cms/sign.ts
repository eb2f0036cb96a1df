/**
 * CAdES-BES signing in the shapes NCALayer's calls need:
 *  - createCAdESFromBase64 / createCMSSignatureFromBase64 / basics.sign(cms): attached or detached;
 *  - createCAdESFromBase64Hash / basics.sign(digested:true): `content` is the hash, so detached;
 *  - createCMSSignatureFromBase64 given an existing CMS: another signer is added (addCmsSigner).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignatureAlgorithmIdentifier,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, toPem, type Bytes } from '../encoding.ts';
import { algorithmIdentifier, type HashName, type Signer } from '../crypto/index.ts';
import { cadesAttributes, sortedAttributeSet } from './attributes.ts';
import { readCertificate, type CertificateFacts } from './certificates.ts';
import { SignedDataEditor } from './edit.ts';
import { digestByOid, digestLength, digestName, digestOidForSignature, digestOidFrom } from './digests.ts';

export interface CmsSignerOptions {
  signer: Signer;
  /** The signer's certificate (DER, PEM or base64); it must hold the signer's public key. */
  certificate: Uint8Array | string;
  /** CA certificates to include after the signer's (NCALayer's signerParams.chain). */
  chain?: readonly (Uint8Array | string)[];
  /** Defaults to now. */
  signingTime?: Date;
  /** Digest algorithm ("SHA-256" or an OID); must be the one the signer's algorithm hashes with. */
  hash?: HashName | string;
}

export interface SignCmsOptions extends CmsSignerOptions {
  /** The data to sign, or its digest when `digested`. */
  content: Uint8Array;
  /** Leave the content out of the CMS (NCALayer: attached=false, encapsulate=false). */
  detached?: boolean;
  /** `content` is already the digest of the data; the result is then always detached. */
  digested?: boolean;
}

/** Returns the DER of a ContentInfo(SignedData) with one CAdES-BES SignerInfo. */
export async function signCms(options: SignCmsOptions): Promise<Bytes> {
  const cert = signerCertificate(options);
  const digestOid = signerDigest(options);
  let messageDigest: Uint8Array;
  if (options.digested) {
    const expected = digestLength(digestOid);
    if (options.content.length !== expected) {
      throw new QtError(
        'QT_ERR_INPUT_INVALID',
        `The hash to sign is ${options.content.length} bytes long; a ${digestName(digestOid)} hash is ${expected}`,
        { length: options.content.length, expected },
      );
    }
    messageDigest = options.content;
  } else {
    messageDigest = await digestByOid(digestOid, options.content);
  }
  const signerInfo = await buildSignerInfo(options, cert, digestOid, oid.cmsData, messageDigest);
  const attached = !options.detached && !options.digested;
  const signedData = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new DigestAlgorithmIdentifier({ algorithm: digestOid })]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: oid.cmsData,
      eContent: attached ? new EncapsulatedContent({ single: new OctetString(options.content) }) : undefined,
    }),
    certificates: new CertificateSet(),
    signerInfos: new SignerInfos([signerInfo]),
  });
  addCertificates(signedData, [cert.der, ...(options.chain ?? []).map((c) => readCertificate(c).der)]);
  return encodeContentInfo(signedData);
}

export interface AddCmsSignerOptions extends CmsSignerOptions {
  /** The signed data, needed when the existing CMS is detached. */
  content?: Uint8Array;
}

/**
 * Adds a co-signature (one more SignerInfo over the same content) to an existing CMS. The signers already
 * there, their unsigned attributes (time-stamps) and the content are kept byte for byte (edit.ts).
 */
export async function addCmsSigner(existing: Uint8Array | string, options: AddCmsSignerOptions): Promise<Bytes> {
  const editor = SignedDataEditor.open(existing);
  const cert = signerCertificate(options);
  const digestOid = signerDigest(options);
  const content = editor.attachedContent() ?? options.content;
  if (!content) throw new QtError('QT_ERR_CMS_NO_CONTENT', 'The CMS is detached; pass the signed content to add a signer');
  const signerInfo = await buildSignerInfo(options, cert, digestOid, editor.contentType, await digestByOid(digestOid, content));
  editor.addSignerInfo(new Uint8Array(AsnConvert.serialize(signerInfo)));
  editor.addCertificates([cert.der, ...(options.chain ?? []).map((c) => readCertificate(c).der)]);
  return editor.toDer();
}

/** NCALayer's basics.sign answers CMS in this PEM armour. */
export function toCmsPem(der: Uint8Array): string {
  return toPem('CMS', der);
}

function signerCertificate(options: CmsSignerOptions): CertificateFacts {
  const cert = readCertificate(options.certificate);
  if (!bytesEqual(cert.spki, options.signer.publicKey)) {
    throw new QtError('QT_ERR_KEY_MISMATCH', 'The signing key does not belong to the given certificate');
  }
  return cert;
}

function signerDigest(options: CmsSignerOptions): string {
  const digestOid = digestOidForSignature(options.signer.algorithm.oid, options.signer.algorithm.parameters);
  if (options.hash !== undefined && digestOidFrom(options.hash) !== digestOid) {
    throw new QtError(
      'QT_ERR_ALGORITHM_UNSUPPORTED',
      `The key signs with ${digestName(digestOid)}, so the CMS cannot use ${digestName(digestOidFrom(options.hash))}`,
    );
  }
  return digestOid;
}

async function buildSignerInfo(
  options: CmsSignerOptions,
  cert: CertificateFacts,
  digestOid: string,
  contentType: string,
  messageDigest: Uint8Array,
): Promise<SignerInfo> {
  const attrs = sortedAttributeSet(
    await cadesAttributes({
      contentType,
      messageDigest,
      signingTime: options.signingTime ?? new Date(),
      signerCertificate: cert,
      digestOid,
    }),
  );
  const signature = await options.signer.sign(attrs.der);
  return new SignerInfo({
    version: CMSVersion.v1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: cert.parsed.tbsCertificate.issuer,
        serialNumber: cert.parsed.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm: new DigestAlgorithmIdentifier({ algorithm: digestOid }),
    signedAttrs: attrs.attributes,
    signatureAlgorithm: new SignatureAlgorithmIdentifier(algorithmIdentifier(options.signer.algorithm)),
    signature: new OctetString(signature),
  });
}

function addCertificates(signedData: SignedData, ders: readonly Bytes[]): void {
  const set = signedData.certificates as CertificateSet;
  const present: (Uint8Array | undefined)[] = set.map((c) => (c.certificate ? new Uint8Array(AsnConvert.serialize(c.certificate)) : undefined));
  for (const der of ders) {
    if (present.some((p) => p && bytesEqual(p, der))) continue;
    set.push(new CertificateChoices({ certificate: readCertificate(der).parsed }));
    present.push(der);
  }
}

function encodeContentInfo(signedData: SignedData): Bytes {
  // RFC 5652 §5.1: v3 when the content is not id-data, otherwise v1 for issuerAndSerialNumber signers.
  if (signedData.encapContentInfo.eContentType !== oid.cmsData) signedData.version = CMSVersion.v3;
  const content = AsnConvert.serialize(signedData);
  return new Uint8Array(AsnConvert.serialize(new ContentInfo({ contentType: oid.cmsSignedData, content })));
}
