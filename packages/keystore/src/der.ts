/**
 * Just enough DER for the two fixed structures this package builds or picks apart (the PBES2 envelope
 * of a key file, a certificate's issuer/subject/serial for PKCS#11 attributes). Kept local so the
 * keystore needs no ASN.1 library of its own; anything richer belongs in @qoltanba/pki.
 */
import { concatBytes, QtError, type Bytes } from '@qoltanba/pki';

function lengthOctets(length: number): Bytes {
  if (length < 0x80) return new Uint8Array([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return new Uint8Array([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Bytes {
  return concatBytes([tag], lengthOctets(content.length), content);
}

export const sequence = (...items: Uint8Array[]): Bytes => tlv(0x30, concatBytes(...items));
export const octetString = (bytes: Uint8Array): Bytes => tlv(0x04, bytes);
export const derNull = (): Bytes => new Uint8Array([0x05, 0x00]);

/** A non-negative INTEGER. */
export function integer(value: number): Bytes {
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) bytes.unshift(0);
  return tlv(0x02, new Uint8Array(bytes));
}

export function objectIdentifier(dotted: string): Bytes {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const [first = 0, second = 0, ...rest] = arcs;
  for (const arc of [first * 40 + second, ...rest]) {
    const base128: number[] = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) base128.unshift(0x80 | (n % 128));
    out.push(...base128);
  }
  return tlv(0x06, new Uint8Array(out));
}

export interface Element {
  tag: number;
  /** The whole element: tag, length and content. */
  der: Uint8Array;
  content: Uint8Array;
}

/** The element starting at `offset`; throws QT_ERR_DER_MALFORMED past the end or on long forms we never need. */
export function readElement(data: Uint8Array, offset = 0): Element {
  const tag = data[offset];
  let lengthByte = data[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new QtError('QT_ERR_DER_MALFORMED', 'Truncated DER element');
  let headerLength = 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new QtError('QT_ERR_DER_MALFORMED', 'Unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = data[offset + 2 + i];
      if (lengthByte === undefined) throw new QtError('QT_ERR_DER_MALFORMED', 'Truncated DER length');
      length = length * 256 + lengthByte;
    }
    headerLength += count;
  }
  const end = offset + headerLength + length;
  if (end > data.length) throw new QtError('QT_ERR_DER_MALFORMED', 'DER element runs past the end of the data');
  return { tag, der: data.subarray(offset, end), content: data.subarray(offset + headerLength, end) };
}

/** The elements inside a constructed element's content. */
export function children(content: Uint8Array): Element[] {
  const out: Element[] = [];
  for (let offset = 0; offset < content.length; ) {
    const element = readElement(content, offset);
    out.push(element);
    offset += element.der.length;
  }
  return out;
}
