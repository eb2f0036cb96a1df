/**
 * Serial numbers between people and the certificates table. The table keeps them lower-case without leading
 * zero digits (its CHECK constraint, and the indexed key every lookup uses); people and scripts see the one
 * display spelling of @qoltanba/pki's formatSerial (upper case, the certificate's own bytes, "0C…" kept).
 */
import { formatSerial, parseSerial } from '@qoltanba/pki';

/** A serial as typed (any case, colons, leading zeros) → the table's spelling. Not hex: QT_ERR_INPUT_INVALID. */
export function normalizeSerial(text: string): string {
  return parseSerial(text).toLowerCase().replace(/^0+/, '');
}

/** The table's spelling → the display spelling. */
export function displaySerial(stored: string): string {
  return formatSerial(stored);
}
