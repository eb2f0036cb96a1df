/** «Перевыпуск ключей ЭЦП»: the form, then the application page at whatever step it stands. */
import { formatDate, formatDateTime, type Translator } from '@qoltanba/i18n';
import { html, type Html } from '../http/html.ts';
import type { Explained } from '../http/errors.ts';
import { storageLabel } from '../keys/describe.ts';
import type { OtpStatus } from '../reissue/otp.ts';
import type { Reissue, Step } from '../reissue/store.ts';
import { problemBox, remoteLink, stepper } from './common.ts';

export interface FormView {
  name: string;
  iin: string;
  email: string;
  csrfToken: string;
  problem?: { explained: Explained; code: string } | undefined;
}

export function reissueForm(t: Translator, v: FormView): Html {
  return html`${stepper(t, 'details')}
<p>${t.t('reissue.intro')}</p>
${v.problem ? problemBox(t, v.problem.explained, v.problem.code) : ''}
<form method="post" action="/reissue" class="wizard" novalidate>
<input type="hidden" name="_csrf" value="${v.csrfToken}">
<fieldset><legend>${t.t('step.details')}</legend>
<dl class="fixed"><dt>${t.t('reissue.name')}</dt><dd id="fixed-name">${v.name}</dd><dt>${t.t('reissue.iin')}</dt><dd id="fixed-iin">${v.iin}</dd></dl>
<p class="hint">${t.t('reissue.fromCertificate')}</p>
<div class="field"><label for="email">${t.t('reissue.email')}</label>
<input type="email" id="email" name="email" value="${v.email}" autocomplete="email" maxlength="254" aria-describedby="email-hint">
<p class="hint" id="email-hint">${t.t('reissue.emailHint')}</p></div>
</fieldset>
<fieldset><legend>${t.t('word.storage')}</legend>
<div class="choice"><input type="radio" id="storage-file" name="storage" value="file" checked><label for="storage-file">${t.t('reissue.storage.computer')}</label></div>
<div class="choice"><input type="radio" id="storage-token" name="storage" value="token"><label for="storage-token">${t.t('reissue.storage.token')}</label></div>
<p class="hint" id="password-rule">${t.t('reissue.passwordWhere')} ${t.t('word.passwordRule')}</p>
</fieldset>
<div class="choice"><input type="checkbox" id="revoke-old" name="revokeOld" value="yes" aria-describedby="revoke-old-hint"><label for="revoke-old">${t.t('reissue.revokeOld')}</label></div>
<p class="hint" id="revoke-old-hint">${t.t('reissue.revokeOldHint')}</p>
<p class="actions"><button type="submit" class="primary">${t.t('word.submitApplication')}</button></p>
</form>`;
}

export function notAllowed(t: Translator): Html {
  return html`<div class="problem" role="alert"><p class="what">${t.t('error.reissueNotAllowed')}</p><p>${t.t('error.remote.do')}</p></div>${remoteLink(t)}`;
}

export interface ApplicationView {
  r: Reissue;
  step: Step;
  name: string;
  csrfToken: string;
  otp: OtpStatus | undefined;
  /** Codes that may still be asked for. */
  sendsLeft: number;
  otpMinutes: number;
  /** Old keys' expiry (for the last step). */
  oldValidUntil: Date | undefined;
  oldRevoked: boolean;
  problem?: { explained: Explained; code: string } | undefined;
  notice?: string | undefined;
}

export function applicationBody(t: Translator, v: ApplicationView): Html {
  const { r } = v;
  const summary = html`<dl class="summary">
<dt>${t.t('app.number')}</dt><dd><code>${r.id}</code></dd>
<dt>${t.t('app.created')}</dt><dd>${formatDateTime(t.locale, r.createdAt)}</dd>
<dt>${t.t('reissue.name')}</dt><dd>${v.name}</dd>
<dt>${t.t('reissue.iin')}</dt><dd>${r.iin}</dd>
<dt>${t.t('reissue.email')}</dt><dd>${r.email ?? t.t('common.notGiven')}</dd>
<dt>${t.t('word.storage')}</dt><dd>${storageLabel(t, r.storage)}</dd>
<dt>${t.t('app.revokeOld')}</dt><dd>${t.t(r.revokeOld ? 'common.yes' : 'common.no')}</dd>
</dl>`;
  const problem = v.problem ? problemBox(t, v.problem.explained, v.problem.code) : '';
  const notice = v.notice ? html`<p class="notice" role="status">${v.notice}</p>` : '';
  const live = html`<div id="status" class="status" role="status" aria-live="polite"></div><div id="problem" tabindex="-1"></div>`;
  const cancel =
    v.step === 'sign' || v.step === 'code' || v.step === 'keys'
      ? html`<form method="post" action="/applications/${r.id}/cancel" class="secondary-action"><input type="hidden" name="_csrf" value="${v.csrfToken}"><button type="submit" class="link">${t.t('app.cancel')}</button></form>`
      : '';
  const resume = v.step !== 'done' && v.step !== 'closed' ? html`<p class="hint">${t.t('app.resume')}</p>` : '';
  let panel: Html;
  switch (v.step) {
    case 'sign':
      panel = html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('step.sign')}</h2>
<p>${t.t('app.sign.text')}</p>
<noscript><p class="notice">${t.t('common.noscript')}</p></noscript>
<p class="actions"><button type="button" id="sign-application" class="primary">${t.t('word.sign')}</button></p>${live}</section>`;
      break;
    case 'code':
      panel = codePanel(t, v);
      break;
    case 'keys':
      panel = keysPanel(t, r.storage, live);
      break;
    case 'install':
      panel = installPanel(t, r.storage, live);
      break;
    case 'done':
      panel = donePanel(t, v);
      break;
    default:
      panel = closedPanel(t, r);
  }
  return html`${v.step === 'closed' ? '' : stepper(t, v.step === 'done' ? 'done' : v.step)}
${notice}${problem}
${panel}
${resume}
<details class="app-summary"><summary>${t.t('app.title')}</summary>${summary}</details>
${cancel}`;
}

/** The agent makes the new keys (re-issuance and remote issuance alike); `live` is the page's status region. */
export function keysPanel(t: Translator, storage: 'file' | 'token', live: Html): Html {
  return html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('step.keys')}</h2>
<p>${t.t('app.keys.text')}</p>
${storage === 'file' ? html`<p class="hint" id="password-rule">${t.t('reissue.passwordWhere')} ${t.t('word.passwordRule')}</p>` : ''}
<noscript><p class="notice">${t.t('common.noscript')}</p></noscript>
<p class="actions"><button type="button" id="create-keys" class="primary">${t.t('app.keys.button')}</button></p>${live}</section>`;
}

