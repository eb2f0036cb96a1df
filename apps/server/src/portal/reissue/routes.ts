/**
 * «Перевыпуск ключей ЭЦП» routes. Pages: the form (GET/POST /reissue) and the application at its current
 * step (GET /applications/:id; the SMS code and cancel are plain forms). JSON for the page's scripts: the
 * text to sign, the signature, the agent's CSRs, and the installation report. Every route looks the
 * application up by id AND the session's IIN: another person's id is "not found".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isQtError, QtError } from '@qoltanba/pki';
import type { PortalDeps } from '../deps.ts';
import { explain } from '../http/errors.ts';
import { signedIn, stateOf } from '../http/request-state.ts';
import { otpStatus } from './otp.ts';
import { stepOf, type Reissue } from './store.ts';
import {
  applicationChallenge,
  cancelReissue,
  confirmCode,
  createReissue,
  currentPair,
  issueFor,
  loadOwn,
  markInstalled,
  oldCertificates,
  resendCode,
  signApplication,
  subjectOf,
  type Me,
} from './service.ts';
import { agentTexts } from '../views/login.ts';
import { applicationBody, notAllowed, reissueForm } from '../views/reissue.ts';
import { renderPage } from '../views/render.ts';
import { issuedForAgent } from '../../ra/index.ts';
import { openReissue } from './store.ts';

export function reissueRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { ctx, options } = deps;
  const appLimit = { bucket: 'applications' as const, max: options.rateLimits.applications };
  const smsLimit = { bucket: 'sms' as const, max: options.rateLimits.sms };
  const me = (request: FastifyRequest): Me => {
    const s = signedIn(request);
    return { iin: s.iin, sessionSha256: s.session.tokenSha256 };
  };
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.get('/reissue', { config: { portal: 'page' } }, async (request, reply) => {
    const m = me(request);
    const open = await openReissue(ctx.store.db, m.iin);
    if (open) return reply.redirect(`/applications/${open.id}`, 303);
    return showForm(request, reply, deps, m);
  });

  app.post('/reissue', { config: { portal: 'page', portalLimit: appLimit } }, async (request, reply) => {
    const m = me(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const storage = body.storage === 'token' ? 'token' : body.storage === 'file' ? 'file' : undefined;
    try {
      if (!storage) throw new QtError('QT_ERR_INPUT_INVALID', 'storage must be file or token');
      const email = typeof body.email === 'string' && body.email.trim() ? body.email.trim() : undefined;
      const id = await createReissue(deps, m.iin, { email, storage, revokeOld: body.revokeOld === 'yes' });
      return reply.redirect(`/applications/${id}`, 303);
    } catch (e) {
      if (isQtError(e) && (e.code === 'QT_ERR_EMAIL_INVALID' || e.code === 'QT_ERR_INPUT_INVALID')) {
        return showForm(request, reply, deps, m, { explained: explain(e, stateOf(request).t), code: e.code }, typeof body.email === 'string' ? body.email : '');
      }
      throw e;
    }
  });

  app.get('/applications/:id', { config: { portal: 'page' } }, async (request, reply) => {
    const r = await loadOwn(deps, idOf(request), me(request).iin);
    return showApplication(request, reply, deps, r);
  });

  app.post('/applications/:id/challenge', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const c = await applicationChallenge(deps, me(request), idOf(request), stateOf(request).t);
    return { id: c.id, content: c.content };
  });

  app.post('/applications/:id/signature', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const id = idOf(request);
    await signApplication(deps, me(request), id, { challengeId: body.challengeId, cms: body.cms }, stateOf(request).locale);
    // Whether the code went out or not, the application page now shows the code step and what happened.
    return { redirect: `/applications/${id}` };
  });

  app.post('/applications/:id/code', { config: { portal: 'page', portalLimit: smsLimit } }, async (request, reply) => {
    const id = idOf(request);
    const m = me(request);
    const code = (request.body as Record<string, unknown> | undefined)?.code;
    try {
      await confirmCode(deps, m, id, typeof code === 'string' ? code : '');
      return reply.redirect(`/applications/${id}`, 303);
    } catch (e) {
      if (!isQtError(e) || !['QT_ERR_OTP_INVALID', 'QT_ERR_OTP_EXPIRED', 'QT_ERR_OTP_ATTEMPTS', 'QT_ERR_REISSUE_NOT_ALLOWED'].includes(e.code)) throw e;
      const r = await loadOwn(deps, id, m.iin);
      // A refused application explains itself on its closed page; anything else is shown above the step.
      const problem = e.code === 'QT_ERR_OTP_ATTEMPTS' ? undefined : { explained: explain(e, stateOf(request).t), code: e.code };
      return showApplication(request, reply, deps, r, { problem, status: 422 });
    }
  });

  app.post('/applications/:id/code/resend', { config: { portal: 'page', portalLimit: smsLimit } }, async (request, reply) => {
    const id = idOf(request);
    const m = me(request);
    const { t } = stateOf(request);
    try {
      await resendCode(deps, m, id, stateOf(request).locale);
      const r = await loadOwn(deps, id, m.iin);
      return showApplication(request, reply, deps, r, { notice: t.t('app.code.resent') });
    } catch (e) {
      if (!isQtError(e)) throw e;
      const r = await loadOwn(deps, id, m.iin);
      if (e.code === 'QT_ERR_RATE_LIMITED') return showApplication(request, reply, deps, r, { notice: t.t('app.code.wait'), status: 429 });
      if (!['QT_ERR_OTP_SEND_LIMIT', 'QT_ERR_PHONE_NOT_REGISTERED', 'QT_ERR_SMS_UNAVAILABLE'].includes(e.code)) throw e;
      return showApplication(request, reply, deps, r, { problem: { explained: explain(e, t), code: e.code }, status: e.code === 'QT_ERR_OTP_SEND_LIMIT' ? 429 : 422 });
    }
  });

  app.post('/applications/:id/keys', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    return issueFor(deps, me(request), idOf(request), { requestId: body.requestId, keys: body.keys });
  });

  app.post('/applications/:id/installed', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const id = idOf(request);
    await markInstalled(deps, me(request), id, (request.body as Record<string, unknown> | undefined)?.installed);
    return { redirect: `/applications/${id}` };
  });

  app.post('/applications/:id/cancel', { config: { portal: 'page', portalLimit: appLimit } }, async (request, reply) => {
    const id = idOf(request);
    await cancelReissue(deps, me(request), id);
    return reply.redirect(`/applications/${id}`, 303);
  });
}

async function showForm(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PortalDeps,
  m: Me,
  problem?: { explained: ReturnType<typeof explain>; code: string },
  email?: string,
): Promise<FastifyReply> {
  const state = stateOf(request);
  const { t } = state;
  const pair = await currentPair(deps, m.iin);
  if (!pair) return renderPage(request, reply, { title: t.t('reissue.notAllowed.title'), section: 'reissue', body: notAllowed(t), status: 200 });
  const subject = subjectOf(pair.auth);
  const known = await deps.ctx.store.db.selectFrom('subjects').select('email').where('iin', '=', m.iin).executeTakeFirst();
  return renderPage(request, reply, {
    title: t.t('word.reissue'),
    path: '/reissue',
    section: 'reissue',
    status: problem ? 422 : 200,
    body: reissueForm(t, { name: subject.display, iin: m.iin, email: email ?? known?.email ?? '', csrfToken: state.session?.csrfToken ?? '', problem }),
  });
}

async function showApplication(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PortalDeps,
  r: Reissue,
  extra: { problem?: { explained: ReturnType<typeof explain>; code: string }; notice?: string; status?: number } = {},
): Promise<FastifyReply> {
  const state = stateOf(request);
  const { t } = state;
  const step = stepOf(r);
  const otp = step === 'code' ? await otpStatus(deps.ctx.store.db, r.id) : undefined;
  const old = step === 'done' ? await oldCertificates(deps, r) : undefined;
  const oldRevoked = !!old && old.auth.status === 'revoked' && old.sign.status === 'revoked';
  let problem = extra.problem;
  if (!problem && step === 'code' && !otp) {
    // The signature is in but no code went out (no registered number, SMS centre down): say why now.
    const entry = (await deps.mobileCitizens.lookup([r.iin])).get(r.iin);
    const e = new QtError(entry?.verified ? 'QT_ERR_SMS_UNAVAILABLE' : 'QT_ERR_PHONE_NOT_REGISTERED');
    problem = { explained: explain(e, t), code: e.code };
  }
  const data =
    step === 'sign' || step === 'keys' || step === 'install'
      ? {
          agentUrl: deps.options.agentUrl,
          locale: state.locale,
          applicationId: r.id,
          step,
          storage: r.storage,
          iin: r.iin,
          texts: { ...agentTexts(t), issuing: t.t('app.keys.issuing'), unknownRequest: t.t('app.install.unknownRequest') },
          issued: step === 'install' ? await issuedForAgent(deps.ctx.store.db, r) : undefined,
        }
      : undefined;
  return renderPage(request, reply, {
    title: t.t('app.title'),
    path: `/applications/${r.id}`,
    section: 'reissue',
    status: extra.status ?? 200,
    body: applicationBody(t, {
      r,
      step,
      name: state.person ?? r.iin,
      csrfToken: state.session?.csrfToken ?? '',
      otp,
      sendsLeft: Math.max(0, deps.options.otp.maxSends - (otp?.sends ?? 0)),
      otpMinutes: deps.options.otp.validMinutes,
      oldValidUntil: old ? new Date(Math.min(old.auth.notAfter.getTime(), old.sign.notAfter.getTime())) : undefined,
      oldRevoked,
      problem,
      notice: extra.notice,
    }),
    scripts: data ? ['application.js'] : [],
    data,
  });
}
