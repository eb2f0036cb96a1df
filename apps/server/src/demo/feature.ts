/**
 * The demo's page as a portal extension (features.ts): /demo/sms lists the last messages the demo SMS gateway
 * recorded (notify/sms/demo-gateway.ts), so a person trying the demo reads the one-time code where they can
 * see it. Registered only in a server started with --demo: elsewhere /demo/sms does not exist (404).
 */
import { formatDateTime } from '@qoltanba/i18n';
import { lastDemoSms } from '../notify/sms/demo-gateway.ts';
import type { PortalExtension } from '../portal/plugin.ts';
import { html } from '../portal/http/html.ts';
import { stateOf } from '../portal/http/request-state.ts';
import { renderPage } from '../portal/views/render.ts';
import { demoTranslator } from './messages.ts';

export function demoPages(): PortalExtension {
  return {
    name: 'demo',
    async register(app, portal) {
      if (!portal.ctx.config.demo) return;
      app.get('/demo/sms', { config: { portal: 'page' } }, async (request, reply) => {
        const t = demoTranslator(stateOf(request).locale);
        const messages = await lastDemoSms(portal.ctx.store.db, 20);
        reply.header('cache-control', 'no-store');
        return renderPage(request, reply, {
          title: t.t('demo.sms.title'),
          body: html`<p>${t.t('demo.sms.intro')}</p>
<p><a class="button" href="/demo/sms">${t.t('demo.sms.refresh')}</a></p>
${
  messages.length === 0
    ? html`<p>${t.t('demo.sms.none')}</p>`
    : html`<div class="table-wrap"><table class="keys" id="demo-sms"><caption>${t.t('demo.sms.caption')}</caption>
<thead><tr><th scope="col">${t.t('demo.sms.time')}</th><th scope="col">${t.t('demo.sms.phone')}</th><th scope="col">${t.t('demo.sms.text')}</th></tr></thead>
<tbody>${messages.map((m) => html`<tr><td>${formatDateTime(t.locale, m.sentAt)}</td><td>${m.phone}</td><td class="sms-text">${m.text}</td></tr>`)}</tbody></table></div>`
}`,
        });
      });
    },
  };
}
