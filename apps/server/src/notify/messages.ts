/**
 * What the notifier says, in kk / ru / en side by side (formal Kazakh, "Сіз"; DESIGN §7 vocabulary).
 *
 * SMS texts are UCS-2 (Cyrillic), 70 characters for one SMS, 67 per part after that; every part is billed,
 * so reminders are written to fit two parts with a short portal address, and one-time codes one part,
 * code first, so the phone's notification preview shows it. Dates in SMS are dd.mm.yyyy in Almaty time.
 * People without a language preference get one combined kk+ru text (DESIGN: default kk+ru), built from the
 * same catalog fragments so the two languages never drift apart.
 */
import { createTranslator, defineMessages, escapeHtml, formatDate, mergeCatalogs, words, type Locale } from '@qoltanba/i18n';

export type SmsLanguage = Locale | 'kk+ru';
/** Which keys expire: both (AUTH and SIGN, issued together) or one of them. */
export type KeyKind = 'both' | 'sign' | 'auth';
export type OneTimeCodePurpose = 'login' | 'reissue' | 'application' | 'revoke' | 'phone' | 'remote';

export const notifyMessages = mergeCatalogs(
  words,
  defineMessages({
    // Key kinds, in the case each sentence below needs (ru genitive, kk genitive).
    'notify.kind.both': { kk: 'ЭЦҚ кілттерінің', ru: 'ключей ЭЦП', en: 'EDS keys' },
    'notify.kind.sign': { kk: 'қол қоюға арналған ЭЦҚ кілтінің', ru: 'ключа ЭЦП для подписи', en: 'EDS signing key' },
    'notify.kind.auth': { kk: 'кіруге арналған ЭЦҚ кілтінің', ru: 'ключа ЭЦП для входа', en: 'EDS sign-in key' },
    // The combined SMS is tight: "ЭЦҚ мерзімі" / "срок ЭЦП" is how people say it when both keys expire.
    'notify.kindShort.both': { kk: 'ЭЦҚ', ru: 'ЭЦП', en: 'EDS' },

    'sms.expiry': {
      kk: '{date} {kind} мерзімі аяқталады. Жеке кабинетте қайта шығарыңыз: {portal}',
      ru: '{date} истекает срок {kind}. Перевыпуск — в Личном кабинете: {portal}',
      en: 'Validity of your {kind} ends on {date}. Re-issue in your Personal account: {portal}',
    },
    // Fragments of the combined text: "<date> <kk> / <ru>. <kk> / <ru>: <portal>".
    'sms.expiry.combined.expires': { kk: '{kind} мерзімі бітеді', ru: 'истекает срок {kind}', en: 'validity of {kind} ends' },
    'sms.expiry.combined.action': { kk: 'Жеке кабинетте қайта шығарыңыз', ru: 'перевыпуск в Личном кабинете', en: 're-issue in your Personal account' },

    // Code first (the notification preview shows it), then its lifetime, the warning, and what it is for.
    'sms.otp': {
      kk: 'Код: {code}, {minutes} минутқа. Ешкімге айтпаңыз. {purpose}.',
      ru: 'Код: {code} на {minutes} мин. Никому не сообщайте. {purpose}.',
      en: 'Code: {code}, valid {minutes} min. Do not share it. {purpose}.',
    },
    'sms.otp.purpose.login': { kk: 'Жеке кабинетке кіру', ru: 'Вход в Личный кабинет', en: 'Personal account sign-in' },
    'sms.otp.purpose.reissue': { kk: 'ЭЦҚ кілттерін қайта шығару', ru: 'Перевыпуск ключей ЭЦП', en: 'Re-issue of EDS keys' },
    'sms.otp.purpose.application': { kk: 'Өтінім беру', ru: 'Подача заявки', en: 'Application' },
    'sms.otp.purpose.revoke': { kk: 'ЭЦҚ-ны кері қайтарып алу', ru: 'Отзыв ключей ЭЦП', en: 'Revocation of EDS keys' },
    'sms.otp.purpose.phone': { kk: 'Нөмірді растау', ru: 'Подтверждение номера', en: 'Phone number confirmation' },
    'sms.otp.purpose.remote': { kk: 'ЭЦҚ-ны қашықтан алу', ru: 'Получение ЭЦП удалённо', en: 'Get EDS remotely' },

    'email.expiry.subject': {
      kk: '{kind} мерзімі {date} аяқталады',
      ru: 'Срок действия {kind} истекает {date}',
      en: 'Validity of your {kind} ends on {date}',
    },
    'email.greeting.named': { kk: 'Сәлеметсіз бе, {name}!', ru: 'Здравствуйте, {name}!', en: 'Dear {name},' },
    'email.greeting': { kk: 'Сәлеметсіз бе!', ru: 'Здравствуйте!', en: 'Hello,' },
    'email.expiry.body': {
      kk: '{kind} мерзімі {date} аяқталады ({days} қалды).',
      ru: 'Срок действия {kind} истекает {date} (осталось {days}).',
      en: 'Validity of your {kind} ends on {date} ({days} left).',
    },
    'email.expiry.action': {
      kk: 'Құжаттарға қол қоюды және қызметтерге кіруді жалғастыру үшін кілттерді Жеке кабинетте қайта шығарыңыз:',
      ru: 'Чтобы и дальше подписывать документы и входить в сервисы, перевыпустите ключи в Личном кабинете:',
      en: 'To keep signing documents and signing in to services, re-issue the keys in your Personal account:',
    },
    'email.expiry.after': {
      kk: 'Мерзімі өткен соң кілттер жарамсыз болады, жаңа кілттер алу үшін өтінімді қайта беру қажет болады.',
      ru: 'После истечения срока ключи перестанут действовать, и для получения новых потребуется снова подать заявку.',
      en: 'Once expired, the keys stop working and getting new ones takes a new application.',
    },
    'email.footer': {
      kk: 'Бұл Qoltanba жүйесінің автоматты хабарламасы, оған жауап берудің қажеті жоқ.',
      ru: 'Это автоматическое уведомление Qoltanba, отвечать на него не нужно.',
      en: 'This is an automatic notice from Qoltanba; there is no need to reply.',
    },
  }),
);

