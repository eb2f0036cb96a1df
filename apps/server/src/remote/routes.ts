/**
 * «Получение ЭЦП удалённо» routes. Pages: the start form (GET/POST /remote) and the application at its step
 * (GET /remote/applications/:id; the code, the document and cancelling are plain forms). JSON for the page's
 * scripts: the step (the waiting page polls it), a capture and its upload, the agent's CSRs and the
 * installation report. Every route looks the application up through the browser session's access to it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isQtError, QtError, type QtErrorCode } from '@qoltanba/pki';
import { httpStatusFor } from '../http/error-status.ts';
import { explain } from '../portal/http/errors.ts';
import { stateOf } from '../portal/http/request-state.ts';
import { setSessionCookie } from '../portal/http/request-state.ts';
import { otpStatus, sendCode } from '../portal/reissue/otp.ts';
import { createSession } from '../portal/session/sessions.ts';
import { sessionTimes } from '../portal/deps.ts';
import { agentTexts } from '../portal/views/login.ts';
import { renderPage } from '../portal/views/render.ts';
import type { RemoteDeps, Visitor } from './deps.ts';
import { checkDocument } from './document.ts';
import { startCapture, submitCapture } from './face/submit.ts';
import { cancelRemote, issueRemote, markInstalled } from './issue.ts';
import { issuedForAgent } from '../ra/index.ts';
import { phoneExplanation, remoteTranslator } from './messages.ts';
import { confirmRemoteCode, startRemote } from './start.ts';
import { accessOf, expireIfDue, loadRemote, notFound, stepFor, type RemoteApplication } from './store.ts';
import { remoteDb } from './tables.ts';
import { applicationBody, startBody, type Problem } from './views.ts';

/** Refusals the start form explains above the form (anything else is the portal's error page). */
const START_PROBLEMS: readonly QtErrorCode[] = [
  'QT_ERR_INPUT_INVALID', 'QT_ERR_IIN_INVALID', 'QT_ERR_EMAIL_INVALID', 'QT_ERR_PERSON_NOT_FOUND', 'QT_ERR_PERSON_NOT_ELIGIBLE',
  'QT_ERR_PHONE_NOT_REGISTERED', 'QT_ERR_RATE_LIMITED', 'QT_ERR_APPLICATION_LIMIT', 'QT_ERR_APPLICATION_STATE', 'QT_ERR_OTP_SEND_LIMIT',
];
const CODE_PROBLEMS: readonly QtErrorCode[] = ['QT_ERR_OTP_INVALID', 'QT_ERR_OTP_EXPIRED', 'QT_ERR_OTP_ATTEMPTS'];
const DOCUMENT_PROBLEMS: readonly QtErrorCode[] = ['QT_ERR_INPUT_INVALID', 'QT_ERR_DOCUMENT_MISMATCH', 'QT_ERR_DOCUMENT_ATTEMPTS', 'QT_ERR_DOCUMENT_EXPIRED', 'QT_ERR_PERSON_NOT_ELIGIBLE'];

