/**
 * A strict DER framing check, run before asn1js sees the bytes. asn1js is a lenient BER reader: it lets
 * a child run past its parent's declared length and accepts indefinite and non-minimal lengths, so
 * a corrupted name or certificate could decode "successfully" into something other than what was
 * signed. No installed library checks DER framing strictly, hence these few lines.
 */
import { QtError } from '@qoltanba/errors';

const MAX_DEPTH = 64;

function fail(message: string, what: string): never {
  throw new QtError('QT_ERR_DER_MALFORMED', `The ${what} is not well-formed DER: ${message}`);
}

/** Reads one TLV at `pos` that must end by `end`; walks into constructed values. Returns the next position. */
function walk(der: Uint8Array, pos: number, end: number, depth: number, what: string): number {
  if (depth > MAX_DEPTH) fail('nested too deeply', what);
  if (pos >= end) fail('value missing', what);
  const first = der[pos++] as number;
  if ((first & 0x1f) === 0x1f) {
    // High tag number form: base-128 digits, the last without the top bit.
    do {
      if (pos >= end) fail('tag truncated', what);
    } while ((der[pos++] as number) & 0x80);
  }
  if (pos >= end) fail('length missing', what);
  let length = der[pos++] as number;
  if (length === 0x80) fail('indefinite length', what);
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4) fail('length too large', what);
    if (pos + count > end) fail('length truncated', what);
    if (der[pos] === 0) fail('length not minimal', what);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[pos++] as number);
    if (length < 0x80) fail('length not minimal', what);
  }
  const valueEnd = pos + length;
  if (valueEnd > end) fail('truncated', what);
  if (first & 0x20) {
    while (pos < valueEnd) pos = walk(der, pos, valueEnd, depth + 1, what);
  }
  return valueEnd;
}

/** Throws QT_ERR_DER_MALFORMED unless `der` is exactly one well-framed DER value. */
export function assertStrictDer(der: Uint8Array, what = 'data'): void {
  if (walk(der, 0, der.length, 0, what) !== der.length) fail('trailing bytes', what);
}
