/**
 * The portal's browser-facing defences, applied to every portal response and state change.
 *
 * CSP: scripts and styles only from our own origin (external files, no inline code, so no nonce is
 * needed), the page may open WebSockets only to itself and the local agent, no framing, forms post only
 * here. A script injected through some future escaping bug would have nowhere to load from or send to.
 *
 * CSRF, two independent checks on every POST: the Origin header must be the portal's own origin (browsers
 * send it on every cross-site POST and cannot be made to lie), and the body's `_csrf` field or the
 * X-CSRF-Token header must equal the session's random token (synchroniser token). The session cookie is
 * also SameSite=Strict, so a cross-site request does not even carry it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QtError } from '@qoltanba/pki';
import { stateOf } from './request-state.ts';

export function contentSecurityPolicy(agentUrl: string): string {
  const agent = new URL(agentUrl);
  const ws = `ws://${agent.host}`;
  const wss = `wss://${agent.host}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self' ${ws} ${wss}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function securityHeaders(reply: FastifyReply, csp: string, options: { camera?: boolean } = {}): void {
  reply.header('Content-Security-Policy', csp);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" on form posts, which the CSRF check refuses.
  reply.header('Referrer-Policy', 'same-origin');
  reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  reply.header('Cross-Origin-Resource-Policy', 'same-origin');
  // The camera only for the remote-identification page, and only for this origin (never a framed third party).
  reply.header('Permissions-Policy', `camera=${options.camera ? '(self)' : '()'}, microphone=(), geolocation=(), payment=()`);
  // Pages carry personal data: never keep them in shared or back/forward caches.
  if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws QT_ERR_CSRF unless the POST comes from our origin and carries the session's token. */
export function checkCsrf(request: FastifyRequest, portalOrigin: string): void {
  const origin = request.headers.origin;
  if (origin !== portalOrigin) throw new QtError('QT_ERR_CSRF', `The request came from ${origin ? 'another origin' : 'no origin'}`);
  const session = stateOf(request).session;
  const header = request.headers['x-csrf-token'];
  const field = (request.body as Record<string, unknown> | undefined)?._csrf;
  const sent = typeof header === 'string' ? header : typeof field === 'string' ? field : undefined;
  if (!session || !sent || !sameString(sent, session.csrfToken)) throw new QtError('QT_ERR_CSRF', 'The CSRF token is missing or wrong');
}
