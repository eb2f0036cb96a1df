/**
 * Editing a SignedData without touching what anyone signed: every SignerInfo, the content and the certificates
 * already present are carried over as the exact bytes received; only the containers around an edit are
 * re-encoded. What may be added (RFC 5652 leaves these outside every signature):
 *  - an unsigned attribute of one signer (a signature time-stamp, an archive time-stamp, validation data) —
 *    that signer's signature bytes and signed attributes stay as they are, the other signers are not touched;
 *  - certificates, CRLs and OCSP responses (RevocationInfoChoice `other` with id-ri-ocsp-response, RFC 5940);
 *  - a new SignerInfo (a co-signature over the same content) with its digest algorithm.
 * Hand-written over asn1js's element boundaries (valueBeforeDecode), because a decode/re-encode through a
 * schema library re-orders and re-encodes signed attributes, which would break other signers' signatures.
 * BER input (indefinite lengths from streaming signers) is accepted; the containers written are DER.
 */
import * as asn1js from 'asn1js';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, toArrayBuffer, type Bytes } from '../encoding.ts';
import { contextTag, TAG } from '../der/read.ts';
import { integer, objectIdentifier, sequence, tlv } from '../der/write.ts';
import { decodeCms, encapsulatedContent, type DecodedCms } from './decode.ts';

/** An attribute as bytes: its type and each value's DER. */
export interface RawAttribute {
  type: string;
  values: Bytes[];
}

/** The fields of a SignerInfo as they were encoded (RFC 5652 §5.3), tags included. */
export interface SignerInfoFields {
  version: Bytes;
  sid: Bytes;
  digestAlgorithm: Bytes;
  /** The [0] IMPLICIT signedAttrs element as encoded, when present. */
  signedAttrs: Bytes | undefined;
  signatureAlgorithm: Bytes;
  /** The signature OCTET STRING element. */
  signature: Bytes;
  unsignedAttrs: RawAttribute[];
}

interface Signer {
  fields: SignerInfoFields;
  /** The SignerInfo as received, reused while its unsigned attributes are unchanged. */
  original: Bytes | undefined;
}

export const RI_OCSP_RESPONSE = oid.riOcspResponse;

type Block = asn1js.AsnType & asn1js.BaseBlock;

function malformed(why: string): QtError {
  return new QtError('QT_ERR_CMS_MALFORMED', `The CMS signature is malformed: ${why}`);
}

function raw(block: asn1js.BaseBlock): Bytes {
  return new Uint8Array(block.valueBeforeDecodeView);
}

function children(block: unknown): Block[] {
  const value = (block as { valueBlock?: { value?: unknown } }).valueBlock?.value;
  return Array.isArray(value) ? (value as Block[]) : [];
}

function isContext(block: asn1js.BaseBlock, n: number): boolean {
  return block.idBlock.tagClass === 3 && block.idBlock.tagNumber === n;
}

function oidOf(block: asn1js.BaseBlock | undefined, what: string): string {
  if (!(block instanceof asn1js.ObjectIdentifier)) throw malformed(`${what} is not an object identifier`);
  return block.valueBlock.toString();
}

function readAttributes(container: asn1js.BaseBlock): RawAttribute[] {
  return children(container).map((attr) => {
    const [type, values] = children(attr);
    if (!(values instanceof asn1js.Set) && !(values && values.idBlock.tagNumber === 17)) throw malformed('an unsigned attribute has no SET of values');
    return { type: oidOf(type, 'an attribute type'), values: children(values).map(raw) };
  });
}

function encodeAttribute(a: RawAttribute): Bytes {
  return sequence(objectIdentifier(a.type), tlv(TAG.set, ...a.values));
}

export class SignedDataEditor {
  private version: number;
  private readonly digestAlgorithms: Bytes[];
  private readonly encapContentInfo: Bytes;
  private readonly contentTypeOid: string;
  private readonly content: Bytes | undefined;
  private readonly certificateChoices: Bytes[];
  private readonly revocationChoices: Bytes[];
  private readonly signers: Signer[];
  private hadCertificates: boolean;
  private hadCrls: boolean;

