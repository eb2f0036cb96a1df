/** «Мои ключи ЭЦП»: the menu (with «Перевыпуск ключей ЭЦП»), notices, and the table of every certificate. */
import { formatDate, type Translator } from '@qoltanba/i18n';
import type { CertificateRecord } from '../../ra/index.ts';
import { html, type Html } from '../http/html.ts';
import { algorithmOf, daysLeft, kindLabel, serialLabel, shownStatus, storageLabel } from '../keys/describe.ts';
import { NOTIFY_LANGUAGES, type NotifyLanguage } from '../../notify/index.ts';
import type { ReminderSettings } from '../keys/reminders.ts';

export interface KeysView {
  name: string;
  iin: string;
  certificates: CertificateRecord[];
  now: Date;
  open: { id: string; createdAt: Date } | undefined;
  revokedCount: number | undefined;
  reminders: ReminderSettings;
  /** The reminders form was just saved. */
  saved: boolean;
  csrfToken: string;
}

/** Reminders start a month before expiry, as the notifier's e-mails do. */
const SOON_DAYS = 30;

export function keysBody(t: Translator, v: KeysView): Html {
  const valid = v.certificates.filter((c) => shownStatus(c, v.now) === 'good');
  const soonest = valid.length ? Math.min(...valid.map((c) => daysLeft(c.notAfter, v.now))) : undefined;
  const notices: Html[] = [];
  if (v.revokedCount) notices.push(html`<p class="notice" role="status">${t.t('keys.revokedNotice', { count: v.revokedCount })}</p>`);
  if (v.open) {
    notices.push(html`<p class="notice">${t.t('keys.openApplication', { date: formatDate(t.locale, v.open.createdAt) })} <a href="/applications/${v.open.id}">${t.t('keys.continue')}</a></p>`);
  } else if (soonest !== undefined && soonest <= SOON_DAYS) {
    notices.push(html`<p class="notice">${t.t('keys.expiringSoon', { days: t.t('word.days', { count: soonest }) })} <a href="/reissue">${t.t('word.reissue')}</a></p>`);
  }
  if (v.certificates.length > 0 && valid.length === 0) {
    notices.push(html`<p class="notice">${t.t('keys.noValid')} <a href="/help/remote">${t.t('word.remoteIssuance')}</a></p>`);
  }
  const menu = html`<details class="menu"><summary>${t.t('keys.menu')}</summary><ul>
<li><a href="/reissue">${t.t('word.reissue')}</a></li>
<li><a href="/keys/export.pem" download>${t.t('keys.export.pem')}</a></li>
<li><a href="/keys/export.csv" download>${t.t('keys.export.csv')}</a></li>
</ul></details>`;
  const table =
    v.certificates.length === 0
      ? html`<p>${t.t('keys.empty')}</p>`
      : html`<div class="table-wrap"><table class="keys">
<caption>${t.t('keys.caption')}</caption>
<thead><tr><th scope="col">${t.t('keys.col.kind')}</th><th scope="col">${t.t('keys.col.algorithm')}</th><th scope="col">${t.t('keys.col.serial')}</th><th scope="col">${t.t('keys.col.validity')}</th><th scope="col">${t.t('keys.col.daysLeft')}</th><th scope="col">${t.t('keys.col.status')}</th><th scope="col">${t.t('word.storage')}</th><th scope="col">${t.t('keys.col.actions')}</th></tr></thead>
<tbody>${v.certificates.map((c) => row(t, c, v.now))}</tbody></table></div>`;
  return html`<p class="lead">${t.t('keys.greeting', { name: v.name, iin: v.iin })}</p>
${notices}
${menu}
${table}
${remindersSection(t, v)}`;
}

/** "30, 14 and 7 days" in the page's language. */
function daysList(t: Translator, days: readonly number[]): string {
  const last = days[days.length - 1] as number;
  return new Intl.ListFormat(t.locale, { type: 'conjunction' }).format([...days.slice(0, -1).map(String), t.t('word.days', { count: last })]);
}

function remindersSection(t: Translator, v: KeysView): Html {
  const r = v.reminders;
  const lines: Html[] = [];
  if (!r.enabled) lines.push(html`<p>${t.t('reminders.off')}</p>`);
  else {
    if (r.smsDays.length) {
      if (!r.phone) lines.push(html`<p>${t.t('reminders.noPhone')}</p>`);
      else if (!r.phone.verified) lines.push(html`<p>${t.t('reminders.smsUnverified', { phone: r.phone.masked })}</p>`);
      else lines.push(html`<p>${t.t('reminders.sms', { days: daysList(t, r.smsDays), phone: r.phone.masked })}</p>`);
    }
    if (r.emailDays.length) {
      lines.push(r.email ? html`<p>${t.t('reminders.email', { days: daysList(t, r.emailDays), email: r.email })}</p>` : html`<p>${t.t('reminders.noEmail')}</p>`);
    }
  }
  const choice = (language: NotifyLanguage) => {
    const id = `notice-${language.replace('+', '-')}`;
    return html`<div class="choice"><input type="radio" id="${id}" name="language" value="${language}"${r.language === language ? html` checked` : ''}><label for="${id}">${t.t(`reminders.lang.${language}`)}</label></div>`;
  };
  return html`<section class="reminders" id="reminders" aria-labelledby="reminders-title">
<h2 id="reminders-title">${t.t('reminders.title')}</h2>
${v.saved ? html`<p class="notice" role="status">${t.t('reminders.saved')}</p>` : ''}
${lines}
<form method="post" action="/keys/reminders">
<input type="hidden" name="_csrf" value="${v.csrfToken}">
<fieldset><legend>${t.t('reminders.language')}</legend>
${NOTIFY_LANGUAGES.map(choice)}
${r.chosen ? '' : html`<p class="hint">${t.t('reminders.languageHint')}</p>`}
</fieldset>
<p class="actions"><button type="submit">${t.t('reminders.save')}</button></p>
</form>
</section>`;
}

function row(t: Translator, c: CertificateRecord, now: Date): Html {
  const status = shownStatus(c, now);
  const kind = kindLabel(t, c.kind);
  const serial = serialLabel(c.serial);
  const statusText = status === 'revoked' && c.revokedAt ? t.t('keys.revokedOn', { date: formatDate(t.locale, c.revokedAt) }) : t.t(`status.${status}`);
  const base = `/keys/${encodeURIComponent(c.ca)}/${c.serial}/certificate`;
  return html`<tr class="status-${status}" data-serial="${c.serial}">
<td>${kind}</td>
<td>${algorithmOf(c.der)}</td>
<td><code>${serial}</code></td>
<td>${t.t('keys.validRange', { from: formatDate(t.locale, c.notBefore, 'short'), to: formatDate(t.locale, c.notAfter, 'short') })}</td>
<td>${status === 'good' ? t.t('word.days', { count: daysLeft(c.notAfter, now) }) : '—'}</td>
<td><span class="badge badge-${status}">${statusText}</span></td>
<td>${storageLabel(t, c.storage)}</td>
<td class="actions"><a href="${base}" download aria-label="${t.t('keys.downloadLabel', { kind, serial })}">${t.t('keys.download')}</a>
${status === 'good' ? html` <a href="/revoke?c=${encodeURIComponent(`${c.ca}/${c.serial}`)}" aria-label="${t.t('keys.revokeLabel', { kind, serial })}">${t.t('word.revoke')}</a>` : ''}</td>
</tr>`;
}
