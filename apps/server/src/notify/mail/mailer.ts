/** The e-mail interface of the notifier: reminders in kk/ru/en, whatever carries them (SMTP, or the dev sink). */
import { QtError } from '@qoltanba/pki';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** Caller's id (outbox row id); logged and sent as a header so bounces can be matched. */
  readonly reference?: string;
}

export interface MailSendResult {
  /** The Message-ID header of the sent mail. */
  readonly messageId: string;
  /** The server's final reply ("250 2.0.0 Ok: queued as …"). */
  readonly response: string;
}

export interface Mailer {
  /** Resolves once the next hop accepted the message; rejects with a QtError whose details.permanent says whether to retry. */
  send(message: MailMessage): Promise<MailSendResult>;
  close(): Promise<void>;
}

// Deliberately plain: one @, a dot in the domain, no spaces or angle brackets. Deliverability is the
// mail server's judgement (a 550 is a permanent failure anyway); this only stops obvious garbage and header tricks.
const plainAddress = /^[^\s@<>()",;:\\]+@[^\s@<>()",;:\\]+\.[^\s@<>()",;:\\]+$/;

export function checkEmailAddress(address: string): string {
  const a = String(address ?? '').trim();
  if (!plainAddress.test(a) || a.length > 254) {
    throw new QtError('QT_ERR_EMAIL_INVALID', undefined, { permanent: true, transport: 'smtp', to: maskEmail(a) });
  }
  return a;
}

/** "aigerim.n@mail.kz" → "a***@mail.kz". */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  return `${address[0]}***${address.slice(at)}`;
}