export function remoteRoutes(app: FastifyInstance, deps: RemoteDeps): void {
  const { ctx, options: portalOptions } = deps.portal;
  const appLimit = { bucket: 'applications' as const, max: portalOptions.rateLimits.applications };
  const smsLimit = { bucket: 'sms' as const, max: portalOptions.rateLimits.sms };
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
  const visitor = (request: FastifyRequest): Visitor => {
    const session = stateOf(request).session;
    // Every remote route needs the browser's session (GET /remote makes one): without it, there is no application.
    if (!session) throw notFound();
    return { sessionSha256: session.tokenSha256, ip: request.ip };
  };
  const problemOf = (request: FastifyRequest, e: QtError): Problem => {
    const { locale, t } = stateOf(request);
    return { explained: e.code === 'QT_ERR_PHONE_NOT_REGISTERED' ? phoneExplanation(locale) : explain(e, t), code: e.code };
  };

  app.get('/remote', { config: { portal: 'page' } }, async (request, reply) => {
    const state = stateOf(request);
    if (!state.session) {
      const { token, session } = await createSession(ctx.store.db, sessionTimes(deps.portal), ctx.now());
      setSessionCookie(reply, token);
      state.session = session;
    }
    return showStart(request, reply, deps, { sessionEnded: (request.query as Record<string, unknown>).ended === 'session' });
  });

  app.post('/remote', { config: { portal: 'page', portalLimit: appLimit } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      const started = await startRemote(deps, visitor(request), { iin: body.iin, email: body.email, storage: body.storage, consent: body.consent }, stateOf(request).locale);
      return reply.redirect(`/remote/applications/${started.id}`, 303);
    } catch (e) {
      if (!isQtError(e) || !START_PROBLEMS.includes(e.code)) throw e;
      if (e.code === 'QT_ERR_RATE_LIMITED') reply.header('Retry-After', String(e.details?.retryAfterSeconds ?? 60));
      return showStart(request, reply, deps, {
        problem: problemOf(request, e),
        status: httpStatusFor(e.code),
        iin: typeof body.iin === 'string' ? body.iin.slice(0, 20) : '',
        email: typeof body.email === 'string' ? body.email.slice(0, 254) : '',
      });
    }
  });

  // The face step films here: the camera is allowed for this page only (Permissions-Policy).
  app.get('/remote/applications/:id', { config: { portal: 'page', portalCamera: true } }, async (request, reply) => {
    // No session (it ended, idle or past the application, or this is another browser): back to the IIN and a new code.
    if (!stateOf(request).session) return reply.redirect('/remote?ended=session', 303);
    return showApplication(request, reply, deps, await visible(deps, visitor(request), idOf(request)));
  });

  app.get('/remote/applications/:id/status', { config: { portal: 'json' } }, async (request) => {
    const seen = await visible(deps, visitor(request), idOf(request));
    return { step: stepFor(seen.r, seen.access) };
  });

  app.post('/remote/applications/:id/code', { config: { portal: 'page', portalLimit: smsLimit } }, async (request, reply) => {
    const id = idOf(request);
    const v = visitor(request);
    const code = (request.body as Record<string, unknown> | undefined)?.code;
    try {
      await confirmRemoteCode(deps, v, id, typeof code === 'string' ? code : '');
      return reply.redirect(`/remote/applications/${id}`, 303);
    } catch (e) {
      if (!isQtError(e) || !CODE_PROBLEMS.includes(e.code)) throw e;
      const seen = await visible(deps, v, id).catch(() => undefined);
      if (!seen) throw e; // a refused takeover: this window no longer has any claim on the application
      return showApplication(request, reply, deps, seen, { problem: e.code === 'QT_ERR_OTP_ATTEMPTS' && seen.r.state === 'rejected' ? undefined : problemOf(request, e), status: 422 });
    }
  });

  app.post('/remote/applications/:id/code/resend', { config: { portal: 'page', portalLimit: smsLimit } }, async (request, reply) => {
    const id = idOf(request);
    const seen = await visible(deps, visitor(request), idOf(request));
    const { t } = stateOf(request);
    if (stepFor(seen.r, seen.access) !== 'code') throw new QtError('QT_ERR_APPLICATION_STATE');
    try {
      await sendCode(deps.portal, { applicationId: id, iin: seen.r.iin, locale: stateOf(request).locale, purpose: 'remote' });
      return showApplication(request, reply, deps, await visible(deps, visitor(request), id), { notice: t.t('app.code.resent') });
    } catch (e) {
      if (!isQtError(e)) throw e;
      if (e.code === 'QT_ERR_RATE_LIMITED') return showApplication(request, reply, deps, seen, { notice: t.t('app.code.wait'), status: 429 });
      if (!['QT_ERR_OTP_SEND_LIMIT', 'QT_ERR_PHONE_NOT_REGISTERED', 'QT_ERR_SMS_UNAVAILABLE'].includes(e.code)) throw e;
      return showApplication(request, reply, deps, seen, { problem: problemOf(request, e), status: httpStatusFor(e.code) });
    }
  });

  app.post('/remote/applications/:id/document', { config: { portal: 'page', portalLimit: appLimit } }, async (request, reply) => {
    const id = idOf(request);
    const v = visitor(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      await checkDocument(deps, v, id, { number: body.number, issuedOn: body.issuedOn });
      return reply.redirect(`/remote/applications/${id}`, 303);
    } catch (e) {
      if (!isQtError(e) || !DOCUMENT_PROBLEMS.includes(e.code)) throw e;
      return showApplication(request, reply, deps, await visible(deps, v, id), { problem: problemOf(request, e), status: httpStatusFor(e.code) });
    }
  });

  app.post('/remote/applications/:id/face/start', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const started = await startCapture(deps, visitor(request), idOf(request));
    const t = remoteTranslator(stateOf(request).locale);
    return { captureId: started.captureId, action: started.action, instruction: t.t(`remote.face.action.${started.action}`), expiresAt: started.expiresAt.toISOString() };
  });

  app.post(
    '/remote/applications/:id/face',
    { bodyLimit: deps.options.uploadBytes, config: { portal: 'json', portalLimit: appLimit } },
    async (request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const id = idOf(request);
      await submitCapture(deps, visitor(request), id, { captureId: body.captureId, face: body.face, liveness: body.liveness });
      return { redirect: `/remote/applications/${id}` };
    },
  );

  app.post('/remote/applications/:id/keys', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    return issueRemote(deps, visitor(request), idOf(request), { requestId: body.requestId, keys: body.keys });
  });

  app.post('/remote/applications/:id/installed', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const id = idOf(request);
    await markInstalled(deps, visitor(request), id, (request.body as Record<string, unknown> | undefined)?.installed);
    return { redirect: `/remote/applications/${id}` };
  });

  app.post('/remote/applications/:id/cancel', { config: { portal: 'page', portalLimit: appLimit } }, async (request, reply) => {
    const id = idOf(request);
    await cancelRemote(deps, visitor(request), id);
    return reply.redirect(`/remote/applications/${id}`, 303);
  });
}

