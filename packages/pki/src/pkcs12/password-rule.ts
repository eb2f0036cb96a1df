/**
 * The national key-file password rule: Latin lower-case and upper-case letters and digits, at least 6
 * characters. Other printable ASCII characters (!, #, … ) are allowed on top, since they only add
 * strength. Non-ASCII characters (Cyrillic, Kazakh letters, spaces) are refused: key files travel
 * between tools that turn a password into bytes differently (UTF-8 for PBES2, UTF-16 for PKCS#12 PBE,
 * Latin-1 in old Java), and a password typed on another keyboard layout, at the ЦОН or on a
 * phone, must still be the same password. Page texts explaining a failure live in @qoltanba/i18n.
 */
import { QtError } from '@qoltanba/errors';

export type KeyPasswordFailure = 'length' | 'maxLength' | 'lower' | 'upper' | 'digit' | 'characters';

export interface KeyPasswordCheck {
  ok: boolean;
  /** Every part the password fails, in this order: length, maxLength, lower, upper, digit, characters. */
  failed: KeyPasswordFailure[];
}

export const keyPasswordRule = {
  minLength: 6,
  /** Bounds the work of key derivation; far beyond anything a person types. */
  maxLength: 128,
} as const;

export function checkKeyPassword(password: string): KeyPasswordCheck {
  const failed: KeyPasswordFailure[] = [];
  if (password.length < keyPasswordRule.minLength) failed.push('length');
  if (password.length > keyPasswordRule.maxLength) failed.push('maxLength');
  if (!/[a-z]/.test(password)) failed.push('lower');
  if (!/[A-Z]/.test(password)) failed.push('upper');
  if (!/[0-9]/.test(password)) failed.push('digit');
  if (!/^[\x21-\x7e]*$/.test(password)) failed.push('characters');
  return { ok: failed.length === 0, failed };
}

/** Throws QT_ERR_PASSWORD_RULE with `details.failed` when the password breaks the rule. */
export function assertKeyPassword(password: string): void {
  const { ok, failed } = checkKeyPassword(password);
  if (!ok) throw new QtError('QT_ERR_PASSWORD_RULE', undefined, { failed });
}
