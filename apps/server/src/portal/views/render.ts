/** Sends a portal page: the layout around the body, in the visitor's language, with their CSRF token. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Html } from '../http/html.ts';
import { stateOf } from '../http/request-state.ts';
import { layout } from './layout.ts';

export interface RenderOptions {
  title: string;
  body: Html;
  scripts?: string[];
  data?: unknown;
  section?: 'keys' | 'reissue';
  status?: number;
  /** The page's own address when it is shown in answer to a POST (the language links must lead back to a GET). */
  path?: string;
  /** Header navigation instead of the citizen's (the operators' console). */
  nav?: Html;
  styles?: string[];
}

export function renderPage(request: FastifyRequest, reply: FastifyReply, o: RenderOptions): FastifyReply {
  const state = stateOf(request);
  const page = layout({
    locale: state.locale,
    t: state.t,
    path: o.path ?? request.url.split('?')[0] ?? '/',
    title: o.title,
    body: o.body,
    person: state.session?.iin ? (state.person ?? state.session.iin) : undefined,
    csrfToken: state.session?.csrfToken,
    scripts: o.scripts,
    data: o.data,
    section: o.section,
    nav: o.nav,
    styles: o.styles,
    demo: state.demo,
  });
  return reply.status(o.status ?? 200).type('text/html; charset=utf-8').send(page.value);
}
