/**
 * OCSP over HTTP (RFC 6960 Appendix A, RFC 5019 §5), independent of the HTTP framework: POST /ocsp with the DER
 * request as the body, and GET /ocsp/{url-encoded base64 of the DER request}. Every answer is an OCSP response
 * with HTTP 200 (or 304 on a matching If-None-Match) — including malformed, oversized or unreadable requests
 * (malformedRequest) and our own failures (internalError, tryLater).
 *
 * Served by a plain node:http handler in front of Fastify (serveOcspRaw, see http/front-door.ts) and by Fastify
 * routes (routes.ts: what `app.inject` reaches, and the fallback when there is no front door). Both call this.
 * A request answered from memory is synchronous from the bytes to the reply: no promise, no parsing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fromBase64 } from '@qoltanba/pki';
import type { FrontReply, FrontRoute } from '../../http/front-door.ts';
import { etagOf, ocspErrorAnswer, type OcspAnswer, type OcspResponder } from './responder.ts';

export const OCSP_RESPONSE_TYPE = 'application/ocsp-response';

export interface OcspHttpReply {
  status: 200 | 304;
  headers: Record<string, string>;
  /** Absent for 304. */
  body: Buffer | undefined;
}

export interface OcspHttpOptions {
  /** Larger requests are not read: malformedRequest. */
  maxRequestBytes: number;
  now: () => Date;
}

export class OcspHttp {
  readonly #responder: OcspResponder;
  readonly #o: OcspHttpOptions;
  /** Longest GET path segment worth decoding: base64 of the largest request, each character URL-encoded (3). */
  readonly #maxEncoded: number;

  constructor(responder: OcspResponder, options: OcspHttpOptions) {
    this.#responder = responder;
    this.#o = options;
    this.#maxEncoded = Math.ceil(options.maxRequestBytes / 3) * 4 * 3;
  }

  get maxRequestBytes(): number {
    return this.#o.maxRequestBytes;
  }

