/** «Получение ЭЦП удалённо»: the start form, then the application at whatever step it stands. */
import { formatDateTime, type Translator } from '@qoltanba/i18n';
import { html, type Html } from '../portal/http/html.ts';
import type { Explained } from '../portal/http/errors.ts';
import type { OtpStatus } from '../portal/reissue/otp.ts';
import { problemBox } from '../portal/views/common.ts';
import { installPanel, keysPanel } from '../portal/views/reissue.ts';
import type { RemoteApplication, RemoteStep } from './store.ts';

export type Problem = { explained: Explained; code: string } | undefined;

const STEPS = ['iin', 'code', 'document', 'face', 'keys', 'install', 'done'] as const;
type StepName = (typeof STEPS)[number];

export function remoteStepper(t: Translator, current: StepName): Html {
  const index = STEPS.indexOf(current);
  const label = (s: StepName) => (s === 'install' ? t.t('word.downloadCertificates') : t.t(`remote.step.${s}`));
  return html`<nav class="stepper" aria-label="${t.t('step.steps')}"><p class="progress">${t.t('step.progress', { n: String(index + 1), total: String(STEPS.length) })}</p>
<ol>${STEPS.map((s, i) => html`<li class="${i < index ? 'past' : i === index ? 'current' : 'future'}"${i === index ? html` aria-current="step"` : ''}>${label(s)}</li>`)}</ol></nav>`;
}

export interface StartView {
  csrfToken: string;
  iin: string;
  email: string;
  retentionHours: number;
  problem?: Problem;
  /** This browser's session ended while it had an application open: how to get back to it. */
  sessionEnded?: boolean;
}

export function startBody(t: Translator, v: StartView): Html {
  return html`${remoteStepper(t, 'iin')}
<p>${t.t('remote.intro')}</p>
<p>${t.t('remote.needTitle')}</p>
<ul><li>${t.t('help.remote.need1')}</li><li>${t.t('help.remote.need2')}</li><li>${t.t('help.remote.need3')}</li></ul>
${v.sessionEnded ? html`<p class="notice" role="status">${t.t('remote.sessionEnded')}</p>` : ''}
${v.problem ? problemBox(t, v.problem.explained, v.problem.code) : ''}
<form method="post" action="/remote" class="wizard" novalidate>
<input type="hidden" name="_csrf" value="${v.csrfToken}">
<fieldset><legend>${t.t('step.details')}</legend>
<div class="field"><label for="iin">${t.t('remote.iin')}</label>
<input type="text" id="iin" name="iin" value="${v.iin}" inputmode="numeric" autocomplete="off" maxlength="12" pattern="[0-9]{12}" required aria-describedby="iin-hint">
<p class="hint" id="iin-hint">${t.t('remote.iinHint')}</p></div>
<div class="field"><label for="email">${t.t('reissue.email')}</label>
<input type="email" id="email" name="email" value="${v.email}" autocomplete="email" maxlength="254" aria-describedby="email-hint">
<p class="hint" id="email-hint">${t.t('reissue.emailHint')}</p></div>
</fieldset>
<fieldset><legend>${t.t('word.storage')}</legend>
<div class="choice"><input type="radio" id="storage-file" name="storage" value="file" checked><label for="storage-file">${t.t('reissue.storage.computer')}</label></div>
<div class="choice"><input type="radio" id="storage-token" name="storage" value="token"><label for="storage-token">${t.t('reissue.storage.token')}</label></div>
<p class="hint">${t.t('reissue.passwordWhere')} ${t.t('word.passwordRule')}</p>
</fieldset>
<div class="choice"><input type="checkbox" id="consent" name="consent" value="yes" required><label for="consent">${t.t('remote.consent', { hours: v.retentionHours })}</label></div>
<p class="actions"><button type="submit" class="primary">${t.t('remote.start')}</button></p>
</form>`;
}

