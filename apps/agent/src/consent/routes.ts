/**
 * The consent pages over HTTP: GET shows the session's current step, POST acts on its form and redirects back
 * (so reloading never re-submits a password). A POST must come from the page itself: our own Origin, a
 * same-origin fetch, and the session's CSRF token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLocale } from '@qoltanba/i18n';
import { isQtError } from '@qoltanba/pki';
import { PAGE_SECURITY_HEADERS } from '../server/security.ts';
import { STYLESHEET, STYLESHEET_PATH, pageContext, renderNotice, renderPage, translator } from '../ui/layout.ts';
import type { ConsentRegistry } from './registry.ts';
import type { ConsentForm, ConsentSession } from './session.ts';

/** Key files are a few KiB; the form never needs more than this. */
const MAX_FORM_BYTES = 2 << 20;
const SESSION_PATH = /^\/consent\/([A-Za-z0-9_-]{43})$/;

export interface ConsentRoutesOptions {
  registry: ConsentRegistry;
  /** Origins a consent form may be posted from (the agent's own). */
  ownOrigins: Set<string>;
  defaultLocale: import('@qoltanba/i18n').Locale;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parses the form with the platform's own multipart parser (undici's), holding files as bytes. */
async function parseForm(req: IncomingMessage, body: Buffer): Promise<ConsentForm | undefined> {
  const type = req.headers['content-type'] ?? '';
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type)) return undefined;
  let data: FormData;
  try {
    data = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
  } catch {
    return undefined;
  }
  const fields = new Map<string, string>();
  const files = new Map<string, Uint8Array>();
  const blobs: [string, Blob][] = [];
  data.forEach((value, name) => {
    if (typeof value === 'string') fields.set(name, value);
    else blobs.push([name, value]);
  });
  for (const [name, blob] of blobs) files.set(name, new Uint8Array(await blob.arrayBuffer()));
  return {
    action: fields.get('action') ?? '',
    get: (name) => fields.get(name),
    file: (name) => files.get(name),
  };
}

function postCameFromOurPage(req: IncomingMessage, own: Set<string>): boolean {
  const origin = req.headers.origin;
  if (!origin || !own.has(origin.toLowerCase())) return false;
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin';
}

async function showSession(res: ServerResponse, session: ConsentSession<unknown>): Promise<void> {
  const page = pageContext(session);
  if (session.final) {
    send(res, 200, renderNotice(session.locale, page.t.t(session.final.key, session.final.params), session.final.ok, page.action));
    return;
  }
  send(res, 200, renderPage(session, await session.flow.render(session, page)));
}

/** Handles /consent/…; returns false when the path is not ours. */
export async function handleConsentHttp(req: IncomingMessage, res: ServerResponse, options: ConsentRoutesOptions): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://agent.invalid');
  if (url.pathname === STYLESHEET_PATH && req.method === 'GET') {
    send(res, 200, STYLESHEET, 'text/css; charset=utf-8');
    return true;
  }
  const match = SESSION_PATH.exec(url.pathname);
  if (!match) return false;
  const session = options.registry.get(match[1] as string);
  if (!session) {
    send(res, 404, renderNotice(options.defaultLocale, translator(options.defaultLocale).t('result.unknown'), false));
    return true;
  }
  if (req.method === 'GET') {
    const lang = url.searchParams.get('lang');
    if (isLocale(lang)) session.locale = lang;
    await showSession(res, session);
    return true;
  }
  if (req.method !== 'POST') {
    send(res, 405, 'Method not allowed', 'text/plain; charset=utf-8', { Allow: 'GET, POST' });
    return true;
  }
  if (!postCameFromOurPage(req, options.ownOrigins)) {
    send(res, 403, 'This form can only be sent from the agent’s own page', 'text/plain; charset=utf-8');
    return true;
  }
  const body = await readBody(req, MAX_FORM_BYTES);
  const form = body && (await parseForm(req, body));
  if (!form || !session.csrfMatches(form.get('csrf'))) {
    send(res, 403, 'The form is stale or forged; reload the page', 'text/plain; charset=utf-8');
    return true;
  }
  if (!session.finished && !session.busy) {
    session.flash = undefined;
    session.busy = true;
    try {
      if (form.action === 'cancel') session.fail('QT_ERR_AGENT_CANCELLED', 'result.cancelled');
      else await session.flow.handle(session, form);
    } catch (e) {
      session.flash = { key: 'result.failed', params: { reason: isQtError(e) ? e.message : 'internal error' } };
    } finally {
      session.busy = false;
    }
  }
  res.writeHead(303, { ...PAGE_SECURITY_HEADERS, Location: `/consent/${session.id}`, 'Content-Length': 0 });
  res.end();
  return true;
}
