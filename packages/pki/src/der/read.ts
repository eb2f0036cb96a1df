/**
 * A minimal DER TLV reader: it only finds where each element starts and ends, so a million-entry CRL can be
 * walked without building an object per node. Hand-written because the tree parsers (asn1js/pkijs,
 * @peculiar/asn1-schema) materialise every element and pkijs refuses CRLs past ~1 400 entries with its
 * default limits. Definite lengths of up to 4 bytes only, low tag numbers only — which is all DER X.509 uses.
 * OCSP and path validation use it too, to slice the exact signed bytes (tbs) out of a structure.
 */
import { QtError, isQtError, type QtErrorCode } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  enumerated: 0x0a,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Context-specific tag [n], constructed (EXPLICIT or IMPLICIT SEQUENCE) or primitive. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One element: its tag, where its content starts and where the whole element ends (exclusive). */
export interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

const syntaxCodes: ReadonlySet<QtErrorCode> = new Set(['QT_ERR_DER_MALFORMED', 'QT_ERR_PEM_MALFORMED', 'QT_ERR_BASE64_MALFORMED']);

/**
 * Runs a reader; syntax errors (DER, PEM, base64, or any exception a parsing library throws) become `code`
 * with "<what> is malformed: <why>", so callers see one precise code per kind of input.
 */
export function readingAs<T>(code: QtErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isQtError(e) && !syntaxCodes.has(e.code)) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new QtError(code, `${what} is malformed: ${why}`, undefined, { cause: e });
  }
}

function malformed(message: string, offset: number): QtError {
  return new QtError('QT_ERR_DER_MALFORMED', `${message} at byte ${offset}`, { offset });
}

/** Reads the element at `offset`, which must end at or before `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw malformed('Truncated element header', offset);
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw malformed('High tag numbers are not used in X.509', offset);
  let first = buf[offset + 1] as number;
  let contentStart = offset + 2;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw malformed('Indefinite length is not DER', offset);
    if (n > 4) throw malformed('Length field longer than 4 bytes', offset);
    if (contentStart + n > limit) throw malformed('Truncated length field', offset);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[contentStart + i] as number);
    first = buf[contentStart] as number;
    if (first === 0 || (n === 1 && length < 0x80)) throw malformed('Length is not minimally encoded', offset);
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > limit) throw malformed('Element runs past its container', offset);
  return { tag, start: offset, contentStart, end };
}

/** Reads the element at `offset` and checks its tag. */
export function expectTlv(buf: Uint8Array, offset: number, limit: number, tag: number, what: string): Tlv {
  const t = readTlv(buf, offset, limit);
  if (t.tag !== tag) {
    throw malformed(`Expected ${what} (tag 0x${tag.toString(16)}), found tag 0x${t.tag.toString(16)}`, offset);
  }
  return t;
}

