/**
 * Kazakhstan mobile numbers. People type them as "+7 701 123 45 67", "8 (701) 123-45-67", "87011234567"
 * or "7011234567"; the SMSC wants one form, E.164 "+77011234567". Kazakhstan shares country code 7 with
 * Russia: its numbers are the ones whose 10-digit national part starts with 7 (Russia uses 3, 4, 8, 9).
 * Within that, 71x/72x are geographic (landline) codes that cannot receive SMS, so only the mobile
 * ranges 70x and 74x–78x are accepted — a landline would only come back later as an UNDELIV receipt.
 */
import { QtError } from '@qoltanba/pki';

export type E164 = `+7${string}`;

const separators = /[\s\-().]/g;
const mobilePrefixes = ['70', '74', '75', '76', '77', '78'];

/** Returns "+77XXXXXXXXX" or throws QT_ERR_PHONE_INVALID (permanent: the same input will never become valid). */
export function normalizeKzPhone(input: string): E164 {
  const raw = String(input ?? '').replace(separators, '');
  let national: string | undefined;
  if (/^\+7\d{10}$/.test(raw)) national = raw.slice(2);
  else if (/^[78]\d{10}$/.test(raw)) national = raw.slice(1);
  else if (/^\d{10}$/.test(raw)) national = raw;
  if (!national || !mobilePrefixes.includes(national.slice(0, 2))) {
    throw new QtError('QT_ERR_PHONE_INVALID', undefined, { permanent: true, input: maskPhone(raw) });
  }
  return `+7${national}`;
}

export function isKzPhone(input: string): boolean {
  try {
    normalizeKzPhone(input);
    return true;
  } catch {
    return false;
  }
}

/** "+77011234567" → "+7******4567": enough to tell messages apart in logs, not enough to identify a person. */
export function maskPhone(phone: string): string {
  if (phone.length <= 4) return '*'.repeat(phone.length);
  const head = phone.startsWith('+') ? phone.slice(0, 2) : '';
  return head + '*'.repeat(phone.length - head.length - 4) + phone.slice(-4);
}