export interface ApplicationView {
  r: RemoteApplication;
  step: RemoteStep;
  csrfToken: string;
  otp: OtpStatus | undefined;
  sendsLeft: number;
  otpMinutes: number;
  /** The code step shown to a window that joined an application started elsewhere. */
  joined: boolean;
  faceAttemptsLeft: number;
  maxFaceRejections: number;
  lastRejection: string | undefined;
  problem?: Problem;
  notice?: string | undefined;
}

export function applicationBody(t: Translator, v: ApplicationView): Html {
  const { r } = v;
  const problem = v.problem ? problemBox(t, v.problem.explained, v.problem.code) : '';
  const notice = v.notice ? html`<p class="notice" role="status">${v.notice}</p>` : '';
  const live = html`<div id="status" class="status" role="status" aria-live="polite"></div><div id="problem" tabindex="-1"></div>`;
  const base = `/remote/applications/${r.id}`;
  let panel: Html;
  switch (v.step) {
    case 'code':
      panel = codePanel(t, v, base);
      break;
    case 'document':
      panel = html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('remote.step.document')}</h2>
<p>${t.t('remote.document.text')}</p>
<form method="post" action="${base}/document" class="inline-form" novalidate>
<input type="hidden" name="_csrf" value="${v.csrfToken}">
<div class="field"><label for="doc-number">${t.t('remote.document.number')}</label>
<input type="text" id="doc-number" name="number" autocomplete="off" maxlength="16" required aria-describedby="doc-number-hint">
<p class="hint" id="doc-number-hint">${t.t('remote.document.numberHint')}</p></div>
<div class="field"><label for="doc-issued">${t.t('remote.document.issuedOn')}</label>
<input type="date" id="doc-issued" name="issuedOn" required></div>
<p class="actions"><button type="submit" class="primary">${t.t('remote.document.submit')}</button></p></form></section>`;
      break;
    case 'face':
      panel = html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('remote.step.face')}</h2>
<p>${t.t('remote.face.text')}</p>
${v.lastRejection ? html`<p class="notice" role="status">${t.t('remote.face.lastRejected', { reason: v.lastRejection })}</p>` : ''}
<p class="hint">${t.t('remote.face.attemptsLeft', { count: v.faceAttemptsLeft })}</p>
<noscript><p class="notice">${t.t('common.noscript')}</p></noscript>
<div class="camera"><video id="preview" autoplay muted playsinline aria-label="${t.t('remote.face.preview')}" hidden></video>
<p id="instruction" class="instruction" aria-live="assertive"></p></div>
<p class="actions"><button type="button" id="camera-on" class="primary">${t.t('remote.face.cameraOn')}</button>
<button type="button" id="capture" class="primary" hidden>${t.t('remote.face.capture')}</button></p>${live}</section>`;
      break;
    case 'waiting':
      panel = html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('remote.face.waitingTitle')}</h2>
<p>${t.t('remote.face.waiting')}</p>
<p class="waiting" aria-hidden="true"></p>
<p><a href="${base}">${t.t('remote.face.refresh')}</a></p>${live}</section>`;
      break;
    case 'keys':
      panel = keysPanel(t, r.storage, live);
      break;
    case 'install':
      panel = installPanel(t, r.storage, live);
      break;
    case 'done': {
      const files = r.installed?.filter((f) => f.fileName) ?? [];
      panel = html`<section class="card done" aria-labelledby="step-h"><h2 id="step-h">${t.t('app.done.title')}</h2>
${files.length ? html`<p>${t.t('app.done.files')}</p><ul class="files">${files.map((f) => html`<li><code>${f.fileName}</code></li>`)}</ul>` : ''}
<p>${t.t('remote.done.text')}</p>
<p class="actions"><a class="button primary" href="/login">${t.t('remote.done.login')}</a></p></section>`;
      break;
    }
    default:
      panel = closedPanel(t, v);
  }
  const stepName: StepName | undefined =
    v.step === 'closed' ? undefined : v.step === 'waiting' ? 'face' : v.step;
  const cancel =
    v.step === 'document' || v.step === 'face' || v.step === 'keys' || (v.step === 'code' && !v.joined)
      ? html`<form method="post" action="${base}/cancel" class="secondary-action"><input type="hidden" name="_csrf" value="${v.csrfToken}"><button type="submit" class="link">${t.t('app.cancel')}</button></form>`
      : '';
  return html`${stepName ? remoteStepper(t, stepName) : ''}