  /** POST: the body is the DER request, whatever the content type says. Never cacheable by HTTP caches. */
  post(body: Buffer | undefined, client: string | undefined): OcspHttpReply | Promise<OcspHttpReply> {
    if (!body || body.length === 0 || body.length > this.#o.maxRequestBytes) return this.#reply(ocspErrorAnswer('malformedRequest'), false);
    const key = `P${body.toString('latin1')}`;
    const hit = this.#responder.cached(key);
    if (hit) return this.#reply(hit, false);
    return this.#responder.answer(body, { key, client }).then((answer) => this.#reply(answer, false));
  }

  /** GET: `encoded` is the path after /ocsp/ exactly as sent (query string removed). */
  get(encoded: string, ifNoneMatch: string | undefined, client: string | undefined): OcspHttpReply | Promise<OcspHttpReply> {
    if (encoded.length === 0 || encoded.length > this.#maxEncoded) return this.#reply(ocspErrorAnswer('malformedRequest'), false);
    const key = `G${encoded}`;
    const hit = this.#responder.cached(key);
    if (hit) return this.#replyGet(hit, ifNoneMatch);
    const der = decodeGetPath(encoded);
    if (!der) return this.#reply(ocspErrorAnswer('malformedRequest'), false);
    return this.#responder.answer(der, { key, client }).then((answer) => this.#replyGet(answer, ifNoneMatch));
  }

  /** The answer for a GET whose URL the router could not read at all: malformedRequest, like any bad encoding. */
  malformed(): OcspHttpReply {
    return this.#reply(ocspErrorAnswer('malformedRequest'), false);
  }

  /** Something failed outside the responder (the body stream broke): internalError. */
  internalError(): OcspHttpReply {
    return this.#reply(ocspErrorAnswer('internalError'), false);
  }

  #replyGet(answer: OcspAnswer, ifNoneMatch: string | undefined): OcspHttpReply {
    if (answer.validity && ifNoneMatch !== undefined && ifNoneMatch === (answer.etag ?? etagOf(answer.der))) {
      return { status: 304, headers: this.#cachingHeaders(answer), body: undefined };
    }
    return this.#reply(answer, true);
  }

  #reply(answer: OcspAnswer, cacheable: boolean): OcspHttpReply {
    const body = Buffer.isBuffer(answer.der) ? answer.der : Buffer.from(answer.der.buffer, answer.der.byteOffset, answer.der.byteLength);
    const headers = cacheable && answer.validity ? this.#cachingHeaders(answer) : { 'cache-control': 'no-store' };
    headers['content-type'] = OCSP_RESPONSE_TYPE;
    return { status: 200, headers, body };
  }

  /** RFC 5019 §6.2: cacheable until nextUpdate, and revalidated after; the ETag names the exact bytes. */
  #cachingHeaders(answer: OcspAnswer): Record<string, string> {
    const { thisUpdate, nextUpdate } = answer.validity!;
    const maxAge = Math.max(0, Math.floor((nextUpdate.getTime() - this.#o.now().getTime()) / 1000));
    return {
      'cache-control': `public, max-age=${maxAge}, no-transform, must-revalidate`,
      'last-modified': thisUpdate.toUTCString(),
      expires: nextUpdate.toUTCString(),
      etag: answer.etag ?? etagOf(answer.der),
    };
  }
}

/** The DER request in a GET path: URL-decoded (so %2F, %2B, %3D are tolerated), then strict base64. */
export function decodeGetPath(encoded: string): Uint8Array | undefined {
  try {
    const der = fromBase64(encoded.includes('%') ? decodeURIComponent(encoded) : encoded);
    return der.length > 0 ? der : undefined;
  } catch {
    return undefined;
  }
}

const PREFIX = '/ocsp/';

/** The path segment after /ocsp/ of a GET, or undefined when the URL is not one of ours. */
function getSegment(url: string): string | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const q = url.indexOf('?');
  return q < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, q);
}

/**
 * The front route (http/front-door.ts): GET /ocsp/… and POST /ocsp on plain node:http. Everything else on these
 * paths (HEAD, OPTIONS, POST /ocsp/…) goes on to Fastify.
 */
export function ocspFrontRoute(http: OcspHttp): FrontRoute {
  return {
    serve(req, res) {
      const url = req.url ?? '';
      if (req.method === 'GET') {
        const segment = getSegment(url);
        if (segment === undefined) return false;
        const client = req.socket.remoteAddress;
        const inm = req.headers['if-none-match'];
        send(res, http.get(segment, inm, client));
        return true;
      }
      if (req.method === 'POST' && (url === '/ocsp' || url.startsWith('/ocsp?'))) {
        readBody(req, http.maxRequestBytes, (body) => send(res, body === 'error' ? http.internalError() : http.post(body, req.socket.remoteAddress)));
        return true;
      }
      return false;
    },
    unreadableUrl(url): FrontReply | undefined {
      if (getSegment(url) === undefined) return undefined;
      const reply = http.malformed();
      return { status: reply.status, headers: reply.headers, body: reply.body! };
    },
  };
}

function send(res: ServerResponse, reply: OcspHttpReply | Promise<OcspHttpReply>): void {
  if (reply instanceof Promise) {
    // The responder never rejects; a failure here is ours, and the client still gets an OCSP answer.
    reply.then((r) => write(res, r), () => write(res, { status: 200, headers: { 'content-type': OCSP_RESPONSE_TYPE, 'cache-control': 'no-store' }, body: Buffer.from(ocspErrorAnswer('internalError').der) }));
    return;
  }
  write(res, reply);
}

function write(res: ServerResponse, reply: OcspHttpReply): void {
  if (res.destroyed) return;
  if (reply.body) reply.headers['content-length'] = String(reply.body.length);
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

/**
 * The body, at most `max` bytes; undefined when it is longer (answered malformedRequest without reading the rest:
 * node:http discards what remains, as Fastify's own body limit does), 'error' when the stream failed.
 */
function readBody(req: IncomingMessage, max: number, done: (body: Buffer | undefined | 'error') => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > max) {
    done(undefined);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (body: Buffer | undefined | 'error') => {
    if (finished) return;
    finished = true;
    req.off('data', onData);
    done(body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > max) finish(undefined);
    else chunks.push(chunk);
  };
  req.on('data', onData);
  req.on('end', () => finish(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
  req.on('error', () => finish('error'));
}
