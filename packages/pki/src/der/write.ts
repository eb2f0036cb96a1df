/**
 * A minimal DER writer. Hand-written (like read.ts) because a CRL's entries must be encoded straight into
 * byte chunks — the generator in @peculiar/x509 re-encodes the growing list and takes 42 s for 20 000 entries.
 * Small pieces (headers, extensions) are built with the helpers below; the entry list goes through ByteSink.
 */
import { QtError } from '@qoltanba/errors';
import { concatBytes, fromHex, type Bytes } from '../encoding.ts';
import { TAG } from './read.ts';

/** Bytes a length field takes: 1 up to 127, then 0x8n plus n bytes (n ≤ 4). */
function lengthSize(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  if (length <= 0xffffffff) return 5;
  throw new QtError('QT_ERR_TOO_LARGE', 'A DER element cannot be longer than 4 GiB');
}

/** Writes a tag and length header into `out` at `at`; returns the offset after it. */
function writeHeader(out: Uint8Array, at: number, tag: number, length: number): number {
  out[at++] = tag;
  const size = lengthSize(length);
  if (size === 1) {
    out[at++] = length;
    return at;
  }
  out[at++] = 0x80 | (size - 1);
  for (let shift = (size - 2) * 8; shift >= 0; shift -= 8) out[at++] = Math.floor(length / 2 ** shift) & 0xff;
  return at;
}

export function header(tag: number, length: number): Bytes {
  const out = new Uint8Array(1 + lengthSize(length));
  writeHeader(out, 0, tag, length);
  return out;
}

export function tlv(tag: number, ...content: Uint8Array[]): Bytes {
  const length = content.reduce((n, c) => n + c.length, 0);
  return concatBytes(header(tag, length), ...content);
}

export const sequence = (...content: Uint8Array[]): Bytes => tlv(TAG.sequence, ...content);

/** Minimal two's-complement content of a non-negative integer. */
function unsignedContent(magnitude: Uint8Array): Bytes {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  if (trimmed.length === 0) return new Uint8Array([0]);
  return (trimmed[0] as number) & 0x80 ? concatBytes([0], trimmed) : concatBytes(trimmed);
}

export function integer(value: bigint | number): Bytes {
  let v = BigInt(value);
  if (v < 0n) throw new QtError('QT_ERR_INPUT_INVALID', 'Only non-negative integers are written here');
  const hex = v.toString(16);
  return tlv(TAG.integer, unsignedContent(fromHex(hex.length % 2 ? `0${hex}` : hex)));
}

/** An INTEGER from its unsigned big-endian magnitude (certificate serials). */
export function integerFromMagnitude(magnitude: Uint8Array): Bytes {
  return tlv(TAG.integer, unsignedContent(magnitude));
}

export function enumerated(value: number): Bytes {
  return tlv(TAG.enumerated, unsignedContent(new Uint8Array([value])));
}

export function boolean(value: boolean): Bytes {
  return tlv(TAG.boolean, new Uint8Array([value ? 0xff : 0]));
}

export function octetString(content: Uint8Array): Bytes {
  return tlv(TAG.octetString, content);
}

/** Appends one sub-identifier in base 128; bigints for arcs past 2^53 (UUID OIDs under 2.25). */
function base128(v: number | bigint, out: number[]): void {
  const chunk: number[] = [];
  if (typeof v === 'number') {
    chunk.push(v & 0x7f);
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) chunk.push((v & 0x7f) | 0x80);
  } else {
    chunk.push(Number(v & 0x7fn));
    for (v >>= 7n; v > 0n; v >>= 7n) chunk.push(Number(v & 0x7fn) | 0x80);
  }
  for (let i = chunk.length - 1; i >= 0; i--) out.push(chunk[i] as number);
}

// Certificates, OCSP responses and names repeat a few dozen OIDs; issuance encoded each anew (≈ 0.1 ms of CPU per
// certificate, issue 16's profile). Each caller gets its own copy, so nobody can change the cached bytes.
const oidCache = new Map<string, Bytes>();
const OID_CACHE_LIMIT = 1024;

