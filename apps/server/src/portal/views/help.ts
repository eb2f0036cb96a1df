/** Public help pages: starting the agent, and getting an EDS remotely when re-issuance is not possible. */
import type { Translator } from '@qoltanba/i18n';
import { html, type Html } from '../http/html.ts';

export function agentHelp(t: Translator, agentUrl: string): Html {
  return html`<p>${t.t('help.agent.what', { url: agentUrl })}</p>
<ul class="plain"><li>${t.t('help.agent.qoltanba')}</li><li>${t.t('help.agent.ncalayer')}</li></ul>
<p>${t.t('help.agent.after')}</p>`;
}

export function remoteHelp(t: Translator): Html {
  return html`<p>${t.t('help.remote.text')}</p>
<ul><li>${t.t('help.remote.need1')}</li><li>${t.t('help.remote.need2')}</li><li>${t.t('help.remote.need3')}</li></ul>
<p class="actions"><a class="button primary" href="/remote">${t.t('word.remoteIssuance')}</a></p>
<p>${t.t('help.remote.centre')}</p>`;
}
