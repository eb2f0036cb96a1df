/**
 * The one spelling of a certificate serial number wherever a person or a script reads it (CLI, API, portal,
 * verify, the operators' console): the certificate's own big-endian bytes in upper-case hex, leading zero
 * digits kept (a serial whose first byte is 0x0c starts "0C"), without DER's sign byte — exactly what
 * `openssl x509 -serial` prints, and the spelling CRL entries and OCSP certIDs already have here
 * (serialHexOf). What people type is read forgivingly: case, colons, spaces and leading zeros do not matter.
 */
import { QtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import { serialHexOf } from '../der/read.ts';

/** RFC 5280 §4.1.2.2: positive, at most 20 octets. */
const MAX_SERIAL_HEX_DIGITS = 40;

/** The display spelling of a serial given as its bytes (the DER INTEGER's content) or as hex in any spelling. */
export function formatSerial(serial: Bytes | string): string {
  if (typeof serial !== 'string') return serialHexOf(serial, 0, serial.length);
  const digits = hexDigits(serial);
  if (digits === undefined) throw notASerial(serial);
  // Zero is no valid serial (RFC 5280 wants it positive), but other CAs' certificates may carry it: show it.
  return spell(digits || '0');
}

/**
 * A serial number as typed ("0c:f2:83…", "CF283B…", "000cf283b…") in the display spelling. Anything that is
 * not a positive hex number of at most 20 bytes is QT_ERR_INPUT_INVALID (field "serial").
 */
export function parseSerial(text: string): string {
  const digits = hexDigits(text);
  if (!digits || digits.length > MAX_SERIAL_HEX_DIGITS) throw notASerial(text);
  return spell(digits);
}

/** The hex digits without separators and leading zeros ('' for zero), or undefined when it is not hex. */
function hexDigits(text: string): string | undefined {
  const clean = text.trim().replace(/[:\s]/g, '');
  return /^[0-9a-fA-F]+$/.test(clean) ? clean.replace(/^0+/, '') : undefined;
}

function spell(digits: string): string {
  const upper = digits.toUpperCase();
  return upper.length % 2 ? `0${upper}` : upper;
}

function notASerial(text: string): QtError {
  const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text;
  return new QtError('QT_ERR_INPUT_INVALID', `"${shown}" is not a certificate serial number (a positive hexadecimal number of at most 20 bytes, e.g. 0CF283BC…)`, { field: 'serial' });
}
