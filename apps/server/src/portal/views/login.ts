/**
 * The login page, as the seed walks it: «Обновить список ключей» asks the agent for the key (the password
 * is typed in the agent's own window), the page shows whose key it is, then «Подписать» signs the
 * server's challenge with it.
 */
import type { Translator } from '@qoltanba/i18n';
import { html, type Html } from '../http/html.ts';

export function loginBody(t: Translator, notice: string | undefined): Html {
  return html`<p>${t.t('login.intro')}</p>
<ol class="howto"><li>${t.t('login.step1')}</li><li>${t.t('login.step2')}</li></ol>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<noscript><p class="notice">${t.t('common.noscript')}</p></noscript>
<p class="actions"><button type="button" id="refresh" class="primary">${t.t('word.refreshKeys')}</button></p>
<section id="key" class="card" hidden aria-labelledby="key-heading">
<h2 id="key-heading">${t.t('login.key.heading')}</h2>
<dl id="key-details"></dl>
<p class="actions"><button type="button" id="sign" class="primary">${t.t('word.sign')}</button></p>
</section>
<div id="status" class="status" role="status" aria-live="polite"></div>
<div id="problem" tabindex="-1"></div>`;
}

/** Texts the page's scripts show (already in the page's language). */
export function agentTexts(t: Translator): Record<string, string> {
  return {
    waiting: t.t('login.waitingAgent'),
    verifying: t.t('login.verifying'),
    working: t.t('common.working'),
    missingTitle: t.t('agent.missing.title'),
    missingText: t.t('agent.missing.text'),
    missingHelp: t.t('agent.missing.help'),
    cancelled: t.t('agent.cancelled'),
    passwordAttempts: t.t('agent.passwordAttempts'),
    timeout: t.t('agent.timeout'),
    failed: t.t('agent.failed', { message: '{message}' }),
    noKeysModule: t.t('agent.noKeysModule'),
    noToken: t.t('agent.noToken'),
    whatToDo: t.t('error.whatToDo'),
    remote: t.t('word.remoteIssuance'),
    errorCode: t.t('error.code'),
  };
}