const translators = {
  kk: createTranslator(notifyMessages, 'kk'),
  ru: createTranslator(notifyMessages, 'ru'),
  en: createTranslator(notifyMessages, 'en'),
};

const smsDateFormat = new Intl.DateTimeFormat('ru-RU', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Asia/Almaty' });

/** dd.mm.yyyy in Almaty time: the shortest unambiguous date, read the same way in kk and ru. */
export function formatSmsDate(date: Date): string {
  return smsDateFormat.format(date);
}

/** "https://qoltanba.kz/" → "qoltanba.kz": phones link a bare host, and every character counts in an SMS. */
export function portalForSms(portalUrl: string): string {
  return portalUrl.replace(/^https?:\/\//i, '').replace(/\/$/, '');
}

function capitalize(text: string): string {
  return text.charAt(0).toLocaleUpperCase('kk-KZ') + text.slice(1);
}

export interface ExpiryReminder {
  readonly kind: KeyKind;
  readonly expiresAt: Date;
  /** The portal's address, e.g. "https://qoltanba.kz" (shown without the scheme in SMS). */
  readonly portalUrl: string;
}

export function expiryReminderSms(language: SmsLanguage, reminder: ExpiryReminder): string {
  const date = formatSmsDate(reminder.expiresAt);
  const portal = portalForSms(reminder.portalUrl);
  if (language !== 'kk+ru') {
    const t = translators[language];
    return capitalize(t.t('sms.expiry', { date, kind: t.t(`notify.kind.${reminder.kind}`), portal }));
  }
  const kindKey = reminder.kind === 'both' ? 'notify.kindShort.both' : `notify.kind.${reminder.kind}`;
  const [kk, ru] = [translators.kk, translators.ru];
  const expires = `${kk.t('sms.expiry.combined.expires', { kind: kk.t(kindKey) })} / ${ru.t('sms.expiry.combined.expires', { kind: ru.t(kindKey) })}`;
  const action = `${kk.t('sms.expiry.combined.action')} / ${ru.t('sms.expiry.combined.action')}`;
  return `${date} ${expires}. ${action}: ${portal}`;
}

export interface OneTimeCodeRequest {
  readonly code: string;
  readonly purpose: OneTimeCodePurpose;
  readonly validMinutes: number;
  /**
   * The portal's host for the WebOTP / SMS Retriever line ("@qoltanba.kz #123456"), which lets the browser
   * offer the code itself. Costs a second SMS part; off unless given.
   */
  readonly webOtpHost?: string;
}

/** The text plus what SmsGateway needs to keep the code out of logs and stop delivery once it is useless. */
export function oneTimeCodeSms(locale: Locale, request: OneTimeCodeRequest): { text: string; secrets: string[]; validForMinutes: number } {
  const t = translators[locale];
  let text = t.t('sms.otp', { code: request.code, purpose: t.t(`sms.otp.purpose.${request.purpose}`), minutes: request.validMinutes });
  if (request.webOtpHost) text += `\n\n@${request.webOtpHost} #${request.code}`;
  return { text, secrets: [request.code], validForMinutes: request.validMinutes };
}

export interface ExpiryEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const DAY_MS = 86_400_000;

function emailSection(locale: Locale, reminder: ExpiryReminder & { name?: string }, now: Date): { subject: string; lines: string[] } {
  const t = translators[locale];
  const kind = t.t(`notify.kind.${reminder.kind}`);
  const date = formatDate(locale, reminder.expiresAt);
  const days = t.t('word.days', { count: Math.max(0, Math.ceil((reminder.expiresAt.getTime() - now.getTime()) / DAY_MS)) });
  return {
    subject: capitalize(t.t('email.expiry.subject', { kind, date })),
    lines: [
      reminder.name ? t.t('email.greeting.named', { name: reminder.name }) : t.t('email.greeting'),
      capitalize(t.t('email.expiry.body', { kind, date, days })),
      t.t('email.expiry.action'),
      reminder.portalUrl,
      t.t('email.expiry.after'),
      t.t('email.footer'),
    ],
  };
}

function sectionHtml(lines: string[], portalUrl: string, lang: Locale): string {
  const paragraphs = lines.map((l) =>
    l === portalUrl ? `<p><a href="${escapeHtml(portalUrl)}">${escapeHtml(portalUrl)}</a></p>` : `<p>${escapeHtml(l)}</p>`,
  );
  return `<div lang="${lang}">${paragraphs.join('')}</div>`;
}

/** Subject, plain text and HTML (every value escaped) of the expiry reminder e-mail; kk+ru puts both, kk first. */
export function expiryReminderEmail(language: SmsLanguage, reminder: ExpiryReminder & { name?: string }, now = new Date()): ExpiryEmail {
  const locales: Locale[] = language === 'kk+ru' ? ['kk', 'ru'] : [language];
  const sections = locales.map((l) => ({ locale: l, ...emailSection(l, reminder, now) }));
  return {
    subject: sections.map((s) => s.subject).join(' / '),
    text: sections.map((s) => s.lines.join('\n\n')).join('\n\n———\n\n') + '\n',
    html: `<!doctype html><html><body>${sections.map((s) => sectionHtml(s.lines, reminder.portalUrl, s.locale)).join('<hr>')}</body></html>`,
  };
}
