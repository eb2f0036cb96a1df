/** The language of what the agent's commands print: --locale, else the session's (LC_ALL, LC_MESSAGES, LANG), else Russian. */
import { defaultLocale, normalizeLocale, type Locale } from '@qoltanba/i18n';

export function cliLocale(flag: string | undefined, env: NodeJS.ProcessEnv): Locale {
  return normalizeLocale(flag) ?? normalizeLocale(env.LC_ALL) ?? normalizeLocale(env.LC_MESSAGES) ?? normalizeLocale(env.LANG) ?? defaultLocale;
}
