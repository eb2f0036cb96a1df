/** The /cps page body: contacts, the CAs with their addresses, validity, key storage, identification, revocation. */
import { formatDate, type Translator } from '@qoltanba/i18n';
import { getProfile, oid } from '@qoltanba/pki';
import type { CpsSettings } from '../config.ts';
import { html, type Html } from '../portal/http/html.ts';
import type { CaUrls } from '../status/index.ts';

export interface CpsFacts {
  contacts: CpsSettings;
  cas: (CaUrls & { name: string; subject: string; notBefore: Date; notAfter: Date })[];
  crl: { fullEveryMinutes: number; deltaEveryMinutes: number };
  maxFaceRejections: number;
}

function period(t: Translator, p: { years?: number; months?: number; days?: number }): string {
  // Subscriber validity is whole years (profiles.ts); anything else is shown in days.
  if (p.years && !p.months && !p.days) return t.t('cps.years', { count: p.years });
  return t.t('word.days', { count: (p.years ?? 0) * 365 + (p.months ?? 0) * 30 + (p.days ?? 0) });
}

function every(t: Translator, minutes: number): string {
  return minutes % 60 === 0 ? t.t('cps.hours', { count: minutes / 60 }) : t.t('cps.minutes', { count: minutes });
}

function contacts(t: Translator, c: CpsSettings): Html {
  const rows: [string, Html | string][] = [];
  if (c.organization) rows.push([t.t('cps.contacts.organization'), c.organization]);
  if (c.address) rows.push([t.t('cps.contacts.address'), c.address]);
  if (c.email) rows.push([t.t('cps.contacts.email'), html`<a href="mailto:${c.email}">${c.email}</a>`]);
  if (c.phone) rows.push([t.t('cps.contacts.phone'), html`<a href="tel:${c.phone.replace(/[^+\d]/g, '')}">${c.phone}</a>`]);
  if (c.website) rows.push([t.t('cps.contacts.website'), /^https?:\/\//.test(c.website) ? html`<a href="${c.website}">${c.website}</a>` : c.website]);
  if (rows.length === 0) return html`<p>${t.t('cps.contacts.none')}</p>`;
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

export function cpsBody(t: Translator, f: CpsFacts): Html {
  const validity = getProfile('individual-sign').validity;
  return html`<p>${t.t('cps.intro')}</p>
<section aria-labelledby="cps-contacts"><h2 id="cps-contacts">${t.t('cps.contacts')}</h2>${contacts(t, f.contacts)}</section>
<section aria-labelledby="cps-cas"><h2 id="cps-cas">${t.t('cps.cas')}</h2>
<div class="table-wrap"><table class="keys"><caption>${t.t('cps.cas.caption')}</caption>
<thead><tr><th scope="col">${t.t('cps.col.ca')}</th><th scope="col">${t.t('cps.col.valid')}</th><th scope="col">${t.t('cps.col.addresses')}</th></tr></thead>
<tbody>${f.cas.map(
    (ca) => html`<tr><th scope="row">${ca.subject}</th><td>${t.t('cps.validRange', { from: formatDate(t.locale, ca.notBefore), until: formatDate(t.locale, ca.notAfter) })}</td>
<td><ul class="plain"><li><a href="${ca.certificateUrl}">${t.t('cps.link.certificate')}</a> <code>${ca.certificateUrl}</code></li>
<li><a href="${ca.crlUrl}">${t.t('cps.link.crl')}</a> <code>${ca.crlUrl}</code></li>
<li><a href="${ca.deltaCrlUrl}">${t.t('cps.link.delta')}</a> <code>${ca.deltaCrlUrl}</code></li>
<li>${t.t('cps.link.ocsp')} <code>${ca.ocspUrl}</code></li></ul></td></tr>`,
  )}</tbody></table></div></section>
<section aria-labelledby="cps-certificates"><h2 id="cps-certificates">${t.t('cps.certificates')}</h2>
<p>${t.t('cps.certificates.pair')}</p>
<ul><li>${t.t('cps.validity.file', { period: period(t, validity.file) })}</li><li>${t.t('cps.validity.token', { period: period(t, validity.token) })}</li></ul>
<p>${t.t('cps.policies', { sign: oid.policyIndividualSign, auth: oid.policyIndividualAuth, legalSign: oid.policyLegalEntitySign, legalAuth: oid.policyLegalEntityAuth })}</p></section>
<section aria-labelledby="cps-storage"><h2 id="cps-storage">${t.t('cps.storage')}</h2>
<p>${t.t('cps.storage.own')}</p><p>${t.t('cps.storage.password')}</p><p>${t.t('cps.storage.ca')}</p></section>
<section aria-labelledby="cps-identification"><h2 id="cps-identification">${t.t('cps.identification')}</h2>
<ul><li>${t.t('cps.identification.inPerson', { oid: oid.identifiedInPerson })}</li>
<li>${t.t('cps.identification.remote', { oid: oid.identifiedRemotely, faces: f.maxFaceRejections })}</li>
<li>${t.t('cps.identification.reissue')}</li></ul></section>
<section aria-labelledby="cps-revocation"><h2 id="cps-revocation">${t.t('cps.revocation')}</h2>
<p>${t.t('cps.revocation.how')}</p><p>${t.t('cps.revocation.ocsp', { full: every(t, f.crl.fullEveryMinutes), delta: every(t, f.crl.deltaEveryMinutes) })}</p></section>`;
}
