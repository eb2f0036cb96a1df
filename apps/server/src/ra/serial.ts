/** Serial numbers as people type them (upper case, colons, leading zeros) to the table's spelling. */
import { QtError } from '@qoltanba/pki';

export function normalizeSerial(text: string): string {
  const hex = text.trim().toLowerCase().replace(/[:\s]/g, '').replace(/^0+/, '');
  // RFC 5280: positive, at most 20 octets.
  if (!/^[0-9a-f]{1,40}$/.test(hex)) {
    throw new QtError('QT_ERR_INPUT_INVALID', `"${text.slice(0, 100)}" is not a certificate serial number (hexadecimal, at most 20 bytes)`, { field: 'serial' });
  }
  return hex;
}