  private constructor(decoded: DecodedCms) {
    this.content = encapsulatedContent(decoded.signedData.encapContentInfo.eContent);
    this.contentTypeOid = decoded.signedData.encapContentInfo.eContentType;
    const parsed = asn1js.fromBER(toArrayBuffer(decoded.der));
    const explicit = children(parsed.result)[1];
    const signedData = explicit ? children(explicit)[0] : undefined;
    const fields = children(signedData);
    if (fields.length < 4) throw malformed('its SignedData has too few fields');
    const [versionBlock, digestAlgs, encap] = fields as [Block, Block, Block];
    const signerInfos = fields[fields.length - 1] as Block;
    const middle = fields.slice(3, -1);
    const certs = middle.find((b) => isContext(b, 0));
    const crls = middle.find((b) => isContext(b, 1));
    this.version = versionBlock instanceof asn1js.Integer ? versionBlock.valueBlock.valueDec : 1;
    this.digestAlgorithms = children(digestAlgs).map(raw);
    this.encapContentInfo = raw(encap);
    this.certificateChoices = certs ? children(certs).map(raw) : [];
    this.revocationChoices = crls ? children(crls).map(raw) : [];
    this.hadCertificates = certs !== undefined;
    this.hadCrls = crls !== undefined;
    this.signers = children(signerInfos).map((info) => ({ fields: readSignerInfo(info), original: raw(info) }));
  }

  /** Opens a CMS (DER, BER, PEM or base64) for editing; decodeCms checks it as verification does. */
  static open(input: Uint8Array | string): SignedDataEditor {
    return new SignedDataEditor(decodeCms(input));
  }

  /** The same, for a CMS already decoded (the verifier reads its stamps without decoding twice). */
  static fromDecoded(decoded: DecodedCms): SignedDataEditor {
    return new SignedDataEditor(decoded);
  }

  get signerCount(): number {
    return this.signers.length;
  }

  /** The encapsulated content type, e.g. id-data or id-ct-TSTInfo. */
  get contentType(): string {
    return this.contentTypeOid;
  }

  /** The DER of the eContentType OID as encoded (the archive-time-stamp-v3 imprint starts with it). */
  contentTypeDer(): Bytes {
    const parsed = asn1js.fromBER(toArrayBuffer(this.encapContentInfo));
    const first = children(parsed.result)[0];
    if (!first) throw malformed('its encapContentInfo has no content type');
    return raw(first);
  }

  /** The attached content, when there is one. */
  attachedContent(): Bytes | undefined {
    return this.content;
  }

  /** A copy of signer i's fields (editing it changes nothing; use the methods below). */
  signer(i: number): SignerInfoFields {
    const f = this.signerAt(i).fields;
    return { ...f, unsignedAttrs: f.unsignedAttrs.map((a) => ({ type: a.type, values: [...a.values] })) };
  }

  /** The SignerInfo of signer i as it will be written. */
  signerInfoDer(i: number): Bytes {
    return encodeSigner(this.signerAt(i));
  }

  /** The signature value (the OCTET STRING's content) of signer i: what a signature time-stamp covers. */
  signatureValue(i: number): Bytes {
    const parsed = asn1js.fromBER(toArrayBuffer(this.signerAt(i).fields.signature));
    if (!(parsed.result instanceof asn1js.OctetString)) throw malformed(`the signature of signer ${i + 1} is not an OCTET STRING`);
    return new Uint8Array(parsed.result.getValue());
  }

  unsignedAttributes(i: number): RawAttribute[] {
    return this.signerAt(i).fields.unsignedAttrs;
  }

  /** Adds an attribute with one value to signer i's unsigned attributes, after those it has. */
  addUnsignedAttribute(i: number, type: string, valueDer: Uint8Array): this {
    const signer = this.signerAt(i);
    signer.fields.unsignedAttrs.push({ type, values: [new Uint8Array(valueDer)] });
    signer.original = undefined;
    return this;
  }

  /** Replaces signer i's unsigned attributes (e.g. a time-stamp token's, to add its ats-hash-index). */
  setUnsignedAttributes(i: number, attributes: readonly RawAttribute[]): this {
    const signer = this.signerAt(i);
    signer.fields.unsignedAttrs = attributes.map((a) => ({ type: a.type, values: a.values.map((v) => new Uint8Array(v)) }));
    signer.original = undefined;
    return this;
  }

  /** Every CertificateChoices element as encoded, in order. */
  certificates(): Bytes[] {
    return [...this.certificateChoices];
  }

  /** Every RevocationInfoChoice element as encoded, in order (CRLs, and OCSP responses as `other`). */
  revocationInfo(): Bytes[] {
    return [...this.revocationChoices];
  }

  /** Adds certificates (DER) not yet present byte for byte. Returns how many were new. */
  addCertificates(ders: readonly Uint8Array[]): number {
    let added = 0;
    for (const der of ders) {
      if (this.certificateChoices.some((c) => bytesEqual(c, der))) continue;
      this.certificateChoices.push(new Uint8Array(der));
      added++;
    }
    return added;
  }

  /** Adds CRLs (DER CertificateList) not yet present. Returns how many were new. */
  addCrls(ders: readonly Uint8Array[]): number {
    return this.addRevocation(ders.map((d) => new Uint8Array(d)));
  }