${notice}${problem}
${panel}
${v.step !== 'done' && v.step !== 'closed' ? html`<p class="hint">${t.t('app.resume')}</p>` : ''}
<details class="app-summary"><summary>${t.t('remote.title.application')}</summary><dl class="summary">
<dt>${t.t('app.number')}</dt><dd><code>${r.id}</code></dd>
<dt>${t.t('app.created')}</dt><dd>${formatDateTime(t.locale, r.createdAt)}</dd>
<dt>${t.t('remote.iin')}</dt><dd>${r.iin}</dd>
<dt>${t.t('word.storage')}</dt><dd>${t.t(r.storage === 'file' ? 'word.storage.computer' : 'word.storage.token')}</dd>
</dl></details>
${cancel}`;
}

function codePanel(t: Translator, v: ApplicationView, base: string): Html {
  const { otp } = v;
  const sent = otp && !otp.verifiedAt;
  return html`<section class="card" aria-labelledby="step-h"><h2 id="step-h">${t.t('step.code')}</h2>
${sent
  ? html`<p>${v.joined ? t.t('remote.code.alreadySent', { phone: otp.phoneMasked }) : t.t('app.code.text', { phone: otp.phoneMasked, minutes: t.t('common.minutes', { count: v.otpMinutes }) })}</p>
<form method="post" action="${base}/code" class="inline-form">
<input type="hidden" name="_csrf" value="${v.csrfToken}">
<div class="field"><label for="code">${t.t('app.code.label')}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength="8" required></div>
<p class="actions"><button type="submit" class="primary">${t.t('app.code.submit')}</button></p></form>`
  : html`<p>${t.t('app.code.notSent')}</p>`}
${v.sendsLeft > 0
  ? html`<form method="post" action="${base}/code/resend" class="secondary-action">
<input type="hidden" name="_csrf" value="${v.csrfToken}"><button type="submit">${t.t(sent ? 'app.code.resend' : 'app.code.send')}</button>
<span class="hint">${t.t('app.code.sendsLeft', { count: v.sendsLeft })}</span></form>`
  : ''}
</section>`;
}

function closedPanel(t: Translator, v: ApplicationView): Html {
  const { r } = v;
  const reason = r.decisionReason ?? '';
  let why: Html;
  if (r.state === 'rejected' && reason === 'face-attempts') {
    why = html`<p class="what">${t.t('remote.closed.face-attempts', { count: v.maxFaceRejections })}</p><p><strong>${t.t('remote.closed.visitCentre')}</strong></p>`;
  } else if (r.state === 'rejected' && ['document-attempts', 'document-expired', 'person-not-eligible'].includes(reason)) {
    why = html`<p class="what">${t.t('app.closed.rejected')}</p><p>${t.t(`remote.closed.${reason}`)}</p><p>${t.t('remote.closed.visitCentre')}</p>`;
  } else if (r.state === 'rejected' && reason === 'otp-attempts') {
    why = html`<p class="what">${t.t('app.closed.rejected')}</p><p>${t.t('error.otpAttempts')}</p>`;
  } else {
    why = html`<p class="what">${t.t(r.state === 'cancelled' ? 'app.closed.cancelled' : r.state === 'expired' ? 'app.closed.expired' : 'app.closed.rejected')}</p>`;
  }
  const again = r.state === 'rejected' && reason === 'face-attempts' ? t.t('remote.closed.again') : t.t('app.closed.again');
  return html`<div class="problem" role="alert">${why}<p>${again}</p></div>
<p class="actions"><a class="button" href="/remote">${t.t('word.remoteIssuance')}</a></p>`;
}
