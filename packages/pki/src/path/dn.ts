/**
 * Distinguished names as RFC 5280 §7.1 compares them: RDN by RDN in order, each RDN as a set of attribute
 * values; values of the directory string types compared after RFC 4518-style preparation (Unicode NFKC,
 * case folded, leading/trailing space removed, inner runs of space collapsed), whatever their string type
 * (so a PrintableString issuer matches a UTF8String subject after a CA's rollover), everything else
 * byte for byte. Hand-written: the ASN.1 libraries parse names but none implements this matching rule.
 */
import { fromUtf8, type Bytes } from '../encoding.ts';
import { childrenOf, readOid, readWhole, TAG, type Tlv } from '../der/read.ts';

/** One RDN's canonical form: its attribute values' canonical forms, sorted (an RDN is a SET). */
export type RdnKey = string;

export interface ParsedName {
  rdns: RdnKey[];
  /** The whole name's canonical form: equal keys ⇔ the names match under RFC 5280 §7.1. */
  key: string;
  /** Values of the PKCS#9 emailAddress attribute (RFC 5280 §4.2.1.10 applies rfc822Name constraints to them). */
  emails: string[];
}

const emailAddress = '1.2.840.113549.1.9.1';

const STRING_TAGS: ReadonlySet<number> = new Set([
  0x0c, // UTF8String
  0x13, // PrintableString
  0x14, // TeletexString (read as Latin-1, as every implementation in practice does)
  0x16, // IA5String (emailAddress, domainComponent: caseIgnoreIA5Match)
  0x1a, // VisibleString
  0x1c, // UniversalString
  0x1e, // BMPString
]);

function decodeString(tag: number, value: Uint8Array): string {
  switch (tag) {
    case 0x0c:
      return fromUtf8(value);
    case 0x1e: {
      let s = '';
      for (let i = 0; i + 1 < value.length; i += 2) s += String.fromCharCode(((value[i] as number) << 8) | (value[i + 1] as number));
      return s;
    }
    case 0x1c: {
      let s = '';
      for (let i = 0; i + 3 < value.length; i += 4) {
        const cp = (((value[i] as number) << 24) | ((value[i + 1] as number) << 16) | ((value[i + 2] as number) << 8) | (value[i + 3] as number)) >>> 0;
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    default:
      return String.fromCharCode(...value);
  }
}

/** RFC 4518 in its practical core: NFKC, case fold, insignificant space handling. */
export function prepareString(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function attributeKey(der: Uint8Array, ava: Tlv): { key: string; type: string; text: string | undefined } {
  const [typeTlv, valueTlv, extra] = childrenOf(der, ava);
  if (!typeTlv || !valueTlv || extra || ava.tag !== TAG.sequence) throw new Error('an attribute is not SEQUENCE { type, value }');
  const type = readOid(der, typeTlv);
  const value = der.subarray(valueTlv.contentStart, valueTlv.end);
  if (STRING_TAGS.has(valueTlv.tag)) {
    const text = decodeString(valueTlv.tag, value);
    return { key: `${type}=s:${JSON.stringify(prepareString(text))}`, type, text };
  }
  let hex = '';
  for (let i = valueTlv.start; i < valueTlv.end; i++) hex += (der[i] as number).toString(16).padStart(2, '0');
  return { key: `${type}=b:${hex}`, type, text: undefined };
}

/** One RDN (a SET OF AttributeTypeAndValue element) in canonical form; PKCS#9 e-mail values go to `emails`. */
export function readRdn(der: Uint8Array, rdn: Tlv, emails: string[] = []): RdnKey {
  if (rdn.tag !== TAG.set) throw new Error('an RDN is not a SET');
  const avas = childrenOf(der, rdn);
  if (avas.length === 0) throw new Error('an RDN is empty');
  const keys: string[] = [];
  for (const ava of avas) {
    const a = attributeKey(der, ava);
    keys.push(a.key);
    if (a.type === emailAddress && a.text !== undefined) emails.push(a.text);
  }
  return keys.sort().join('+');
}

/** Parses a DER Name; throws on anything that is not SEQUENCE OF SET OF AttributeTypeAndValue. */
export function parseName(der: Bytes): ParsedName {
  const outer = readWhole(der, TAG.sequence, 'Name');
  const emails: string[] = [];
  const rdns = childrenOf(der, outer).map((rdn) => readRdn(der, rdn, emails));
  return { rdns, key: rdns.join(','), emails };
}

/** Is `name` within the subtree rooted at `base` (base's RDNs are a prefix of name's)? RFC 5280 §7.1. */
export function nameWithin(name: readonly RdnKey[], base: readonly RdnKey[]): boolean {
  if (base.length > name.length) return false;
  for (let i = 0; i < base.length; i++) if (name[i] !== base[i]) return false;
  return true;
}

/** Canonical key of a DER Name, or undefined when it cannot be parsed. */
export function nameKey(der: Bytes): string | undefined {
  try {
    return parseName(der).key;
  } catch {
    return undefined;
  }
}