  /** Adds OCSP responses (DER OCSPResponse) as RevocationInfoChoice other, id-ri-ocsp-response (RFC 5940 §4.2.2). */
  addOcspResponses(ders: readonly Uint8Array[]): number {
    return this.addRevocation(ders.map((d) => tlv(contextTag(1, true), objectIdentifier(RI_OCSP_RESPONSE), d)));
  }

  private addRevocation(choices: Bytes[]): number {
    let added = 0;
    for (const choice of choices) {
      if (this.revocationChoices.some((c) => bytesEqual(c, choice))) continue;
      this.revocationChoices.push(choice);
      added++;
    }
    return added;
  }

  /** Adds a SignerInfo (a co-signature over the same content) and its digest algorithm. */
  addSignerInfo(signerInfoDer: Uint8Array): this {
    const parsed = asn1js.fromBER(toArrayBuffer(signerInfoDer));
    if (parsed.offset === -1 || parsed.offset !== signerInfoDer.length) throw malformed('the SignerInfo to add is not one DER element');
    const fields = readSignerInfo(parsed.result);
    this.signers.push({ fields, original: new Uint8Array(signerInfoDer) });
    if (!this.digestAlgorithms.some((d) => sameAlgorithm(d, fields.digestAlgorithm))) this.digestAlgorithms.push(fields.digestAlgorithm);
    return this;
  }

  /** The edited ContentInfo (DER containers around the original bytes). */
  toDer(): Bytes {
    const parts: Uint8Array[] = [integer(this.requiredVersion()), tlv(TAG.set, ...this.digestAlgorithms), this.encapContentInfo];
    if (this.hadCertificates || this.certificateChoices.length) parts.push(tlv(contextTag(0, true), ...this.certificateChoices));
    if (this.hadCrls || this.revocationChoices.length) parts.push(tlv(contextTag(1, true), ...this.revocationChoices));
    parts.push(tlv(TAG.set, ...this.signers.map(encodeSigner)));
    return sequence(objectIdentifier(oid.cmsSignedData), tlv(contextTag(0, true), sequence(...parts)));
  }

  /** RFC 5652 §5.1; never lowered below what the CMS said. */
  private requiredVersion(): number {
    const tags = (items: Bytes[]) => items.map((b) => b[0]);
    let v = 1;
    if (tags(this.certificateChoices).includes(contextTag(3, true)) || tags(this.revocationChoices).includes(contextTag(1, true))) v = 5;
    else if (tags(this.certificateChoices).includes(contextTag(2, true))) v = 4;
    else if (
      tags(this.certificateChoices).includes(contextTag(1, true)) ||
      this.contentTypeOid !== oid.cmsData ||
      this.signers.some((s) => integerValue(s.fields.version) === 3)
    ) {
      v = 3;
    }
    this.version = Math.max(this.version, v);
    return this.version;
  }

  private signerAt(i: number): Signer {
    const s = this.signers[i];
    if (!s) throw new QtError('QT_ERR_INPUT_INVALID', `The CMS has no signer ${i + 1} (it has ${this.signers.length})`, { signer: i });
    return s;
  }
}

function readSignerInfo(info: asn1js.BaseBlock): SignerInfoFields {
  const f = children(info);
  const signedAttrs = f.find((b) => isContext(b, 0));
  const unsigned = f.find((b) => isContext(b, 1));
  const plain = f.filter((b) => b !== signedAttrs && b !== unsigned);
  if (plain.length !== 5) throw malformed('a SignerInfo does not have the fields RFC 5652 §5.3 lists');
  const [version, sid, digestAlgorithm, signatureAlgorithm, signature] = plain.map(raw) as [Bytes, Bytes, Bytes, Bytes, Bytes];
  return { version, sid, digestAlgorithm, signedAttrs: signedAttrs ? raw(signedAttrs) : undefined, signatureAlgorithm, signature, unsignedAttrs: unsigned ? readAttributes(unsigned) : [] };
}

function encodeSigner(s: Signer): Bytes {
  if (s.original) return s.original;
  const f = s.fields;
  const parts: Uint8Array[] = [f.version, f.sid, f.digestAlgorithm];
  if (f.signedAttrs) parts.push(f.signedAttrs);
  parts.push(f.signatureAlgorithm, f.signature);
  if (f.unsignedAttrs.length) parts.push(tlv(contextTag(1, true), ...f.unsignedAttrs.map(encodeAttribute)));
  return sequence(...parts);
}

function integerValue(der: Bytes): number {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  return parsed.result instanceof asn1js.Integer ? parsed.result.valueBlock.valueDec : -1;
}

function sameAlgorithm(a: Bytes, b: Bytes): boolean {
  const oidOfAlg = (der: Bytes) => {
    const first = children(asn1js.fromBER(toArrayBuffer(der)).result)[0];
    return first instanceof asn1js.ObjectIdentifier ? first.valueBlock.toString() : '';
  };
  return oidOfAlg(a) === oidOfAlg(b);
}

