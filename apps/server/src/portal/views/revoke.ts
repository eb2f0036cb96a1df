/** Revocation: which certificates, why, and the signature that confirms it. */
import { formatDate, type Translator } from '@qoltanba/i18n';
import type { CertificateRecord } from '../../ra/index.ts';
import { html, type Html } from '../http/html.ts';
import { kindLabel, serialLabel } from '../keys/describe.ts';

export const PORTAL_REASONS = ['superseded', 'keyCompromise', 'affiliationChanged', 'cessationOfOperation', 'unspecified'] as const;
export type PortalReason = (typeof PORTAL_REASONS)[number];

export function revokeBody(t: Translator, v: { certificates: CertificateRecord[]; selected: Set<string>; reason: PortalReason }): Html {
  if (v.certificates.length === 0) return html`<p>${t.t('revoke.none')}</p><p><a href="/keys">${t.t('word.myKeys')}</a></p>`;
  return html`<p class="warning">${t.t('revoke.intro')}</p>
<form id="revoke-form" class="wizard" novalidate>
<fieldset><legend>${t.t('revoke.certificates')}</legend>
${v.certificates.map((c) => {
  const id = `${c.ca}/${c.serial}`;
  const el = `cert-${c.serial}`;
  return html`<div class="choice"><input type="checkbox" name="target" id="${el}" value="${id}"${v.selected.has(id) ? html` checked` : ''}>
<label for="${el}">${kindLabel(t, c.kind)} · <code>${serialLabel(c.serial)}</code> · ${t.t('keys.validRange', { from: formatDate(t.locale, c.notBefore, 'short'), to: formatDate(t.locale, c.notAfter, 'short') })}</label></div>`;
})}
</fieldset>
<div class="field"><label for="reason">${t.t('revoke.reason')}</label>
<select id="reason" name="reason">${PORTAL_REASONS.map((r) => html`<option value="${r}"${r === v.reason ? html` selected` : ''}>${t.t(`reason.${r}`)}</option>`)}</select></div>
<p>${t.t('revoke.signText')}</p>
<noscript><p class="notice">${t.t('common.noscript')}</p></noscript>
<p class="actions"><button type="submit" id="revoke" class="danger">${t.t('word.revoke')}</button></p>
</form>
<div id="status" class="status" role="status" aria-live="polite"></div><div id="problem" tabindex="-1"></div>`;
}
