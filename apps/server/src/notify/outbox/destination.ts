/**
 * Destinations are kept hashed next to the message (plus a masked form for operators): enough to match an
 * SMS receipt to a send whose outcome a crash hid, without a second copy of the number in clear.
 */
import { createHash } from 'node:crypto';

/** SHA-256 of an E.164 number ("+77011234567") or a lower-cased e-mail address. */
export function destinationHash(destination: string): Buffer {
  return createHash('sha256').update(destination.startsWith('+') ? destination : destination.toLowerCase()).digest();
}

/** SMSCs report the recipient as digits ("77011234567"); ours are E.164. */
export function receiptRecipientHash(recipient: string | undefined): Buffer | null {
  if (!recipient) return null;
  const digits = recipient.replace(/^\+/, '');
  return /^\d{8,15}$/.test(digits) ? destinationHash(`+${digits}`) : null;
}
