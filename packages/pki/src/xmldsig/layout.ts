/**
 * The ds:Signature element exactly as NCALayer (Apache Santuario under Kalkan) writes it: ds: prefix,
 * one element per line, base64 in 76-character lines (Java's MIME encoder) set on their own lines
 * when longer than one line. NCALayer's commonUtils replies use CRLF, its basics replies LF.
 */
import { toBase64 } from '../encoding.ts';
import { C14N } from './algorithms.ts';
import { XMLDSIG_NS } from './dom.ts';

export type LineEnding = '\r\n' | '\n';

export interface SignatureMarkup {
  eol: LineEnding;
  signatureMethod: string;
  referenceUri: string;
  transforms: readonly string[];
  digestMethod: string;
  digestValue: Uint8Array;
  /** Empty while SignedInfo is being canonicalized for signing. */
  signatureValue: Uint8Array;
  certificate: Uint8Array;
}

export function signatureMarkup(m: SignatureMarkup): string {
  const lines = [
    `<ds:Signature xmlns:ds="${XMLDSIG_NS}">`,
    '<ds:SignedInfo>',
    `<ds:CanonicalizationMethod Algorithm="${C14N}"/>`,
    `<ds:SignatureMethod Algorithm="${m.signatureMethod}"/>`,
    `<ds:Reference URI="${escapeAttribute(m.referenceUri)}">`,
    '<ds:Transforms>',
    ...m.transforms.map((t) => `<ds:Transform Algorithm="${t}"/>`),
    '</ds:Transforms>',
    `<ds:DigestMethod Algorithm="${m.digestMethod}"/>`,
    `<ds:DigestValue>${wrapBase64(m.digestValue, m.eol, false)}</ds:DigestValue>`,
    '</ds:Reference>',
    '</ds:SignedInfo>',
    `<ds:SignatureValue>${wrapBase64(m.signatureValue, m.eol, true)}</ds:SignatureValue>`,
    '<ds:KeyInfo>',
    '<ds:X509Data>',
    `<ds:X509Certificate>${wrapBase64(m.certificate, m.eol, true)}</ds:X509Certificate>`,
    '</ds:X509Data>',
    '</ds:KeyInfo>',
    '</ds:Signature>',
  ];
  return lines.join(m.eol);
}

/** Santuario: base64 longer than one 76-character line goes between line breaks. */
function wrapBase64(bytes: Uint8Array, eol: LineEnding, ownLines: boolean): string {
  const b64 = toBase64(bytes);
  const wrapped = (b64.match(/.{1,76}/g) ?? []).join(eol);
  return ownLines && b64.length > 76 ? `${eol}${wrapped}${eol}` : wrapped;
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;' })[ch] as string);
}
