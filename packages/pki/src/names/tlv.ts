/** One DER TLV with a single-byte tag, for the few places that assemble exact bytes by hand. */
import { concatBytes, type Bytes } from '../encoding.ts';

export function tlv(tag: number, content: Uint8Array): Bytes {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concatBytes([tag], length, content);
}