/** «Загрузить сертификаты»: the agent installs the issued certificates into the new key files or the token. */
export function installPanel(t: Translator, storage: 'file' | 'token', live: Html): Html {
  return html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('word.downloadCertificates')}</h2>
<p>${t.t(storage === 'file' ? 'app.install.text' : 'app.install.textToken')}</p>
${storage === 'file' ? html`<p class="hint">${t.t('word.passwordRule')}</p>` : ''}
<noscript><p class="notice">${t.t('common.noscript')}</p></noscript>
<p class="actions"><button type="button" id="install" class="primary">${t.t('word.downloadCertificates')}</button></p>${live}</section>`;
}

function codePanel(t: Translator, v: ApplicationView): Html {
  const { r, otp } = v;
  const sent = otp && !otp.verifiedAt;
  return html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('step.code')}</h2>
${sent ? html`<p>${t.t('app.code.text', { phone: otp.phoneMasked, minutes: t.t('common.minutes', { count: v.otpMinutes }) })}</p>` : html`<p>${t.t('app.code.notSent')}</p>`}
${sent
  ? html`<form method="post" action="/applications/${r.id}/code" class="inline-form">
<input type="hidden" name="_csrf" value="${v.csrfToken}">
<div class="field"><label for="code">${t.t('app.code.label')}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength="8" required></div>
<p class="actions"><button type="submit" class="primary">${t.t('app.code.submit')}</button></p></form>`
  : ''}
${v.sendsLeft > 0
  ? html`<form method="post" action="/applications/${r.id}/code/resend" class="secondary-action">
<input type="hidden" name="_csrf" value="${v.csrfToken}"><button type="submit">${t.t(sent ? 'app.code.resend' : 'app.code.send')}</button>
<span class="hint">${t.t('app.code.sendsLeft', { count: v.sendsLeft })}</span></form>`
  : ''}
</section>`;
}

function donePanel(t: Translator, v: ApplicationView): Html {
  const files = v.r.installed?.filter((f) => f.fileName) ?? [];
  return html`<section class="card done" aria-labelledby="step-h"><h2 id="step-h">${t.t('app.done.title')}</h2>
${files.length ? html`<p>${t.t('app.done.files')}</p><ul class="files">${files.map((f) => html`<li><code>${f.fileName}</code></li>`)}</ul>` : ''}
${v.oldRevoked
  ? html`<p>${t.t('app.done.oldRevoked')}</p>`
  : html`${v.r.revokeOld ? html`<p><strong>${t.t('app.done.oldChosen')}</strong></p>` : ''}
${v.oldValidUntil ? html`<p>${t.t('app.done.old', { date: formatDate(t.locale, v.oldValidUntil) })}</p>` : ''}
<p class="actions"><a class="button${v.r.revokeOld ? ' primary' : ''}" href="/revoke?application=${v.r.id}">${t.t('app.done.revokeOld')}</a></p>`}
<p><a href="/keys">${t.t('word.myKeys')}</a></p></section>`;
}

function closedPanel(t: Translator, r: Reissue): Html {
  const why =
    r.state === 'rejected' ? t.t('app.closed.rejected') : r.state === 'cancelled' ? t.t('app.closed.cancelled') : t.t('app.closed.expired');
  const otp = r.decisionReason === 'otp-attempts' ? html`<p>${t.t('error.otpAttempts')}</p>` : '';
  return html`<div class="problem" role="alert"><p class="what">${why}</p>${otp}<p>${t.t('app.closed.again')}</p></div>
<p class="actions"><a class="button primary" href="/reissue">${t.t('word.reissue')}</a></p>`;
}
