/**
 * A deliberately small message formatter: `{name}` placeholders, and plural forms chosen by Intl.PluralRules
 * (Russian needs one/few/many, Kazakh and English one/other). No ICU syntax parser — catalogs stay readable.
 */
import { intlTag, type Locale } from './locale.ts';

export type PluralMessage = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
export type Message = string | PluralMessage;
export type Catalog = Readonly<Record<string, Message>>;
export type Catalogs = Readonly<Record<Locale, Catalog>>;
export type Params = Readonly<Record<string, string | number | Date>>;

const pluralRules = new Map<Locale, Intl.PluralRules>();

function pluralCategory(locale: Locale, n: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(intlTag[locale])));
  return rules.select(n);
}

// Intl formatters are immutable and answer the same for the same input: one per locale and style is made once
// (making one costs ≈ 0.3 ms — the re-issuance's application text paid it on every request, issue 16's profile).
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function formatter<F extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => F): F {
  let f = formatters.get(key) as F | undefined;
  if (!f) formatters.set(key, (f = make()));
  return f;
}

export function formatDate(locale: Locale, date: Date, style: 'long' | 'short' = 'long'): string {
  return formatter(`date ${locale} ${style}`, () => new Intl.DateTimeFormat(intlTag[locale], { dateStyle: style, timeZone: 'Asia/Almaty' })).format(date);
}

export function formatDateTime(locale: Locale, date: Date): string {
  return formatter(`datetime ${locale}`, () => new Intl.DateTimeFormat(intlTag[locale], { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Almaty' })).format(date);
}

export function formatNumber(locale: Locale, n: number): string {
  return formatter(`number ${locale}`, () => new Intl.NumberFormat(intlTag[locale])).format(n);
}

function render(locale: Locale, template: string, params: Params): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    if (v instanceof Date) return formatDate(locale, v);
    if (typeof v === 'number') return formatNumber(locale, v);
    return v;
  });
}

/** Formats one message; `params.count` selects the plural form when the message has forms. */
export function formatMessage(locale: Locale, message: Message, params: Params = {}): string {
  if (typeof message === 'string') return render(locale, message, params);
  const count = typeof params.count === 'number' ? params.count : 0;
  const form = message[pluralCategory(locale, count)] ?? message.other;
  return render(locale, form, params);
}

export interface Translator {
  readonly locale: Locale;
  t(key: string, params?: Params): string;
  has(key: string): boolean;
}

/** A translator for one locale; a missing key shows as the key itself (visible in review, never a crash). */
export function createTranslator(catalogs: Catalogs, locale: Locale): Translator {
  const catalog = catalogs[locale];
  return {
    locale,
    t(key, params) {
      const message = catalog[key];
      return message === undefined ? key : formatMessage(locale, message, params);
    },
    has: (key) => catalog[key] !== undefined,
  };
}

/** Builds per-locale catalogs from entries written side by side ({ key: { kk, ru, en } }), which keeps translations together. */
export function defineMessages<K extends string>(entries: Readonly<Record<K, Readonly<Record<Locale, Message>>>>): Catalogs {
  const out: Record<Locale, Record<string, Message>> = { kk: {}, ru: {}, en: {} };
  for (const [key, byLocale] of Object.entries(entries) as [K, Readonly<Record<Locale, Message>>][]) {
    for (const l of ['kk', 'ru', 'en'] as const) out[l][key] = byLocale[l];
  }
  return out;
}

export function mergeCatalogs(...parts: Catalogs[]): Catalogs {
  const out: Record<Locale, Record<string, Message>> = { kk: {}, ru: {}, en: {} };
  for (const part of parts) for (const l of ['kk', 'ru', 'en'] as const) Object.assign(out[l], part[l]);
  return out;
}
