/**
 * Distinguished names as data: an ordered list of RDNs, each an ordered list of attributes with their
 * exact ASN.1 string type. Decoding then encoding gives the same bytes, so names can be shown,
 * inspected and rebuilt without ever changing what a signature covers.
 */
import { QtError } from '@qoltanba/errors';
import { bytesEqual, concatBytes, toBytes, type Bytes } from '../encoding.ts';
import { assertStrictDer } from './strict-der.ts';
import { tlv } from './tlv.ts';
import { assertWellFormedValues, readOid, type Tlv } from '../der/read.ts';
import { objectIdentifier } from '../der/write.ts';
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

/**
 * The element at `start`: its first tag byte and extent. The whole name has passed assertStrictDer, so
 * the framing is known good; high tag numbers are allowed, since an attribute value may be anything.
 */
function element(der: Uint8Array, start: number, end: number): Tlv {
  let pos = start;
  const tag = der[pos++] as number;
  if ((tag & 0x1f) === 0x1f) while (pos < end && (der[pos++] as number) & 0x80);
  let length = der[pos++] as number;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[pos++] as number);
  }
  if (pos + length > end) throw malformed('an element runs past its container');
  return { tag, start, contentStart: pos, end: pos + length };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = element(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;

function decodeValue(der: Uint8Array, value: Tlv, type: string): DnAttribute {
  if ((value.tag & 0x1f) !== 0x1f) {
    try {
      assertWellFormedValues(der, value);
    } catch (e) {
      throw malformed(`an attribute value is malformed (${(e as Error).message})`);
    }
  }
  // Universal class, primitive, low tag number: possibly a string type we carry as text.
  const stringType = (value.tag & 0xe0) === 0 && (value.tag & 0x1f) !== 0x1f ? stringTypeOfTag(value.tag) : undefined;
  if (stringType) {
    const text = decodeString(der.subarray(value.contentStart, value.end), stringType);
    if (text !== undefined) return { type, value: text, stringType };
  }
  return { type, value: '', stringType: 'der', der: toBytes(der.subarray(value.start, value.end)) };
}

function attributeType(der: Uint8Array, t: Tlv): string | undefined {
  try {
    const dotted = readOid(der, t);
    // Non-minimal sub-identifiers decode to the same dotted text; only re-encoding reveals them.
    return bytesEqual(objectIdentifier(dotted), der.subarray(t.start, t.end)) ? dotted : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decodes a DER Name. Throws QT_ERR_DER_MALFORMED for anything that is not one. Walked by hand: a
 * tree parser costs ~100 µs per name, and every certificate inspection reads two.
 */
export function decodeDn(der: Uint8Array): DistinguishedName {
  assertStrictDer(der, 'distinguished name');
  const seq = element(der, 0, der.length);
  if (seq.tag !== SEQUENCE) throw malformed('not a SEQUENCE');
  return children(der, seq).map((rdn, i) => {
    const atvs = rdn.tag === SET ? children(der, rdn) : [];
    if (atvs.length === 0) throw malformed(`RDN ${i + 1} is not a non-empty SET`);
    return atvs.map((atv) => {
      const [typeTlv, valueTlv, extra] = atv.tag === SEQUENCE ? children(der, atv) : [];
      if (!typeTlv || typeTlv.tag !== OID || !valueTlv || extra) {
        throw malformed(`RDN ${i + 1} holds something other than (type, value)`);
      }
      const type = attributeType(der, typeTlv);
      if (type === undefined) throw malformed(`RDN ${i + 1} has a malformed attribute type`);
      return decodeValue(der, valueTlv, type);
    });
  });
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
  return tlv(0x30, concatBytes(objectIdentifier(typeOid), encodeValue(attr, typeOid)));
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
