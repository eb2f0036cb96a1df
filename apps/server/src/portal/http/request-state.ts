/**
 * What each portal request knows about its visitor: the language and the session. Kept in a WeakMap
 * rather than as a Fastify decoration, so the portal adds nothing to the request type other features see.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLocale, negotiateLocale, type Locale, type Translator } from '@qoltanba/i18n';
import { QtError } from '@qoltanba/pki';
import { translatorFor } from '../messages.ts';
import type { Session } from '../session/sessions.ts';
import type { SessionEndReason } from '../tables.ts';

export const SESSION_COOKIE = '__Host-qt_session';
/** The RA operators' console has its own session cookie (sessions of audience 'operator'). */
export const OPERATOR_COOKIE = '__Host-qt_operator';
export const LOCALE_COOKIE = 'qt_lang';

export interface RequestState {
  locale: Locale;
  t: Translator;
  session: Session | undefined;
  /** Why the cookie's session is no longer valid, when it has one that ended. */
  ended: SessionEndReason | undefined;
  /** The signed-in person's name as the CA knows it (for the header). */
  person: string | undefined;
  /** The installation is the demo (`qoltanba up --demo`): every page says so. */
  demo: boolean;
}

const states = new WeakMap<FastifyRequest, RequestState>();

export function stateOf(request: FastifyRequest): RequestState {
  let s = states.get(request);
  if (!s) {
    const locale = localeOf(request);
    s = { locale, t: translatorFor(locale), session: undefined, ended: undefined, person: undefined, demo: false };
    states.set(request, s);
  }
  return s;
}

/** The language: the remembered choice, else the browser's preference. */
export function localeOf(request: FastifyRequest): Locale {
  const chosen = request.cookies?.[LOCALE_COOKIE];
  if (isLocale(chosen)) return chosen;
  return negotiateLocale(request.headers['accept-language']);
}

export interface SignedIn {
  session: Session;
  iin: string;
  certificateId: string;
}

/** The signed-in person, or QT_ERR_SESSION_REQUIRED / QT_ERR_SESSION_EXPIRED (the handler turns these into the login page). */
export function signedIn(request: FastifyRequest): SignedIn {
  const s = stateOf(request);
  const session = s.session;
  if (!session?.iin || !session.certificateId) {
    if (s.ended === 'idle' || s.ended === 'absolute') throw new QtError('QT_ERR_SESSION_EXPIRED', undefined, { reason: s.ended });
    throw new QtError('QT_ERR_SESSION_REQUIRED');
  }
  return { session, iin: session.iin, certificateId: session.certificateId };
}

export function setSessionCookie(reply: FastifyReply, token: string, name: string = SESSION_COOKIE): void {
  // __Host-: Secure, Path=/, no Domain — the cookie cannot be set or shadowed by a sibling subdomain.
  // No Max-Age: the browser forgets it when closed; the server enforces idle and absolute timeouts anyway.
  reply.setCookie(name, token, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
}

export function clearSessionCookie(reply: FastifyReply, name: string = SESSION_COOKIE): void {
  reply.clearCookie(name, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
}
