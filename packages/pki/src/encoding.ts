/** Byte and text encodings shared by every module: PEM, base64, hex. No I/O. */
import { QtError } from '@qoltanba/errors';

export type Bytes = Uint8Array<ArrayBuffer>;

export function toBytes(data: ArrayBuffer | ArrayBufferView): Bytes {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const copy = new Uint8Array(data.byteLength);
  copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return copy;
}

/** A tight ArrayBuffer holding exactly these bytes (asn1 libraries want ArrayBuffers). */
export function toArrayBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  return toBytes(data).buffer;
}

export function utf8(text: string): Bytes {
  return new TextEncoder().encode(text) as Bytes;
}

export function fromUtf8(data: ArrayBuffer | ArrayBufferView): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(data);
}

const B64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

// Node's Buffer codes base64 natively (≈ 10× the string-building roads below, which stay for browsers, where there is no Buffer).
interface NodeBufferLike {
  from(b: ArrayBuffer, offset: number, length: number): { toString(encoding: 'base64'): string };
  from(text: string, encoding: 'base64'): Uint8Array;
}
const NodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer;

export function fromBase64(text: string): Bytes {
  const clean = text.replace(/\s+/g, '');
  if (!B64.test(clean) || clean.length % 4 === 1) throw new QtError('QT_ERR_BASE64_MALFORMED');
  // Node's decoder reads both alphabets; the copy gives the caller bytes of its own (a small Buffer is a view into a shared pool).
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(clean, 'base64'));
  const std = clean.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(std.padEnd(Math.ceil(std.length / 4) * 4, '='));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(data: ArrayBuffer | ArrayBufferView): string {
  // Node's own encoder over the caller's bytes (no copy).
  if (NodeBuffer) {
    return data instanceof ArrayBuffer ? NodeBuffer.from(data, 0, data.byteLength).toString('base64') : NodeBuffer.from(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength).toString('base64');
  }
  const bytes = toBytes(data);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function toBase64Url(data: ArrayBuffer | ArrayBufferView): string {
  return toBase64(data).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function toHex(data: ArrayBuffer | ArrayBufferView): string {
  const bytes = toBytes(data);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Bytes {
  const clean = hex.replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new QtError('QT_ERR_INPUT_INVALID', 'The text is not valid hexadecimal');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function concatBytes(...parts: ArrayLike<number>[]): Bytes {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function bytesEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export function toPem(label: string, der: ArrayBuffer | ArrayBufferView): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Bytes;
}

/** All PEM blocks in the text, in order. */
export function parsePemBlocks(text: string): PemBlock[] {
  const re = /-----BEGIN ([A-Z0-9 #]+)-----([\s\S]*?)-----END \1-----/g;
  const out: PemBlock[] = [];
  for (const m of text.matchAll(re)) {
    try {
      out.push({ label: m[1] as string, der: fromBase64(m[2] as string) });
    } catch {
      throw new QtError('QT_ERR_PEM_MALFORMED', `The PEM block "${m[1]}" has invalid base64`);
    }
  }
  return out;
}

/**
 * Holds a PEM block anywhere in it? OpenSSL often prints a preamble ("Bag Attributes", "subject=…") before
 * the block, so the marker is searched for, not expected at the start. DER never starts with text.
 */
export function isPem(data: ArrayBuffer | ArrayBufferView | string): boolean {
  if (typeof data === 'string') return data.includes('-----BEGIN ');
  const bytes = toBytes(data);
  if (bytes[0] === 0x30) return false;
  return fromUtf8(bytes).includes('-----BEGIN ');
}

/**
 * Accepts DER bytes, PEM text (first block, optionally of a given label) or bare base64 text and returns DER.
 * Files in the wild come in all three shapes (NCA publishes .cer as PEM or DER).
 */
export function derFrom(input: ArrayBuffer | ArrayBufferView | string, label?: string): Bytes {
  if (typeof input !== 'string' && !isPem(input)) {
    const bytes = toBytes(input);
    // DER always starts with a constructed SEQUENCE (0x30) for the structures we read.
    if (bytes[0] === 0x30) return bytes;
    const text = fromUtf8(bytes).trim();
    if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length > 0) return fromBase64(text);
    return bytes;
  }
  const text = typeof input === 'string' ? input : fromUtf8(toBytes(input));
  if (!isPem(text)) return fromBase64(text.trim());
  const blocks = parsePemBlocks(text);
  const block = label ? blocks.find((b) => b.label === label) : blocks[0];
  if (!block) throw new QtError('QT_ERR_PEM_MALFORMED', label ? `No "${label}" PEM block found` : 'No PEM block found');
  return block.der;
}
