/**
 * The citizen portal as one encapsulated Fastify plugin: its hooks (language, session, CSRF, security
 * headers) and its error handler apply to its own routes only, never to the CA API or OCSP next to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeLocale } from '@qoltanba/i18n';
import { isQtError, QtError } from '@qoltanba/pki';
import { httpStatusFor } from '../http/error-status.ts';
import { translateFastifyError } from '../http/app.ts';
import { loginRoutes } from './auth/routes.ts';
import type { PortalDeps } from './deps.ts';
import { sessionTimes } from './deps.ts';
import { explain } from './http/errors.ts';
import { LOCALE_COOKIE, OPERATOR_COOKIE, SESSION_COOKIE, stateOf } from './http/request-state.ts';
import { RateLimiter, type Bucket } from './http/rate-limit.ts';
import { checkCsrf, contentSecurityPolicy, securityHeaders } from './http/security.ts';
import { keysRoutes } from './keys/routes.ts';
import { reissueRoutes } from './reissue/routes.ts';
import { revokeRoutes } from './revoke/routes.ts';
import { findSession } from './session/sessions.ts';
import { problemBox } from './views/common.ts';
import { renderPage } from './views/render.ts';
import type { SessionAudience } from './tables.ts';

/**
 * What portal routes put in their Fastify `config` (read back through this type rather than by augmenting
 * Fastify's, which would change the route types of every other feature).
 */
export interface PortalRouteConfig {
  /** How errors are answered: an HTML page (default), or JSON for the page's scripts. */
  portal?: 'page' | 'json';
  /** 'if-session': a POST that is harmless without a session (logout) skips the CSRF check when there is none. */
  portalCsrf?: 'if-session';
  /** Counted against this per-client budget (requests per minute). */
  portalLimit?: { bucket: Bucket; max: number };
  /** Whose session the route reads: citizens' (default) or the RA operators' (their own cookie and rows). */
  portalAudience?: SessionAudience;
  /** The page uses the webcam (remote identification): Permissions-Policy allows the camera for this origin. */
  portalCamera?: boolean;
}

/**
 * A feature that adds pages to the portal (remote issuance, the operators' console): its routes are
 * registered inside the portal's plugin, so they get the same language, session, CSRF, security headers
 * and error pages. What `register` returns is run when the server closes.
 */
export interface PortalExtension {
  readonly name: string;
  register(app: FastifyInstance, deps: PortalDeps): Promise<(() => Promise<void>) | void>;
}

function routeConfig(request: FastifyRequest): PortalRouteConfig {
  return (request.routeOptions.config ?? {}) as PortalRouteConfig;
}

const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export async function portalPlugin(app: FastifyInstance, opts: { deps: PortalDeps; extensions?: readonly PortalExtension[] }): Promise<void> {
  const { deps } = opts;
  const { ctx } = deps;
  // Another feature may already have registered these on a parent context; registering twice would throw.
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody);
  const limiter = new RateLimiter();
  const csp = contentSecurityPolicy(deps.options.agentUrl);

  app.addHook('onRequest', async (request, reply) => {
    // ?lang=kk on any page: remember the choice and show the same page without the parameter.
    const lang = (request.query as Record<string, unknown> | undefined)?.lang;
    if (request.method === 'GET' && typeof lang === 'string') {
      const locale = normalizeLocale(lang);
      if (locale) reply.setCookie(LOCALE_COOKIE, locale, { path: '/', maxAge: 365 * 86_400, sameSite: 'lax', secure: true, httpOnly: true });
      return reply.redirect(request.url.split('?')[0] ?? '/', 303);
    }
    if (request.url.startsWith('/assets/')) return undefined; // static files need no session
    const state = stateOf(request);
    state.demo = ctx.config.demo;
    const audience = routeConfig(request).portalAudience ?? 'citizen';
    const cookieName = audience === 'operator' ? OPERATOR_COOKIE : SESSION_COOKIE;
    const found = await findSession(ctx.store.db, request.cookies[cookieName], sessionTimes(deps), ctx.now(), audience);
    if (found.kind === 'active') state.session = found.session;
    else if (found.kind === 'ended') state.ended = found.reason;
    if (state.session?.iin) {
      const who = await ctx.store.db.selectFrom('subjects').select(['surname', 'given_name', 'patronymic']).where('iin', '=', state.session.iin).executeTakeFirst();
      if (who) state.person = [who.surname, who.given_name, who.patronymic].filter(Boolean).join(' ');
    }
    return undefined;
  });

  app.addHook('preHandler', async (request) => {
    const limit = routeConfig(request).portalLimit;
    if (limit) limiter.hit(request.ip, limit.bucket, limit.max);
    if (request.method !== 'POST') return;
    if (routeConfig(request).portalCsrf === 'if-session' && !stateOf(request).session) return;
    checkCsrf(request, deps.origin);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    securityHeaders(reply, csp, { camera: routeConfig(request).portalCamera === true });
    return payload;
  });

  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    let qt = isQtError(err) ? err : translateFastifyError(err);
    if (!qt) {
      request.log.error({ err }, 'unhandled portal error');
      qt = new QtError('QT_ERR_INTERNAL');
    }
    return answerError(request, reply, qt);
  });

  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(ASSETS_DIR)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(join(ASSETS_DIR, name)), type });
  }
  app.get('/assets/:name', async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) throw new QtError('QT_ERR_NOT_FOUND');
    return reply.type(asset.type).header('Cache-Control', 'no-cache').send(asset.body);
  });

  loginRoutes(app, deps);
  keysRoutes(app, deps);
  reissueRoutes(app, deps);
  revokeRoutes(app, deps);
  for (const extension of opts.extensions ?? []) {
    const stop = await extension.register(app, deps);
    if (stop) app.addHook('onClose', async () => stop());
  }
}

/** One error, answered as the route's kind: JSON for scripts, a page (or the login page) for people. */
export function answerError(request: FastifyRequest, reply: FastifyReply, qt: QtError): FastifyReply {
  const state = stateOf(request);
  const status = httpStatusFor(qt.code);
  const explained = explain(qt, state.t);
  if (qt.code === 'QT_ERR_RATE_LIMITED') reply.header('Retry-After', String(qt.details?.retryAfterSeconds ?? 60));
  if (routeConfig(request).portal === 'json') {
    return reply.status(status).type('application/json').send({ error: { code: qt.code, ...explained } });
  }
  if (qt.code === 'QT_ERR_SESSION_REQUIRED' || qt.code === 'QT_ERR_SESSION_EXPIRED') {
    const reason = qt.code === 'QT_ERR_SESSION_EXPIRED' ? String(qt.details?.reason ?? 'idle') : 'required';
    const login = routeConfig(request).portalAudience === 'operator' ? '/operator/login' : '/login';
    return reply.redirect(`${login}?ended=${encodeURIComponent(reason)}`, 303);
  }
  // After a POST the language links lead home: the address that failed cannot be opened with GET.
  return renderPage(request, reply, { title: state.t.t('error.title'), body: problemBox(state.t, explained, qt.code), status, path: request.method === 'GET' ? undefined : '/' });
}
