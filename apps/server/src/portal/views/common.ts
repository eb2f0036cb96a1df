/** Small pieces several pages share: the problem box, the remote-issuance pointer, the step indicator. */
import type { Translator } from '@qoltanba/i18n';
import { html, type Html } from '../http/html.ts';
import type { Explained } from '../http/errors.ts';

export function problemBox(t: Translator, e: Explained, code?: string): Html {
  return html`<div class="problem" role="alert">
<p class="what">${e.what}</p>
<p><strong>${t.t('error.whatToDo')}:</strong> ${e.todo}</p>
${e.remote ? html`<p><a href="/help/remote">${t.t('word.remoteIssuance')}</a></p>` : ''}
${code ? html`<p class="code">${t.t('error.code')}: <code>${code}</code></p>` : ''}
</div>`;
}

export type WizardStep = 'details' | 'sign' | 'code' | 'keys' | 'install' | 'done';
const STEPS: WizardStep[] = ['details', 'sign', 'code', 'keys', 'install', 'done'];

/** The wizard's steps as an ordered list; the current one is marked for screen readers too. */
export function stepper(t: Translator, current: WizardStep): Html {
  const index = STEPS.indexOf(current);
  const label = (s: WizardStep) => (s === 'install' ? t.t('word.downloadCertificates') : t.t(`step.${s}`));
  return html`<nav class="stepper" aria-label="${t.t('step.steps')}"><p class="progress">${t.t('step.progress', { n: String(index + 1), total: String(STEPS.length) })}</p>
<ol>${STEPS.map((s, i) => html`<li class="${i < index ? 'past' : i === index ? 'current' : 'future'}"${i === index ? html` aria-current="step"` : ''}>${label(s)}</li>`)}</ol></nav>`;
}

export function remoteLink(t: Translator): Html {
  return html`<p><a class="button" href="/help/remote">${t.t('word.remoteIssuance')}</a></p>`;
}
