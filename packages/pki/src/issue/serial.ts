/**
 * Certificate serial numbers: 16 random bytes (128 bits, well above RFC 5280 / CA/B Forum's 64),
 * positive and exactly 16 octets in DER — top bit cleared so no sign byte is needed, first byte
 * non-zero so DER does not shorten it.
 */
import { randomBytes } from '../crypto/index.ts';
import type { Bytes } from '../encoding.ts';

export const SERIAL_BYTES = 16;

export function generateSerial(): Bytes {
  for (;;) {
    const serial = randomBytes(SERIAL_BYTES);
    serial[0] = (serial[0] as number) & 0x7f;
    // One draw in 128 starts with zero; draw again rather than bias the first byte.
    if (serial[0] !== 0) return serial;
  }
}
