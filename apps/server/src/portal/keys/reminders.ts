/**
 * What the expiry reminders will do for the signed-in person — where the SMS goes (the mobile-citizens
 * registry's number), whether an e-mail goes, how many days before — and the one thing the person chooses
 * here: the language of those notices (notify_preferences; without a choice they get Kazakh and Russian).
 */
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import { DEFAULT_NOTIFY_LANGUAGE, maskPhone, NOTIFY_LANGUAGES, type NotifyLanguage, type NotifySettings } from '../../notify/index.ts';
import type { PortalDeps } from '../deps.ts';

export interface ReminderSettings {
  language: NotifyLanguage;
  /** False while the person never chose (the notices then come in both languages). */
  chosen: boolean;
  /** The registry's number, masked; `verified` false means the registry has it unconfirmed (no SMS then). */
  phone: { masked: string; verified: boolean } | undefined;
  email: string | undefined;
  enabled: boolean;
  smsDays: readonly number[];
  emailDays: readonly number[];
}

/** `notify` is the notifier's resolved settings (the keys routes resolve them once). */
export async function reminderSettings(deps: PortalDeps, notify: NotifySettings, iin: string): Promise<ReminderSettings> {
  const { ctx } = deps;
  const [preference, subject, phones] = await Promise.all([
    ctx.store.db.selectFrom('notify_preferences').select('language').where('iin', '=', iin).executeTakeFirst(),
    ctx.store.db.selectFrom('subjects').select('email').where('iin', '=', iin).executeTakeFirst(),
    deps.mobileCitizens.lookup([iin]),
  ]);
  const entry = phones.get(iin);
  return {
    language: preference?.language ?? DEFAULT_NOTIFY_LANGUAGE,
    chosen: preference !== undefined,
    phone: entry ? { masked: maskPhone(entry.phone), verified: entry.verified } : undefined,
    email: subject?.email ?? undefined,
    enabled: notify.enabled,
    smsDays: [...notify.smsThresholdsDays].sort((a, b) => b - a),
    emailDays: [...notify.emailThresholdsDays].sort((a, b) => b - a),
  };
}

/** Records the person's choice (and that they made it) in one transaction with its audit entry. */
export async function setNoticeLanguage(deps: PortalDeps, iin: string, input: unknown): Promise<NotifyLanguage> {
  if (typeof input !== 'string' || !(NOTIFY_LANGUAGES as readonly string[]).includes(input)) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The notice language must be one of ${NOTIFY_LANGUAGES.join(', ')}`, { field: 'language' });
  }
  const language = input as NotifyLanguage;
  const now = deps.ctx.now();
  await deps.ctx.store.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('notify_preferences').select('language').where('iin', '=', iin).forUpdate().executeTakeFirst();
    if (before?.language === language) return;
    await trx
      .insertInto('notify_preferences')
      .values({ iin, language, updated_at: now })
      .onConflict((oc) => oc.column('iin').doUpdateSet({ language, updated_at: now }))
      .execute();
    await appendAudit(trx, { actor: `citizen:${iin}`, action: 'notify.language-set', target: `subject:${iin}`, details: { iin, language, before: before?.language ?? null } });
  });
  return language;
}