export function objectIdentifier(dotted: string): Bytes {
  let der = oidCache.get(dotted);
  if (!der) {
    der = encodeObjectIdentifier(dotted);
    if (oidCache.size < OID_CACHE_LIMIT) oidCache.set(dotted, der);
  }
  return der.slice();
}

function encodeObjectIdentifier(dotted: string): Bytes {
  const parts = dotted.split('.');
  if (parts.some((a) => !/^\d+$/.test(a)) || parts.length < 2) throw new QtError('QT_ERR_INPUT_INVALID', `"${dotted}" is not an OID`);
  const arc = (a: string): number | bigint => {
    const n = Number(a);
    return Number.isSafeInteger(n) ? n : BigInt(a);
  };
  const x = arc(parts[0] as string);
  const y = arc(parts[1] as string);
  const bytes: number[] = [];
  const head = typeof x === 'number' && typeof y === 'number' ? x * 40 + y : undefined;
  base128(head !== undefined && Number.isSafeInteger(head) ? head : BigInt(x) * 40n + BigInt(y), bytes);
  for (let i = 2; i < parts.length; i++) base128(arc(parts[i] as string), bytes);
  return tlv(TAG.oid, new Uint8Array(bytes));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function extension(extnId: string, critical: boolean, valueDer: Uint8Array): Bytes {
  return critical
    ? sequence(objectIdentifier(extnId), boolean(true), octetString(valueDer))
    : sequence(objectIdentifier(extnId), octetString(valueDer));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** GeneralizedTime, whole seconds (RFC 5280 §4.1.2.5.2 forbids fractions). */
export function generalizedTime(date: Date): Bytes {
  const y = date.getUTCFullYear();
  const text = `${String(y).padStart(4, '0')}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
  return tlv(TAG.generalizedTime, new TextEncoder().encode(text));
}

/** RFC 5280 §4.1.2.5: UTCTime for 1950 through 2049, GeneralizedTime otherwise. */
export function needsGeneralizedTime(date: Date): boolean {
  const y = date.getUTCFullYear();
  return y < 1950 || y >= 2050;
}

export function time(date: Date): Bytes {
  if (needsGeneralizedTime(date)) return generalizedTime(date);
  const y = date.getUTCFullYear();
  const text = `${pad2(y % 100)}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
  return tlv(TAG.utcTime, new TextEncoder().encode(text));
}

export function checkDate(date: unknown, what: string): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new QtError('QT_ERR_INPUT_INVALID', `${what} must be a valid Date`);
  }
  return date;
}

/**
 * An append-only byte sink of fixed-size chunks: the CRL entry list is written here with no per-entry
 * allocation, and memory grows with the output only.
 */
export class ByteSink {
  /** Chunks start small (most CRLs are) and double up to 8 MiB, so big lists cost few allocations. */
  private nextChunkSize = 64 * 1024;
  private readonly full: Uint8Array[] = [];
  private chunk = new Uint8Array(0);
  private pos = 0;
  private written = 0;

  get length(): number {
    return this.written + this.pos;
  }

  /** Room for `n` more bytes in the current chunk; returns the chunk and the offset to write at. */
  reserve(n: number): { buf: Uint8Array; at: number } {
    if (this.pos + n > this.chunk.length) {
      this.full.push(this.chunk.subarray(0, this.pos));
      this.written += this.pos;
      this.chunk = new Uint8Array(Math.max(this.nextChunkSize, n));
      this.nextChunkSize = Math.min(this.nextChunkSize * 2, 8 * 1024 * 1024);
      this.pos = 0;
    }
    return { buf: this.chunk, at: this.pos };
  }

  /** Marks `n` reserved bytes as written. */
  commit(n: number): void {
    this.pos += n;
  }

  /** Copies everything written into `out` at `at`. */
  copyTo(out: Uint8Array, at: number): void {
    for (const c of this.full) {
      out.set(c, at);
      at += c.length;
    }
    out.set(this.chunk.subarray(0, this.pos), at);
  }
}
