/**
 * Errors as a citizen reads them: what happened and what to do, in their language, with the stable code
 * for support. Pages get an HTML page; the pages' scripts get the same two sentences as JSON.
 */
import type { Translator } from '@qoltanba/i18n';
import { formatDate } from '@qoltanba/i18n';
import type { QtError, QtErrorCode } from '@qoltanba/pki';

export interface Explained {
  what: string;
  todo: string;
  /** Point to remote issuance (the key cannot be re-issued any more). */
  remote: boolean;
}

type Key = [what: string, todo: string, remote?: boolean];

const byCode: Partial<Record<QtErrorCode, Key>> = {
  QT_ERR_NOT_FOUND: ['error.notFound', 'error.notFound.do'],
  QT_ERR_APPLICATION_NOT_FOUND: ['error.notFound', 'error.notFound.do'],
  QT_ERR_CERT_NOT_FOUND: ['error.notFound', 'error.notFound.do'],
  QT_ERR_CA_NOT_FOUND: ['error.notFound', 'error.notFound.do'],
  QT_ERR_CSRF: ['error.csrf', 'error.csrf.do'],
  QT_ERR_RATE_LIMITED: ['error.rate', 'error.rate.do'],
  QT_ERR_CHALLENGE_INVALID: ['error.challenge', 'error.challenge.do'],
  QT_ERR_CHAIN_INCOMPLETE: ['error.foreignCa', 'error.foreignCa.do'],
  QT_ERR_CHAIN_INVALID: ['error.foreignCa', 'error.foreignCa.do'],
  QT_ERR_CERT_EXPIRED: ['error.expired', 'error.remote.do', true],
  QT_ERR_CERT_NOT_YET_VALID: ['error.keyUsage', 'error.keyUsage.do'],
  QT_ERR_CERT_REVOKED: ['error.revoked', 'error.remote.do', true],
  QT_ERR_CERT_ON_HOLD: ['error.onHold', 'error.onHold.do'],
  QT_ERR_KEY_USAGE: ['error.keyUsage', 'error.keyUsage.do'],
  QT_ERR_SIGNATURE_INVALID: ['error.signature', 'error.signature.do'],
  QT_ERR_CMS_MALFORMED: ['error.signature', 'error.signature.do'],
  QT_ERR_CMS_NO_CONTENT: ['error.signature', 'error.signature.do'],
  QT_ERR_CMS_DIGEST_MISMATCH: ['error.signature', 'error.signature.do'],
  QT_ERR_CMS_SIGNER_NOT_FOUND: ['error.signature', 'error.signature.do'],
  QT_ERR_CMS_SIGNER_CERT_MISMATCH: ['error.signature', 'error.signature.do'],
  QT_ERR_PEM_MALFORMED: ['error.signature', 'error.signature.do'],
  QT_ERR_BASE64_MALFORMED: ['error.signature', 'error.signature.do'],
  QT_ERR_DER_MALFORMED: ['error.signature', 'error.signature.do'],
  QT_ERR_SIGNER_NOT_ALLOWED: ['error.otherPerson', 'error.otherPerson.do'],
  QT_ERR_REVOCATION_UNKNOWN: ['error.revocationUnknown', 'error.generic.do'],
  QT_ERR_OTP_INVALID: ['error.otpInvalid', 'error.otpInvalid.do'],
  QT_ERR_OTP_EXPIRED: ['error.otpExpired', 'error.otpExpired.do'],
  QT_ERR_OTP_ATTEMPTS: ['error.otpAttempts', 'error.otpAttempts.do'],
  QT_ERR_OTP_SEND_LIMIT: ['error.otpSendLimit', 'error.otpSendLimit.do'],
  QT_ERR_PHONE_NOT_REGISTERED: ['error.phone', 'error.phone.do'],
  QT_ERR_APPLICATION_STATE: ['error.applicationState', 'error.applicationState.do'],
  QT_ERR_APPLICATION_NOT_APPROVED: ['error.applicationState', 'error.applicationState.do'],
  QT_ERR_APPLICATION_LIMIT: ['error.applicationLimit', 'error.applicationLimit.do'],
  QT_ERR_REISSUE_NOT_ALLOWED: ['error.reissueNotAllowed', 'error.remote.do', true],
  QT_ERR_INPUT_INVALID: ['error.input', 'error.input.do'],
  QT_ERR_EMAIL_INVALID: ['error.email', 'error.input.do'],
  QT_ERR_SMS_UNAVAILABLE: ['error.sms', 'error.sms.do'],
  QT_ERR_SMS_REJECTED: ['error.sms', 'error.sms.do'],
  QT_ERR_KEY_REUSED: ['error.keyReused', 'error.keyReused.do'],
  QT_ERR_KEY_COMPROMISED: ['error.keyReused', 'error.keyReused.do'],
  QT_ERR_CSR_MALFORMED: ['error.keyReused', 'error.keyReused.do'],
  QT_ERR_CSR_SIGNATURE_INVALID: ['error.keyReused', 'error.keyReused.do'],
  QT_ERR_KEY_WEAK: ['error.keyReused', 'error.keyReused.do'],
};

/**
 * Features that add pages to the portal (remote issuance, the operators' console) explain their own codes
 * from their own catalogs; they register here at import time, so every portal error page and JSON error
 * speaks the same way whichever route raised the code.
 */
const added = new Map<QtErrorCode, (e: QtError, locale: Translator['locale']) => Explained>();

export function addExplanations(entries: Partial<Record<QtErrorCode, (e: QtError, locale: Translator['locale']) => Explained>>): void {
  for (const [code, fn] of Object.entries(entries)) if (fn) added.set(code as QtErrorCode, fn);
}

export function explain(e: QtError, t: Translator): Explained {
  const own = added.get(e.code);
  if (own) return own(e, t.locale);
  const [whatKey, todoKey, remote] = byCode[e.code] ?? ['error.generic', 'error.generic.do'];
  let what = t.t(whatKey);
  const d = e.details ?? {};
  if (e.code === 'QT_ERR_CERT_EXPIRED' && typeof d.notAfter === 'string') what = t.t('error.expiredOn', { date: formatDate(t.locale, new Date(d.notAfter)) });
  if (e.code === 'QT_ERR_CERT_REVOKED' && typeof d.revokedAt === 'string') what = t.t('error.revokedOn', { date: formatDate(t.locale, new Date(d.revokedAt)) });
  if (e.code === 'QT_ERR_OTP_INVALID' && typeof d.attemptsLeft === 'number') what = `${what} ${t.t('common.attemptsLeft', { count: d.attemptsLeft })}`;
  return { what, todo: t.t(todoKey), remote: remote ?? false };
}
