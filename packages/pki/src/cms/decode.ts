/**
 * CMS input in every shape NCALayer and its callers use — DER, PEM ("-----BEGIN CMS-----", PKCS7) or
 * bare base64 — to a parsed SignedData, keeping the exact received bytes of each signer's signed
 * attributes (the signature covers those bytes, whatever order the signer wrote them in).
 */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData, type EncapsulatedContent } from '@peculiar/asn1-cms';
import { QtError, errorCatalog } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { concatBytes, derFrom, toArrayBuffer, type Bytes } from '../encoding.ts';
import { childrenOf, contextTag, elementOf, readOid, readWhole, TAG, type Tlv } from '../der/read.ts';

export interface DecodedCms {
  der: Bytes;
  signedData: SignedData;
  /** Per SignerInfo: its signed attributes re-tagged as the SET the signature covers, if it has any. */
  signedAttributesDer: (Bytes | undefined)[];
  /** The SignedData's crls field: every RevocationInfoChoice (a CRL, or `other` such as an OCSP response) as encoded. */
  revocationInfo: Bytes[];
  /**
   * The certificates field's elements exactly as received, in order (undefined for another CertificateChoices
   * form, or when the CMS was BER and only the tree parser read it): the bytes a signature or a record is
   * compared with, without re-encoding the parsed tree.
   */
  certificateDer?: (Bytes | undefined)[] | undefined;
}

/** Attached content may be a whole document; anything past this is refused before parsing. */
export const DEFAULT_MAX_CMS_BYTES = 64 * 1024 * 1024;

export function decodeCms(input: Uint8Array | string, maxBytes = DEFAULT_MAX_CMS_BYTES): DecodedCms {
  if (input.length > maxBytes * 2) throw tooLarge(maxBytes);
  let der: Bytes;
  try {
    der = derFrom(input);
  } catch (e) {
    throw malformed(`it is neither DER, PEM nor base64 (${(e as Error).message})`, e);
  }
  if (der.length > maxBytes) throw tooLarge(maxBytes);
  if (der.length === 0) throw malformed('it is empty');

  // DER (what every signer we know writes for a small CMS) is walked with the TLV reader and given to the tree
  // parser once, for the SignedData alone; the asn1js tree and the ContentInfo parse it replaces cost ≈ 2/3 of
  // decoding (profile of bench/reissue.ts). BER — indefinite lengths from streaming signers — takes the old road.
  const walked = walkDer(der);
  if (walked) {
    let signedData: SignedData;
    try {
      signedData = AsnConvert.parse(walked.signedData, SignedData);
    } catch (e) {
      throw malformed(`its SignedData is malformed (${(e as Error).message})`, e);
    }
    if (signedData.signerInfos.length === 0) throw malformed('it has no signer');
    // Both readers must agree on what is there (the tree parser has the last word on the structure).
    if (walked.signedAttributesDer.length !== signedData.signerInfos.length || (walked.certificateDer?.length ?? 0) !== (signedData.certificates?.length ?? 0)) {
      return decodeBer(der);
    }
    return { der, signedData, signedAttributesDer: walked.signedAttributesDer, revocationInfo: walked.revocationInfo, certificateDer: walked.certificateDer };
  }
  return decodeBer(der);
}

interface Walked {
  /** SignedData without its crls field, as the tree parser gets it. */
  signedData: ArrayBuffer;
  signedAttributesDer: (Bytes | undefined)[];
  revocationInfo: Bytes[];
  certificateDer: (Bytes | undefined)[] | undefined;
}

/**
 * ContentInfo → SignedData with the DER reader: undefined when the input is not plain DER (the BER road
 * decides then, with its own messages); a ContentInfo of another type is refused here as there.
 */
function walkDer(der: Bytes): Walked | undefined {
  let parts: Tlv[];
  let sd: Tlv;
  let fields: Tlv[];
  try {
    parts = childrenOf(der, readWhole(der, TAG.sequence, 'ContentInfo'));
    if (parts.length !== 2 || parts[0]!.tag !== TAG.oid || parts[1]!.tag !== contextTag(0, true)) return undefined;
    const inner = childrenOf(der, parts[1]!);
    if (inner.length !== 1 || inner[0]!.tag !== TAG.sequence) return undefined;
    sd = inner[0]!;
    fields = childrenOf(der, sd);
  } catch {
    return undefined;
  }
  let contentType: string;
  try {
    contentType = readOid(der, parts[0]!);
  } catch {
    return undefined;
  }
  if (contentType !== oid.cmsSignedData) {
    throw new QtError('QT_ERR_CMS_MALFORMED', `The CMS content type is ${contentType}, not SignedData`, { contentType });
  }
  // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos.
  const signerInfos = fields.at(-1);
  if (fields.length < 4 || !signerInfos || signerInfos.tag !== TAG.set) return undefined;
  const optional = fields.slice(3, -1);
  const certificates = optional.find((f) => f.tag === contextTag(0, true));
  const crls = optional.find((f) => f.tag === contextTag(1, true));
  try {
    const signedAttributesDer = childrenOf(der, signerInfos).map((signerInfo) => {
      const attrs = childrenOf(der, signerInfo).find((b) => b.tag === contextTag(0, true));
      if (!attrs) return undefined;
      const raw = der.slice(attrs.start, attrs.end);
      raw[0] = 0x31; // RFC 5652 §5.4: the signature is over the SET OF, not the [0] IMPLICIT tag
      return raw;
    });
    const certificateDer = certificates ? childrenOf(der, certificates).map((c) => (c.tag === TAG.sequence ? elementOf(der, c).slice() : undefined)) : undefined;
    const revocationInfo = crls ? childrenOf(der, crls).map((c) => elementOf(der, c).slice()) : [];
    let signedData: ArrayBuffer;
    if (!crls) {
      signedData = toArrayBuffer(der.subarray(sd.start, sd.end));
    } else {
      const body = concatBytes(...fields.filter((f) => f !== crls).map((f) => der.subarray(f.start, f.end)));
      signedData = toArrayBuffer(concatBytes(derHeader(0x30, body.length), body));
    }
    return { signedData, signedAttributesDer, revocationInfo, certificateDer };
  } catch {
    return undefined;
  }
}

