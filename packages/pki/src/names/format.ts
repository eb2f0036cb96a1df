/**
 * Display strings for names, RFC 4514 style (escaping, short names, #hex for values that are not
 * text), but by default in the encoded order CN first — the order NCALayer, openssl and NCA's own
 * documents show. `reverse: true` gives RFC 4514's order.
 */
import { toHex } from '../encoding.ts';
import { attributeShortName } from './attribute-types.ts';
import { decodeDn, type DistinguishedName, type DnAttribute } from './dn.ts';

function escapeValue(value: string): string {
  return value
    .replace(/[\\"+,;<>]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ')
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function formatAttribute(a: DnAttribute): string {
  const name = attributeShortName(a.type) ?? a.type;
  // Values that are not text are shown as #hex DER (RFC 4514 §2.4). Text under an unnamed type stays
  // text, unlike RFC 4514, because these strings are read by people.
  return a.stringType === 'der' ? `${name}=#${toHex(a.der ?? new Uint8Array())}` : `${name}=${escapeValue(a.value)}`;
}

export function formatDn(dn: DistinguishedName | Uint8Array, options: { reverse?: boolean } = {}): string {
  const decoded = dn instanceof Uint8Array ? decodeDn(dn) : dn;
  const rdns = decoded.map((rdn) => rdn.map(formatAttribute).join('+'));
  return (options.reverse ? rdns.reverse() : rdns).join(', ');
}
