/**
 * Sign-in by signature. The login page starts a short anonymous session (it carries the CSRF token and
 * binds the challenge to this browser). «Обновить список ключей» has the agent share the certificate, which
 * the server describes (whose key, valid until, and any problem, before anything is signed); «Подписать»
 * gets a single-use challenge, the agent signs it, and POST /login verifies everything itself
 * (verify-signature.ts) before a new session — with a new token — is opened for the certificate's IIN.
 */
import type { FastifyInstance } from 'fastify';
import { appendAudit } from '../../audit/index.ts';
import type { PortalDeps } from '../deps.ts';
import { sessionTimes } from '../deps.ts';
import { html } from '../http/html.ts';
import { clearSessionCookie, setSessionCookie, stateOf } from '../http/request-state.ts';
import { createSession, endSession } from '../session/sessions.ts';
import { agentHelp, remoteHelp } from '../views/help.ts';
import { agentTexts, loginBody } from '../views/login.ts';
import { renderPage } from '../views/render.ts';
import { describeSharedKey } from './shared-key.ts';
import { loginChallenge, signIn } from './sign-in.ts';

const ENDED = new Set(['idle', 'absolute', 'logout', 'required']);

export function loginRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { ctx, options } = deps;
  const loginLimit = { bucket: 'login' as const, max: options.rateLimits.login };

  app.get('/', { config: { portal: 'page' } }, async (request, reply) => {
    return reply.redirect(stateOf(request).session?.iin ? '/keys' : '/login', 303);
  });

  app.get('/login', { config: { portal: 'page' } }, async (request, reply) => {
    const state = stateOf(request);
    if (state.session?.iin) return reply.redirect('/keys', 303);
    if (!state.session) {
      const { token, session } = await createSession(ctx.store.db, sessionTimes(deps), ctx.now());
      setSessionCookie(reply, token);
      state.session = session;
    }
    const ended = (request.query as Record<string, unknown>).ended;
    const notice = typeof ended === 'string' && ENDED.has(ended) ? state.t.t(`login.ended.${ended}`) : undefined;
    return renderPage(request, reply, {
      title: state.t.t('login.title'),
      body: loginBody(state.t, notice),
      scripts: ['login.js'],
      data: {
        agentUrl: options.agentUrl,
        locale: state.locale,
        texts: agentTexts(state.t),
        labels: {
          owner: state.t.t('login.key.owner'),
          iin: state.t.t('login.key.iin'),
          kind: state.t.t('login.key.kind'),
          validUntil: state.t.t('login.key.validUntil'),
          daysLeft: state.t.t('login.key.daysLeft'),
          issuer: state.t.t('login.key.issuer'),
          done: state.t.t('login.done'),
        },
      },
    });
  });

  /** The certificate the agent shared, described for the page; nothing is decided here. */
  app.post('/login/key', { config: { portal: 'json', portalLimit: loginLimit } }, async (request) => {
    const described = await describeSharedKey(deps, (request.body as Record<string, unknown> | null)?.certificate, stateOf(request).t);
    return { key: described.key, serialNumber: described.serialNumber, problem: described.problem };
  });

  app.post('/login/challenge', { config: { portal: 'json', portalLimit: loginLimit } }, async (request) => {
    const state = stateOf(request);
    return loginChallenge(deps, (state.session as NonNullable<typeof state.session>).tokenSha256, state.t, deps.origin);
  });

  app.post('/login', { config: { portal: 'json', portalLimit: loginLimit } }, async (request, reply) => {
    const state = stateOf(request);
    const session = state.session as NonNullable<typeof state.session>;
    const { token } = await signIn(deps, session.tokenSha256, (request.body ?? {}) as Record<string, unknown>, { audience: 'citizen', surface: 'portal' });
    setSessionCookie(reply, token);
    return { redirect: '/keys' };
  });

  app.post('/logout', { config: { portal: 'page', portalCsrf: 'if-session' } }, async (request, reply) => {
    const session = stateOf(request).session;
    if (session) {
      await ctx.store.db.transaction().execute(async (trx) => {
        const ended = await endSession(trx, session.tokenSha256, 'logout', ctx.now());
        if (ended && session.iin) {
          await appendAudit(trx, { actor: `citizen:${session.iin}`, action: 'portal.logout', details: { iin: session.iin } });
        }
      });
    }
    clearSessionCookie(reply);
    return reply.redirect('/login?ended=logout', 303);
  });

  app.get('/help/agent', { config: { portal: 'page' } }, async (request, reply) => {
    const { t } = stateOf(request);
    return renderPage(request, reply, { title: t.t('help.agent.title'), body: agentHelp(t, options.agentUrl) });
  });

  app.get('/help/remote', { config: { portal: 'page' } }, async (request, reply) => {
    const { t } = stateOf(request);
    return renderPage(request, reply, { title: t.t('word.remoteIssuance'), body: html`${remoteHelp(t)}` });
  });
}