/** The tree parsers' road, for BER: asn1js for the raw pieces, then asn1-schema for ContentInfo and SignedData. */
function decodeBer(der: Bytes): DecodedCms {
  const outer = asn1js.fromBER(toArrayBuffer(der));
  if (outer.offset === -1) throw malformed(outer.result.error || 'the DER cannot be decoded');
  if (outer.offset !== der.length) throw malformed(`${der.length - outer.offset} bytes follow the structure`);

  let contentInfo: ContentInfo;
  let signedData: SignedData;
  try {
    contentInfo = AsnConvert.parse(toArrayBuffer(der), ContentInfo);
  } catch (e) {
    throw malformed(`it is not a CMS ContentInfo (${(e as Error).message})`, e);
  }
  if (contentInfo.contentType !== oid.cmsSignedData) {
    throw new QtError('QT_ERR_CMS_MALFORMED', `The CMS content type is ${contentInfo.contentType}, not SignedData`, {
      contentType: contentInfo.contentType,
    });
  }
  const { withoutCrls, revocationInfo } = splitCrls(outer.result);
  try {
    signedData = AsnConvert.parse(withoutCrls ?? contentInfo.content, SignedData);
  } catch (e) {
    throw malformed(`its SignedData is malformed (${(e as Error).message})`, e);
  }
  if (signedData.signerInfos.length === 0) throw malformed('it has no signer');
  return { der, signedData, signedAttributesDer: rawSignedAttributes(outer.result), revocationInfo };
}


/**
 * @peculiar/asn1-cms declares RevocationInfoChoice with its `other` arm only, so a plain CRL in the crls field
 * (RFC 5652 §10.2.1, what CAdES-LT embeds) fails its schema. The crls field is therefore cut out before the
 * SignedData is parsed and kept as the bytes it was; nothing else reads it as a structure.
 */
function splitCrls(contentInfo: asn1js.AsnType): { withoutCrls: ArrayBuffer | undefined; revocationInfo: Bytes[] } {
  const signedData = children(children(contentInfo)[1])[0];
  const fields = children(signedData);
  const crls = fields.find((b, i) => i > 2 && i < fields.length - 1 && b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 1);
  if (!crls || !signedData) return { withoutCrls: undefined, revocationInfo: [] };
  const kept = fields.filter((b) => b !== crls).map((b) => new Uint8Array(b.valueBeforeDecodeView));
  const body = concatBytes(...kept);
  return { withoutCrls: toArrayBuffer(concatBytes(derHeader(0x30, body.length), body)), revocationInfo: children(crls).map((b) => new Uint8Array(b.valueBeforeDecodeView)) };
}

function derHeader(tag: number, length: number): Bytes {
  if (length < 0x80) return new Uint8Array([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return new Uint8Array([tag, 0x80 | bytes.length, ...bytes]);
}

function children(block: unknown): asn1js.BaseBlock[] {
  const value = (block as { valueBlock?: { value?: unknown } }).valueBlock?.value;
  return Array.isArray(value) ? (value as asn1js.BaseBlock[]) : [];
}

/**
 * The encapsulated content's bytes. Streaming signers (openssl -stream, Java's CMSSignedDataStreamGenerator)
 * write a constructed, chunked OCTET STRING, which asn1-schema hands over undecoded as `any`.
 */
export function encapsulatedContent(eContent: EncapsulatedContent | undefined): Bytes | undefined {
  if (!eContent) return undefined;
  if (eContent.single) return new Uint8Array(eContent.single.buffer);
  if (!eContent.any) return undefined;
  const parsed = asn1js.fromBER(eContent.any);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.OctetString)) throw malformed('its content is not an OCTET STRING');
  return new Uint8Array(parsed.result.getValue());
}

/** ContentInfo → [0] → SignedData → signerInfos (last) → each SignerInfo's [0] IMPLICIT SET. */
function rawSignedAttributes(contentInfo: asn1js.AsnType): (Bytes | undefined)[] {
  const signedData = children(children(contentInfo)[1])[0];
  const signerInfos = children(signedData).at(-1);
  return children(signerInfos).map((signerInfo) => {
    const attrs = children(signerInfo).find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0);
    if (!attrs) return undefined;
    const raw = new Uint8Array(attrs.valueBeforeDecodeView);
    raw[0] = 0x31; // RFC 5652 §5.4: the signature is over the SET OF, not the [0] IMPLICIT tag
    return raw;
  });
}

function malformed(why: string, cause?: unknown): QtError {
  return new QtError('QT_ERR_CMS_MALFORMED', `${errorCatalog.QT_ERR_CMS_MALFORMED}: ${why}`, undefined, { cause });
}

function tooLarge(maxBytes: number): QtError {
  return new QtError('QT_ERR_TOO_LARGE', `The CMS signature is larger than ${maxBytes} bytes`, { maxBytes });
}
