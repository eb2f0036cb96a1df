/**
 * /cps, the certification practice statement summary every certificate names in its certificatePolicies
 * (CPS qualifier): a portal page (kk/ru/en, the portal's layout, headers and language choice) built from what
 * the installation actually does — its CAs and their addresses, the profiles' validity, the remote-issuance
 * limits, the CRL schedule — and the contacts in server.json "cps". Public: no session needed.
 */
import type { PortalExtension } from '../portal/plugin.ts';
import { stateOf } from '../portal/http/request-state.ts';
import { renderPage } from '../portal/views/render.ts';
import { remoteSettings, resolveRemoteOptions } from '../remote/options.ts';
import { caUrls } from '../status/index.ts';
import { cpsTranslator } from './messages.ts';
import { cpsBody } from './views.ts';

export function cpsPage(): PortalExtension {
  return {
    name: 'cps',
    async register(app, portal) {
      const { ctx } = portal;
      const remote = resolveRemoteOptions(remoteSettings(ctx));
      app.get('/cps', { config: { portal: 'page' } }, async (request, reply) => {
        const t = cpsTranslator(stateOf(request).locale);
        const cas = await ctx.store.db
          .selectFrom('cas')
          .select(['name', 'subject_dn', 'not_before', 'not_after'])
          .where('kind', '=', 'issuing')
          .where('status', '=', 'active')
          .orderBy('id')
          .execute();
        return renderPage(request, reply, {
          title: t.t('cps.title'),
          body: cpsBody(t, {
            contacts: ctx.config.cps,
            cas: cas.map((c) => ({ name: c.name, subject: c.subject_dn, notBefore: c.not_before, notAfter: c.not_after, ...caUrls(ctx.config.publicUrl, c.name) })),
            crl: ctx.config.crl,
            maxFaceRejections: remote.maxFaceRejections,
          }),
        });
      });
    },
  };
}
