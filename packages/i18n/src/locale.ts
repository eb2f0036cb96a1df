/** The three languages of the product and how requests name them (NCALayer says "kz", browsers "kk-KZ"). */
export const locales = ['kk', 'ru', 'en'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'ru';

const aliases: Record<string, Locale> = { kk: 'kk', kz: 'kk', qaz: 'kk', kaz: 'kk', ru: 'ru', rus: 'ru', en: 'en', eng: 'en' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/** Maps "kz", "ru-RU", "en_GB" … to a supported locale, or undefined. */
export function normalizeLocale(value: string | undefined | null): Locale | undefined {
  if (!value) return undefined;
  const primary = value.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return aliases[primary];
}

/** Picks the best supported locale from an Accept-Language header (q-values honoured). */
export function negotiateLocale(acceptLanguage: string | undefined, fallback: Locale = defaultLocale): Locale {
  if (!acceptLanguage) return fallback;
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag, q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((x) => x.tag && Number.isFinite(x.q) && x.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const l = normalizeLocale(tag);
    if (l) return l;
  }
  return fallback;
}

/** BCP 47 tags Intl should format with (Kazakh dates and numbers as used in Kazakhstan). */
export const intlTag: Record<Locale, string> = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' };
