/** The operators' console pages: the header, the queue, and one review. */
import { formatDate, formatDateTime, type Translator } from '@qoltanba/i18n';
import { html, type Html } from '../portal/http/html.ts';
import { waitedMinutes, REJECT_REASONS, type QueueItem, type Review } from './queue.ts';

export function operatorNav(t: Translator, name: string, csrfToken: string): Html {
  return html`<nav class="sections" aria-label="${t.t('op.nav')}"><ul><li><a href="/operator">${t.t('op.queue')}</a></li></ul></nav>
<div class="who"><span>${t.t('op.signedInAs', { name })}</span>
<form method="post" action="/operator/logout"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit" class="link">${t.t('layout.logout')}</button></form></div>`;
}

export function queueBody(t: Translator, items: QueueItem[], me: string, now: Date, notice: string | undefined, maxAttempts: number): Html {
  const state = (i: QueueItem) =>
    i.claimedBy && i.claimedUntil && i.claimedUntil > now ? t.t(i.claimedBy === me ? 'op.claimedByMe' : 'op.claimedByOther') : t.t('op.free');
  return html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${items.length === 0
  ? html`<p>${t.t('op.queue.empty')}</p>`
  : html`<div class="table-wrap"><table class="queue"><caption>${t.t('op.queue.caption')}</caption>
<thead><tr><th scope="col">${t.t('op.col.submitted')}</th><th scope="col">${t.t('op.col.waiting')}</th><th scope="col">${t.t('op.col.attempt')}</th><th scope="col">${t.t('op.col.action')}</th><th scope="col">${t.t('op.col.state')}</th><th scope="col">${t.t('op.col.open')}</th></tr></thead>
<tbody>${items.map(
      (i) => html`<tr data-check="${i.id}"><td>${formatDateTime(t.locale, i.createdAt)}</td><td>${t.t('op.minutes', { count: waitedMinutes(i.createdAt, now) })}</td>
<td>${t.t('op.attemptOf', { n: i.attempt, max: maxAttempts })}</td><td>${t.t(`remote.face.action.${i.action}`)}</td><td>${state(i)}</td>
<td><a href="/operator/reviews/${i.id}">${t.t('op.review')}</a></td></tr>`,
    )}</tbody></table></div>`}
<p><a href="/operator">${t.t('remote.face.refresh')}</a></p>`;
}

export function reviewBody(t: Translator, r: Review, csrfToken: string, problem: Html | undefined): Html {
  const p = r.person;
  const base = `/operator/reviews/${r.id}`;
  const canDecide = r.state === 'pending' && r.claim?.mine === true && !r.imagesDeleted;
  const frames = (role: 'face' | 'liveness') =>
    html`<ul class="frames">${r.frames
      .filter((f) => f.role === role)
      .map((f, n) => html`<li><figure><img src="${base}/frames/${f.idx}" width="240" height="180" alt="${t.t(role === 'face' ? 'op.review.faceFrames' : 'op.review.livenessFrames', { action: t.t(`remote.face.action.${r.action}`) })} — ${t.t('op.review.frame', { n: n + 1 })}"><figcaption>${t.t('op.review.frame', { n: n + 1 })}</figcaption></figure></li>`)}</ul>`;
  let status: Html | string = '';
  if (r.state !== 'pending') status = html`<p class="notice" role="status">${t.t('op.review.decided', { state: t.t(`op.state.${r.state}`) })}${r.reason ? ` (${t.t(`reason.${r.reason}`)})` : ''}</p>`;
  else if (r.imagesDeleted) status = html`<p class="notice" role="status">${t.t('op.review.imagesDeleted')}</p>`;
  else if (r.claim && !r.claim.mine) status = html`<p class="notice" role="status">${t.t('op.review.claimedOther', { until: formatDateTime(t.locale, r.claim.until) })}</p>`;
  else if (r.claim?.mine) status = html`<p class="hint">${t.t('op.review.claimed', { until: formatDateTime(t.locale, r.claim.until) })}</p>`;
  return html`${status}${problem ?? ''}
<dl class="summary"><dt>${t.t('app.number')}</dt><dd><code>${r.applicationId}</code></dd>
<dt>${t.t('op.col.submitted')}</dt><dd>${formatDateTime(t.locale, r.createdAt)}</dd>
<dt>${t.t('op.col.attempt')}</dt><dd>${String(r.attempt)}</dd></dl>
<div class="review">
<section class="card reference" aria-labelledby="person-h"><h2 id="person-h">${t.t('op.review.person')}</h2>
${p
  ? html`<dl><dt>${t.t('op.review.name')}</dt><dd id="person-name">${[p.surname, p.name, p.patronymic].filter(Boolean).join(' ')}</dd>
<dt>${t.t('remote.iin')}</dt><dd>${p.iin}</dd>
<dt>${t.t('op.review.birthDate')}</dt><dd>${formatDate(t.locale, new Date(`${p.birthDate}T12:00:00Z`))}</dd>
<dt>${t.t('op.review.document')}</dt><dd>${t.t(p.document.type === 'passport' ? 'op.doc.passport' : 'word.idCard')} — ${t.t('op.review.documentChecked')}</dd></dl>`
  : ''}
${canDecide && p?.hasPhoto
  ? html`<figure><img src="${base}/reference" alt="${t.t('op.review.reference')}"><figcaption>${t.t('op.review.reference')}</figcaption></figure>`
  : canDecide
    ? html`<p class="warning">${t.t('op.review.noReference')}</p>`
    : ''}
</section>
<section aria-labelledby="frames-h"><h2 id="frames-h">${t.t('op.review.faceFrames')}</h2>
${canDecide ? frames('face') : ''}
<h2>${t.t('op.review.livenessFrames', { action: t.t(`remote.face.action.${r.action}`) })}</h2>
${canDecide ? frames('liveness') : ''}
<p class="hint">${t.t('op.review.measured', { motion: String(r.measurements.motion), brightness: r.measurements.brightness.map((b) => Math.round(b)).join(', ') })}</p>
</section></div>
${canDecide
  ? html`<form method="post" action="${base}" class="card decision">
<input type="hidden" name="_csrf" value="${csrfToken}">
<fieldset><legend>${t.t('op.decision')}</legend>
<div class="choice"><input type="radio" id="decision-approve" name="decision" value="approve"${p?.hasPhoto ? '' : html` disabled`}><label for="decision-approve">${t.t('op.approve')}</label></div>
<div class="choice"><input type="radio" id="decision-reject" name="decision" value="reject" checked><label for="decision-reject">${t.t('op.reject')}</label></div>
<div class="field"><label for="reason">${t.t('op.reason')}</label>
<select id="reason" name="reason">${REJECT_REASONS.map((x) => html`<option value="${x}">${t.t(`reason.${x}`)}</option>`)}</select></div>
<div class="field"><label for="comment">${t.t('op.comment')}</label><textarea id="comment" name="comment" maxlength="300"></textarea></div>
</fieldset>
<p class="actions"><button type="submit" class="primary">${t.t('op.submit')}</button></p></form>`
  : ''}
<p><a href="/operator">${t.t('op.queue')}</a></p>`;
}
