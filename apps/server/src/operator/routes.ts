/**
 * The RA operators' console (/operator): sign-in with the operator's own AUTH key — verified like a citizen's
 * (CMS, chain to our root, validity, OCSP, our record) and then required to carry the RA-operator role OID
 * 1.2.398.3.3.4.2.3 — in a session of audience 'operator' under its own cookie; then only the face check
 * queue, one review at a time, and the decision. Every request re-reads the operator's certificate: revoking
 * it ends the console session at once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isQtError, oid, QtError } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import { describeSharedKey } from '../portal/auth/shared-key.ts';
import { loginChallenge, signIn } from '../portal/auth/sign-in.ts';
import type { PortalDeps } from '../portal/deps.ts';
import { sessionTimes } from '../portal/deps.ts';
import { explain } from '../portal/http/errors.ts';
import { clearSessionCookie, OPERATOR_COOKIE, setSessionCookie, stateOf } from '../portal/http/request-state.ts';
import { html } from '../portal/http/html.ts';
import { problemBox } from '../portal/views/common.ts';
import { agentTexts, loginBody } from '../portal/views/login.ts';
import { renderPage } from '../portal/views/render.ts';
import { createSession, endSession } from '../portal/session/sessions.ts';
import type { PopulationRegistry } from '../population/index.ts';
import type { ResolvedRemoteOptions } from '../remote/options.ts';
import { operatorTranslator } from './messages.ts';
import { decide, frameOf, listQueue, openReview, readDecision, referenceOf } from './queue.ts';
import { operatorNav, queueBody, reviewBody } from './views.ts';

export interface OperatorDeps {
  portal: PortalDeps;
  population: PopulationRegistry;
  remote: ResolvedRemoteOptions;
}

interface Operator {
  iin: string;
  actor: string;
  name: string;
}

const page = { portal: 'page' as const, portalAudience: 'operator' as const };
const json = { portal: 'json' as const, portalAudience: 'operator' as const };

export function operatorRoutes(app: FastifyInstance, deps: OperatorDeps): void {
  const { ctx, options } = deps.portal;
  const loginLimit = { bucket: 'login' as const, max: options.rateLimits.login };

  /** The signed-in operator, or the login page; a revoked or expired operator certificate ends the session. */
  const operator = async (request: FastifyRequest): Promise<Operator> => {
    const s = stateOf(request);
    const session = s.session;
    if (!session?.iin || !session.certificateId || session.audience !== 'operator') {
      if (s.ended === 'idle' || s.ended === 'absolute') throw new QtError('QT_ERR_SESSION_EXPIRED', undefined, { reason: s.ended });
      throw new QtError('QT_ERR_SESSION_REQUIRED');
    }
    const cert = await ctx.store.db.selectFrom('certificates').select(['status', 'not_after']).where('id', '=', session.certificateId).executeTakeFirst();
    if (!cert || cert.status !== 'good' || cert.not_after <= ctx.now()) {
      await endSession(ctx.store.db, session.tokenSha256, 'revoked', ctx.now());
      throw new QtError('QT_ERR_SESSION_REQUIRED');
    }
    return { iin: session.iin, actor: `operator:${session.iin}`, name: s.person ?? session.iin };
  };
  const nav = (request: FastifyRequest, who: Operator) => operatorNav(operatorTranslator(stateOf(request).locale), who.name, stateOf(request).session?.csrfToken ?? '');

  app.get('/operator/login', { config: page }, async (request, reply) => {
    const state = stateOf(request);
    if (state.session?.iin) return reply.redirect('/operator', 303);
    if (!state.session) {
      const { token, session } = await createSession(ctx.store.db, sessionTimes(deps.portal), ctx.now(), undefined, 'operator');
      setSessionCookie(reply, token, OPERATOR_COOKIE);
      state.session = session;
    }
    const t = operatorTranslator(state.locale);
    const ended = (request.query as Record<string, unknown>).ended;
    const notice = typeof ended === 'string' && ['idle', 'absolute', 'logout', 'required'].includes(ended) ? t.t(`login.ended.${ended}`) : undefined;
    return renderPage(request, reply, {
      title: t.t('op.login.title'),
      body: loginBody(t, notice),
      nav: operatorLoginNav(t),
      scripts: ['login.js'],
      data: {
        agentUrl: options.agentUrl,
        locale: state.locale,
        loginBase: '/operator/login',
        texts: agentTexts(t),
        labels: {
          owner: t.t('login.key.owner'),
          iin: t.t('login.key.iin'),
          kind: t.t('login.key.kind'),
          validUntil: t.t('login.key.validUntil'),
          daysLeft: t.t('login.key.daysLeft'),
          issuer: t.t('login.key.issuer'),
          done: t.t('op.queue'),
        },
      },
    });
  });

  app.post('/operator/login/key', { config: { ...json, portalLimit: loginLimit } }, async (request) => {
    const { locale, t } = stateOf(request);
    const described = await describeSharedKey(deps.portal, (request.body as Record<string, unknown> | null)?.certificate, t);
    let problem = described.problem;
    if (!problem && !described.info.roles.some((r) => r.oid === oid.roleRaOperator)) {
      const e = new QtError('QT_ERR_OPERATOR_ROLE_REQUIRED');
      problem = { ...explain(e, operatorTranslator(locale)), code: e.code };
    }
    return { key: described.key, serialNumber: described.serialNumber, problem };
  });

  app.post('/operator/login/challenge', { config: { ...json, portalLimit: loginLimit } }, async (request) => {
    const state = stateOf(request);
    return loginChallenge(deps.portal, (state.session as NonNullable<typeof state.session>).tokenSha256, state.t, `${deps.portal.origin}/operator`);
  });

  app.post('/operator/login', { config: { ...json, portalLimit: loginLimit } }, async (request, reply) => {
    const state = stateOf(request);
    const session = state.session as NonNullable<typeof state.session>;
    const { token } = await signIn(deps.portal, session.tokenSha256, (request.body ?? {}) as Record<string, unknown>, {
      audience: 'operator',
      surface: 'operator',
      admit: (verified) => {
        if (!verified.info.roles.some((r) => r.oid === oid.roleRaOperator)) throw new QtError('QT_ERR_OPERATOR_ROLE_REQUIRED');
      },
    });
    setSessionCookie(reply, token, OPERATOR_COOKIE);
    return { redirect: '/operator' };
  });

  app.post('/operator/logout', { config: { ...page, portalCsrf: 'if-session' } }, async (request, reply) => {
    const session = stateOf(request).session;
    if (session) {
      await ctx.store.db.transaction().execute(async (trx) => {
        const ended = await endSession(trx, session.tokenSha256, 'logout', ctx.now());
        if (ended && session.iin) await appendAudit(trx, { actor: `operator:${session.iin}`, action: 'operator.logout', details: { iin: session.iin } });
      });
    }
    clearSessionCookie(reply, OPERATOR_COOKIE);
    return reply.redirect('/operator/login?ended=logout', 303);
  });

  app.get('/operator', { config: page }, async (request, reply) => {
    const who = await operator(request);
    const t = operatorTranslator(stateOf(request).locale);
    const decided = (request.query as Record<string, unknown>).decided;
    const notice = typeof decided === 'string' && ['approved', 'retry', 'refused', 'withdrawn'].includes(decided) ? t.t(`op.decided.${decided}`) : undefined;
    const now = ctx.now();
    return renderPage(request, reply, {
      title: t.t('op.queue'),
      body: queueBody(t, await listQueue(ctx.store.db), who.actor, now, notice, deps.remote.maxFaceRejections),
      nav: nav(request, who),
      styles: ['remote.css'],
    });
  });

  app.get('/operator/reviews/:id', { config: page }, async (request, reply) => {
    const who = await operator(request);
    return showReview(request, reply, who);
  });

  const showReview = async (request: FastifyRequest, reply: FastifyReply, who: Operator, problem?: QtError, status = 200): Promise<FastifyReply> => {
    const state = stateOf(request);
    const t = operatorTranslator(state.locale);
    const review = await openReview(ctx.store.db, { population: deps.population, claimMs: deps.remote.reviewClaimMs, now: ctx.now() }, (request.params as { id: string }).id, who);
    return renderPage(request, reply, {
      title: t.t('op.review.title'),
      path: `/operator/reviews/${review.id}`,
      status,
      body: reviewBody(t, review, state.session?.csrfToken ?? '', problem ? problemBox(t, problem.code === 'QT_ERR_INPUT_INVALID' ? { what: t.t('op.reasonRequired'), todo: '', remote: false } : explain(problem, t), problem.code) : undefined),
      nav: nav(request, who),
      styles: ['remote.css'],
    });
  };

  const image = (reply: FastifyReply, img: { mediaType: string; data: Buffer }) =>
    reply.type(img.mediaType).header('Cache-Control', 'no-store').header('Content-Disposition', 'inline').send(img.data);

  app.get('/operator/reviews/:id/frames/:idx', { config: page }, async (request, reply) => {
    const who = await operator(request);
    const { id, idx } = request.params as { id: string; idx: string };
    if (!/^\d{1,2}$/.test(idx)) throw new QtError('QT_ERR_NOT_FOUND');
    return image(reply, await frameOf(ctx.store.db, id, Number(idx), who.actor, ctx.now()));
  });

  app.get('/operator/reviews/:id/reference', { config: page }, async (request, reply) => {
    const who = await operator(request);
    return image(reply, await referenceOf(ctx.store.db, deps.population, (request.params as { id: string }).id, who.actor, ctx.now()));
  });

  app.post('/operator/reviews/:id', { config: page }, async (request, reply) => {
    const who = await operator(request);
    const id = (request.params as { id: string }).id;
    try {
      const d = readDecision((request.body ?? {}) as Record<string, unknown>);
      const outcome = await decide(ctx.store.db, { population: deps.population, maxFaceRejections: deps.remote.maxFaceRejections, now: ctx.now() }, id, who, d);
      return reply.redirect(`/operator?decided=${outcome}`, 303);
    } catch (e) {
      if (!isQtError(e) || !['QT_ERR_INPUT_INVALID', 'QT_ERR_APPLICATION_STATE'].includes(e.code)) throw e;
      return showReview(request, reply, who, e, e.code === 'QT_ERR_INPUT_INVALID' ? 422 : 409);
    }
  });
}

/** The console's header before sign-in: which console this is, no sections. */
function operatorLoginNav(t: ReturnType<typeof operatorTranslator>) {
  return html`<div class="who"><span>${t.t('op.title')}</span></div>`;
}
