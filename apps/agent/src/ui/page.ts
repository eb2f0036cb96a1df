/**
 * What a consent step renders with: the person's language and where its form posts. Its own file, below
 * both the consent session (whose steps render with it) and the layout (which makes it from a session).
 */
import type { Locale, Translator } from '@qoltanba/i18n';

export interface PageContext {
  readonly t: Translator;
  readonly locale: Locale;
  /** Where the step's form posts (the session's own URL). */
  readonly action: string;
  readonly csrf: string;
}