/** The direct children of a constructed element (for small structures; large lists are walked in place). */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const t = readTlv(buf, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Reads a whole buffer that must hold exactly one element. */
export function readWhole(buf: Uint8Array, tag: number, what: string): Tlv {
  const t = expectTlv(buf, 0, buf.length, tag, what);
  if (t.end !== buf.length) throw malformed(`${buf.length - t.end} trailing bytes after ${what}`, t.end);
  return t;
}

export function contentOf(buf: Bytes, t: Tlv): Bytes {
  return buf.subarray(t.contentStart, t.end);
}

export function elementOf(buf: Bytes, t: Tlv): Bytes {
  return buf.subarray(t.start, t.end);
}

/** A small non-negative INTEGER (version, CRL number, enumerations) as a bigint. */
export function readUnsigned(buf: Uint8Array, t: Tlv): bigint {
  if (t.end === t.contentStart) throw malformed('Empty INTEGER', t.start);
  if ((buf[t.contentStart] as number) & 0x80) throw malformed('Negative number where none is allowed', t.start);
  let v = 0n;
  for (let i = t.contentStart; i < t.end; i++) v = (v << 8n) | BigInt(buf[i] as number);
  return v;
}

const HEX = '0123456789ABCDEF';

/**
 * The serial number as upper-case, byte-aligned hex without leading zero bytes ("00" for zero), as OpenSSL
 * prints it. This is the one spelling
 * used everywhere (CRL entries, OCSP certIDs, verdicts), so serials compare as plain strings.
 */
export function serialHexOf(buf: Uint8Array, start: number, end: number): string {
  let i = start;
  while (i < end - 1 && buf[i] === 0) i++;
  let s = '';
  for (; i < end; i++) {
    const b = buf[i] as number;
    s += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return s;
}

function digits(buf: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = (buf[at + i] as number) - 0x30;
    if (c < 0 || c > 9) throw malformed('Non-digit in a time value', at + i);
    v = v * 10 + c;
  }
  return v;
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSS[.fff]Z), the only forms RFC 5280 allows. */
export function readTime(buf: Uint8Array, t: Tlv): Date {
  const at = t.contentStart;
  const len = t.end - at;
  let year: number;
  let p: number;
  if (t.tag === TAG.utcTime && len === 13) {
    const yy = digits(buf, at, 2);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    p = at + 2;
  } else if (t.tag === TAG.generalizedTime && len >= 15) {
    year = digits(buf, at, 4);
    p = at + 4;
  } else {
    throw malformed('Expected a UTCTime or GeneralizedTime', t.start);
  }
  if (buf[t.end - 1] !== 0x5a) throw malformed('Time is not in UTC (no trailing Z)', t.start);
  const month = digits(buf, p, 2);
  const day = digits(buf, p + 2, 2);
  const hour = digits(buf, p + 4, 2);
  const minute = digits(buf, p + 6, 2);
  const second = digits(buf, p + 8, 2);
  let millis = 0;
  const fracStart = p + 10;
  if (fracStart < t.end - 1) {
    if (buf[fracStart] !== 0x2e) throw malformed('Malformed fractional seconds', fracStart);
    const frac = buf.subarray(fracStart + 1, t.end - 1);
    millis = Math.floor(digits(frac, 0, Math.min(frac.length, 3)) * 10 ** (3 - Math.min(frac.length, 3)));
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw malformed('Time value out of range', t.start);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
}

/** OBJECT IDENTIFIER content → dotted string. Arcs beyond 2^53 (UUID OIDs, 2.25.…) are read exactly. */
export function readOid(buf: Uint8Array, t: Tlv): string {
  if (t.tag !== TAG.oid || t.end === t.contentStart) throw malformed('Expected an OBJECT IDENTIFIER', t.start);
  if ((buf[t.end - 1] as number) & 0x80) throw malformed('Truncated OBJECT IDENTIFIER', t.start);
  let text = '';
  let v = 0;
  let big: bigint | undefined;
  for (let i = t.contentStart; i < t.end; i++) {
    const b = buf[i] as number;
    if (big === undefined && v >= 2 ** 45) big = BigInt(v);
    if (big !== undefined) big = big * 128n + BigInt(b & 0x7f);
    else v = v * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (text === '') {
      // The first sub-identifier carries two arcs: 40·X + Y, with X = 2 for everything from 80 up.
      if (big !== undefined) text = `2.${big - 80n}`;
      else text = v < 40 ? `0.${v}` : v < 80 ? `1.${v - 40}` : `2.${v - 80}`;
    } else {
      text += `.${big ?? v}`;
    }
    v = 0;
    big = undefined;
  }
  return text;
}

/** Universal types that only exist in primitive form (asn1js refuses their constructed encodings too). */
const PRIMITIVE_ONLY = new Set([1, 2, 5, 6, 9, 13, 14, 23, 24]);

/**
 * Checks every universal value inside an element the reader does not interpret (algorithm parameters,
 * names inside extensions, name values): BOOLEAN, INTEGER, NULL, OBJECT IDENTIFIER, BIT STRING, times
 * and UniversalString must be well formed, primitive-only types primitive, and the reserved tag 15
 * absent — what a tree parser refuses while building its nodes, so that not building the tree does
 * not mean accepting what it refused.
 */
export function assertWellFormedValues(buf: Uint8Array, t: Tlv, depth = 0): void {
  if (depth > 64) throw malformed('Nested too deeply', t.start);
  const tag = t.tag;
  const length = t.end - t.contentStart;
  const constructed = (tag & 0x20) !== 0;
  if ((tag & 0xc0) === 0) {
    const number = tag & 0x1f;
    if (number === 15) throw malformed('[UNIVERSAL 15] is reserved', t.start);
    if (number === 0) throw malformed('End-of-contents has no place in DER', t.start);
    if (!constructed && (number === 16 || number === 17)) throw malformed('A SEQUENCE or SET must be constructed', t.start);
    if (constructed && PRIMITIVE_ONLY.has(number)) throw malformed('Constructed encoding of a primitive type', t.start);
    if (!constructed) {
      if (number === 1 && length !== 1) throw malformed('A BOOLEAN must be one octet', t.start);
      if (number === 2 && length === 0) throw malformed('Empty INTEGER', t.start);
      if (number === 3 && (length === 0 || (buf[t.contentStart] as number) > 7)) throw malformed('Malformed BIT STRING', t.start);
      if (number === 5 && length !== 0) throw malformed('A NULL must be empty', t.start);
      if (number === 6) readOid(buf, t);
      if (number === 23 || number === 24) readTime(buf, t);
      if (number === 28 && length % 4 !== 0) throw malformed('A UniversalString must be whole 4-octet characters', t.start);
    }
  }
  if (constructed) for (const child of childrenOf(buf, t)) assertWellFormedValues(buf, child, depth + 1);
}
