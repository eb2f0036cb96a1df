/**
 * GeneralName (RFC 5280 §4.2.1.6) read from DER with the exact bytes of every directoryName kept, because
 * name constraints and CRL distribution points compare them under RFC 5280 §7.1 rather than as printed text.
 */
import type { Bytes } from '../encoding.ts';
import { childrenOf, contentOf, contextTag, elementOf, readOid, TAG, type Tlv } from '../der/read.ts';
import { parseName, type ParsedName } from './dn.ts';

export type GeneralName =
  | { type: 'rfc822Name'; value: string }
  | { type: 'dNSName'; value: string }
  | { type: 'uniformResourceIdentifier'; value: string }
  | { type: 'iPAddress'; bytes: Bytes }
  | { type: 'directoryName'; der: Bytes; name: ParsedName }
  | { type: 'registeredID'; oid: string }
  | { type: 'otherName' | 'x400Address' | 'ediPartyName'; der: Bytes };

export type GeneralNameType = GeneralName['type'];

/**
 * IA5String is 7-bit ASCII, control characters included: NCA's 2018 production CAs carry a CRL distribution
 * point URI with a newline and a second "URL=…" inside it (a configuration slip on their side), which is
 * valid IA5 and must stay readable, so only the 8-bit range is refused here.
 */
function ia5(der: Bytes, t: Tlv, what: string): string {
  const bytes = contentOf(der, t);
  for (const b of bytes) if (b > 0x7f) throw new Error(`the ${what} is not IA5 (7-bit) text`);
  return String.fromCharCode(...bytes);
}

/** Reads one GeneralName element (its tag decides the choice). */
export function readGeneralName(der: Bytes, t: Tlv): GeneralName {
  switch (t.tag) {
    case contextTag(0, true):
      return { type: 'otherName', der: elementOf(der, t) };
    case contextTag(1, false):
      return { type: 'rfc822Name', value: ia5(der, t, 'rfc822Name') };
    case contextTag(2, false):
      return { type: 'dNSName', value: ia5(der, t, 'dNSName') };
    case contextTag(3, true):
      return { type: 'x400Address', der: elementOf(der, t) };
    case contextTag(4, true): {
      const [inner, extra] = childrenOf(der, t);
      if (!inner || extra || inner.tag !== TAG.sequence) throw new Error('a directoryName does not hold one Name');
      const nameDer = elementOf(der, inner);
      return { type: 'directoryName', der: nameDer, name: parseName(nameDer) };
    }
    case contextTag(5, true):
      return { type: 'ediPartyName', der: elementOf(der, t) };
    case contextTag(6, false):
      return { type: 'uniformResourceIdentifier', value: ia5(der, t, 'uniformResourceIdentifier') };
    case contextTag(7, false):
      return { type: 'iPAddress', bytes: contentOf(der, t) };
    case contextTag(8, false):
      return { type: 'registeredID', oid: readOid(der, { ...t, tag: TAG.oid }) };
    default:
      throw new Error(`unknown GeneralName tag 0x${t.tag.toString(16)}`);
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, given as the element holding them. */
export function readGeneralNames(der: Bytes, t: Tlv): GeneralName[] {
  const names = childrenOf(der, t).map((n) => readGeneralName(der, n));
  if (names.length === 0) throw new Error('an empty GeneralNames');
  return names;
}

/** Two GeneralNames denote the same name (distribution point matching, RFC 5280 §6.3.3 (b)). */
export function generalNamesEqual(a: GeneralName, b: GeneralName): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'directoryName':
      return a.name.key === (b as typeof a).name.key;
    case 'rfc822Name':
    case 'dNSName':
      return a.value.toLowerCase() === (b as typeof a).value.toLowerCase();
    case 'uniformResourceIdentifier':
      return a.value === (b as typeof a).value;
    case 'iPAddress': {
      const o = (b as typeof a).bytes;
      return a.bytes.length === o.length && a.bytes.every((x, i) => x === o[i]);
    }
    case 'registeredID':
      return a.oid === (b as typeof a).oid;
    default: {
      const o = (b as typeof a).der;
      return a.der.length === o.length && a.der.every((x, i) => x === o[i]);
    }
  }
}

export function describeGeneralName(n: GeneralName): string {
  switch (n.type) {
    case 'rfc822Name':
    case 'dNSName':
    case 'uniformResourceIdentifier':
      return `${n.type}:${n.value}`;
    case 'iPAddress':
      return `iPAddress:${[...n.bytes].join('.')}`;
    case 'directoryName':
      return `directoryName:${n.name.key}`;
    case 'registeredID':
      return `registeredID:${n.oid}`;
    default:
      return n.type;
  }
}
