/**
 * The one spelling of a certificate serial number wherever a person or a script reads it (CLI, API, portal,
 * verify, the operators' console): the certificate's own big-endian bytes in upper-case hex, leading zero
 * digits kept (a serial whose first byte is 0x0c starts "0C"), without DER's sign byte — exactly what
 * `openssl x509 -serial` prints, and the spelling CRL entries and OCSP certIDs already have here
 * (serialHexOf). What people type is read forgivingly: case, colons, spaces and leading zeros do not matter.
 */
import { QtError } from '../errors.ts';
import type { Bytes } from '../encoding.ts';
import { serialHexOf } from '../crl/der-read.ts';

/** RFC 5280 §4.1.2.2: positive, at most 20 octets. */
const MAX_SERIAL_HEX_DIGITS = 40;

/** The display spelling of a serial given as its bytes (the DER INTEGER's content) or as hex in any spelling. */
export function formatSerial(serial: Bytes | string): string {
  if (typeof serial !== 'string') return serialHexOf(serial, 0, serial.length);
  return parseSerial(serial);
}

/**
 * A serial number as typed ("0c:f2:83…", "CF283B…", "000cf283b…") in the display spelling. Anything that is
 * not a positive hex number of at most 20 bytes is QT_ERR_INPUT_INVALID (field "serial").
 */
export function parseSerial(text: string): string {
  const digits = text.trim().replace(/[:\s]/g, '').replace(/^0+/, '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(digits) || digits.length > MAX_SERIAL_HEX_DIGITS) {
    const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text;
    throw new QtError('QT_ERR_INPUT_INVALID', `"${shown}" is not a certificate serial number (a positive hexadecimal number of at most 20 bytes, e.g. 0CF283BC…)`, { field: 'serial' });
  }
  const upper = digits.toUpperCase();
  return upper.length % 2 ? `0${upper}` : upper;
}