interface Seen {
  r: RemoteApplication;
  access: 'owner' | 'claimant';
}

async function visible(deps: RemoteDeps, v: Visitor, id: string): Promise<Seen> {
  const db = deps.portal.ctx.store.db;
  const r = await expireIfDue(db, await loadRemote(db, id), deps.portal.ctx.now());
  const access = await accessOf(db, r, v.sessionSha256);
  if (!access) throw notFound();
  return { r, access };
}

function showStart(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: RemoteDeps,
  extra: { problem?: Problem; status?: number; iin?: string; email?: string; sessionEnded?: boolean } = {},
): FastifyReply {
  const state = stateOf(request);
  const t = remoteTranslator(state.locale);
  return renderPage(request, reply, {
    title: t.t('word.remoteIssuance'),
    path: '/remote',
    status: extra.status ?? 200,
    styles: ['remote.css'],
    body: startBody(t, {
      csrfToken: state.session?.csrfToken ?? '',
      iin: extra.iin ?? '',
      email: extra.email ?? '',
      retentionHours: Math.round(deps.options.imageRetentionMs / 3_600_000),
      problem: extra.problem,
      sessionEnded: extra.sessionEnded ?? false,
    }),
  });
}

async function showApplication(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: RemoteDeps,
  seen: Seen,
  extra: { problem?: Problem; notice?: string; status?: number } = {},
): Promise<FastifyReply> {
  const state = stateOf(request);
  const t = remoteTranslator(state.locale);
  const { r } = seen;
  const step = stepFor(r, seen.access);
  const db = deps.portal.ctx.store.db;
  const otp = step === 'code' ? await otpStatus(db, r.id) : undefined;
  let problem = extra.problem;
  if (!problem && step === 'code' && (!otp || otp.verifiedAt)) {
    // No code is out for this window (no verified number, SMS centre down): say why now.
    const entry = (await deps.portal.mobileCitizens.lookup([r.iin])).get(r.iin);
    const e = new QtError(entry?.verified ? 'QT_ERR_SMS_UNAVAILABLE' : 'QT_ERR_PHONE_NOT_REGISTERED');
    problem = { explained: e.code === 'QT_ERR_PHONE_NOT_REGISTERED' ? phoneExplanation(state.locale) : explain(e, state.t), code: e.code };
  }
  let lastRejection: string | undefined;
  if (step === 'face' && r.faceRejections > 0) {
    const last = await remoteDb(db).selectFrom('remote_face_checks').select('reason').where('application_id', '=', r.id).where('state', '=', 'rejected').orderBy('attempt', 'desc').executeTakeFirst();
    if (last?.reason) lastRejection = t.t(`reason.${last.reason}`);
  }
  const base = `/remote/applications/${r.id}`;
  const keysData =
    step === 'keys' || step === 'install'
      ? {
          agentUrl: deps.portal.options.agentUrl,
          locale: state.locale,
          applicationId: r.id,
          base,
          step,
          storage: r.storage,
          iin: r.iin,
          texts: { ...agentTexts(t), issuing: t.t('app.keys.issuing'), unknownRequest: t.t('app.install.unknownRequest') },
          issued: step === 'install' ? await issuedForAgent(deps.portal.ctx.store.db, r) : undefined,
        }
      : undefined;
  const faceData =
    step === 'face' || step === 'waiting'
      ? {
          base,
          step,
          texts: {
            ...agentTexts(t),
            lookStraight: t.t('remote.face.lookStraight'),
            uploading: t.t('remote.face.uploading'),
            cameraDenied: t.t('remote.face.cameraDenied'),
            noCamera: t.t('remote.face.noCamera'),
            unsupported: t.t('remote.face.unsupported'),
          },
        }
      : undefined;
  const otpOptions = deps.portal.options.otp;
  return renderPage(request, reply, {
    title: t.t('remote.title.application'),
    path: base,
    status: extra.status ?? 200,
    styles: ['remote.css'],
    body: applicationBody(t, {
      r,
      step,
      csrfToken: state.session?.csrfToken ?? '',
      otp,
      sendsLeft: Math.max(0, otpOptions.maxSends - (otp?.sends ?? 0)),
      otpMinutes: otpOptions.validMinutes,
      joined: seen.access === 'claimant' && r.sessionSha256 !== null,
      faceAttemptsLeft: Math.max(0, deps.options.maxFaceRejections - r.faceRejections),
      maxFaceRejections: deps.options.maxFaceRejections,
      lastRejection,
      problem,
      notice: extra.notice,
    }),
    scripts: keysData ? ['application.js'] : faceData ? ['face.js'] : [],
    data: keysData ?? faceData,
  });
}

