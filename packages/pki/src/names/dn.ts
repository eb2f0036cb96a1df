/**
 * Distinguished names as data: an ordered list of RDNs, each an ordered list of attributes with their
 * exact ASN.1 string type. Decoding then encoding gives the same bytes, so names can be shown,
 * inspected and rebuilt without ever changing what a signature covers.
 */
import * as asn1js from 'asn1js';
import { QtError } from '../errors.ts';
import { bytesEqual, concatBytes, toBytes, type Bytes } from '../encoding.ts';
import { assertStrictDer } from './strict-der.ts';
import { tlv } from './tlv.ts';
import { attributeTypeOid, defaultStringType } from './attribute-types.ts';
import { decodeString, encodeString, fitsStringType, stringTypeOfTag, stringTypeTags, type DnStringType } from './string-types.ts';

export interface DnAttribute {
  /** Attribute type OID, e.g. 2.5.4.3 for CN. */
  type: string;
  /** The value as text; empty when `stringType` is "der". */
  value: string;
  /** The ASN.1 string type, or "der" for a value that is not a string we can carry as text. */
  stringType: DnStringType | 'der';
  /** The value's complete DER when `stringType` is "der". */
  der?: Bytes;
}

/** A relative distinguished name: one or more attributes (a SET, kept in its encoded order). */
export type Rdn = readonly DnAttribute[];
export type DistinguishedName = readonly Rdn[];

/** What `encodeDn` accepts: `type` may be an OID or a short name (CN, SURNAME, …); `stringType` is optional. */
export interface DnAttributeInput {
  type: string;
  value: string;
  stringType?: DnStringType | 'der';
  der?: Uint8Array;
}

/** Each item is an RDN: one attribute (the usual case) or several (a multi-valued RDN). */
export type DnInput = readonly (DnAttributeInput | readonly DnAttributeInput[])[];

function malformed(message: string): QtError {
  return new QtError('QT_ERR_DER_MALFORMED', `The distinguished name is malformed: ${message}`);
}

function decodeValue(block: asn1js.AsnType, type: string): DnAttribute {
  const base = block as asn1js.BaseBlock;
  const stringType = base.idBlock.tagClass === 1 && !base.idBlock.isConstructed ? stringTypeOfTag(base.idBlock.tagNumber) : undefined;
  if (stringType) {
    const text = decodeString((base.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView, stringType);
    if (text !== undefined) return { type, value: text, stringType };
  }
  return { type, value: '', stringType: 'der', der: toBytes(base.valueBeforeDecodeView) };
}

/** asn1js maps a tag number to its class even in the wrong (primitive/constructed) form; DER does not allow that. */
function isUniversal(block: asn1js.AsnType | undefined, tagNumber: number, constructed: boolean): block is asn1js.BaseBlock {
  const id = (block as asn1js.BaseBlock | undefined)?.idBlock;
  return !!id && id.tagClass === 1 && id.tagNumber === tagNumber && id.isConstructed === constructed;
}

function readBer(der: Uint8Array): asn1js.AsnType {
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(toBytes(der));
  } catch (e) {
    // asn1js throws (rather than reporting) on some bad primitive values, e.g. malformed times.
    throw malformed((e as Error).message);
  }
  if (parsed.offset === -1) throw malformed(parsed.result.error || 'cannot be decoded');
  return parsed.result;
}

/** Decodes a DER Name. Throws QT_ERR_DER_MALFORMED for anything that is not one. */
export function decodeDn(der: Uint8Array): DistinguishedName {
  assertStrictDer(der, 'distinguished name');
  const seq = readBer(der);
  if (!isUniversal(seq, 16, true)) throw malformed('not a SEQUENCE');
  return (seq as asn1js.Sequence).valueBlock.value.map((rdn, i) => {
    if (!isUniversal(rdn, 17, true) || (rdn as asn1js.Set).valueBlock.value.length === 0) throw malformed(`RDN ${i + 1} is not a non-empty SET`);
    return (rdn as asn1js.Set).valueBlock.value.map((atv) => {
      const [typeBlock, valueBlock, extra] = isUniversal(atv, 16, true) ? (atv as asn1js.Sequence).valueBlock.value : [];
      if (!isUniversal(typeBlock, 6, false) || !valueBlock || extra) {
        throw malformed(`RDN ${i + 1} holds something other than (type, value)`);
      }
      const type = (typeBlock as asn1js.ObjectIdentifier).valueBlock.toString();
      // Non-minimal sub-identifiers decode to the same dotted text; only re-encoding reveals them.
      if (!bytesEqual(oidDer(type), typeBlock.valueBeforeDecodeView)) throw malformed(`RDN ${i + 1} has a malformed attribute type`);
      return decodeValue(valueBlock, type);
    });
  });
}

function oidDer(dotted: string): Bytes {
  return new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
}

function encodeValue(attr: DnAttributeInput, typeOid: string): Bytes {
  const stringType = attr.stringType ?? defaultStringType(typeOid);
  if (stringType === 'der') {
    if (!attr.der) throw new QtError('QT_ERR_NAME_INVALID', `The value of ${typeOid} is marked "der" but carries no DER`);
    assertStrictDer(attr.der, `value of ${typeOid}`);
    return toBytes(attr.der);
  }
  if (!fitsStringType(attr.value, stringType)) {
    throw new QtError('QT_ERR_NAME_INVALID', `The value of ${typeOid} cannot be written as ${stringType}: "${attr.value}"`, {
      type: typeOid,
      stringType,
    });
  }
  return tlv(stringTypeTags[stringType], encodeString(attr.value, stringType));
}

function encodeAttribute(attr: DnAttributeInput): Bytes {
  const typeOid = attributeTypeOid(attr.type);
  if (!typeOid) throw new QtError('QT_ERR_NAME_INVALID', `Unknown attribute type "${attr.type}"`, { type: attr.type });
  return tlv(0x30, concatBytes(oidDer(typeOid), encodeValue(attr, typeOid)));
}

/**
 * Encodes a name in exactly the given order and string types. Multi-valued RDNs keep the caller's
 * order rather than DER's sorted SET order, so a decoded name re-encodes to its original bytes; for
 * the same reason the TLVs are assembled here and "der" values are copied verbatim, where asn1js
 * would re-encode them.
 */
export function encodeDn(dn: DnInput): Bytes {
  const rdns = dn.map((rdn) => {
    const attrs: readonly DnAttributeInput[] = Array.isArray(rdn) ? rdn : [rdn as DnAttributeInput];
    if (attrs.length === 0) throw new QtError('QT_ERR_NAME_INVALID', 'An RDN must hold at least one attribute');
    return tlv(0x31, concatBytes(...attrs.map(encodeAttribute)));
  });
  return tlv(0x30, concatBytes(...rdns));
}

/** The first value of an attribute type, searching RDNs in order. */
export function dnValue(dn: DistinguishedName, typeOid: string): string | undefined {
  for (const rdn of dn) for (const a of rdn) if (a.type === typeOid && a.stringType !== 'der') return a.value;
  return undefined;
}

/** Every value of an attribute type, in order. */
export function dnValues(dn: DistinguishedName, typeOid: string): string[] {
  return dn.flatMap((rdn) => rdn.filter((a) => a.type === typeOid && a.stringType !== 'der').map((a) => a.value));
}
