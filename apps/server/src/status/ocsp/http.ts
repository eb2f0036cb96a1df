/**
 * OCSP over HTTP (RFC 6960 Appendix A, RFC 5019 §5), independent of the HTTP framework: POST /ocsp with the DER
 * request as the body, and GET /ocsp/{url-encoded base64 of the DER request}. Every answer is an OCSP response
 * with HTTP 200 (or 304 on a matching If-None-Match) — including malformed, oversized or unreadable requests
 * (malformedRequest) and our own failures (internalError, tryLater).
 *
 * Served three ways, all through this class: beneath node:http on the raw connection (`fast`, ocspFastRoute, see
 * ../../http/fast-path.ts: answers from memory only, one write of a response made once per answer and second);
 * by a plain node:http handler in front of Fastify (ocspFrontRoute, see ../../http/front-door.ts: everything the
 * fast path hands over); and by Fastify routes (routes.ts: what `app.inject` reaches, and the fallback when there
 * is no front door). A request answered from memory is synchronous from the bytes to the reply: no promise, no
 * parsing — unless the freshness bound has lapsed, when it waits on the change feed's one poll (cachedAfterLapse).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fromBase64 } from '@qoltanba/pki';
import type { FastRequest, FastRoute } from '../../http/fast-path.ts';
import type { FrontReply, FrontRoute } from '../../http/front-door.ts';
import { clientAddressResolver, type ClientAddressOf } from './client-address.ts';
import { etagOf, ocspErrorAnswer, type OcspAnswer, type OcspResponder } from './responder.ts';

export const OCSP_RESPONSE_TYPE = 'application/ocsp-response';

export interface OcspHttpReply {
  status: 200 | 304;
  /** Name, value, name, value…: what res.writeHead takes without building an object per response. */
  headers: readonly string[];
  /** Absent for 304. */
  body: Buffer | undefined;
}

export interface OcspHttpOptions {
  /** Larger requests are not read: malformedRequest. */
  maxRequestBytes: number;
  now: () => Date;
  /** The same clock in ms, without a Date per answer (default: now().getTime()). */
  nowMs?: (() => number) | undefined;
  /** The client an on-demand signature counts against (the TCP peer, or what a trusted proxy forwarded). */
  clientOf?: ClientAddressOf;
}

/**
 * The request as the client sent it: node:http's IncomingMessage (the front door, Fastify's request.raw). Its
 * peer address and X-Forwarded-For are read only when the answer is not in memory (the per-client cap needs them);
 * an answer from memory touches neither, nor `headers` (node:http builds that object on first use).
 */
export type OcspHttpRequest = Pick<IncomingMessage, 'socket' | 'rawHeaders'>;

/**
 * The header lists of one answer from memory, made once and reused by every response that sends it: a POST's
 * never change; a GET's change only when its max-age does (once a second), so they are remade then.
 */
interface Prepared {
  readonly body: Buffer;
  readonly noStore: readonly string[];
  cacheable: readonly string[];
  notModified: readonly string[];
  /** `cacheable` and `notModified` hold while from < now ≤ until (ms): the max-age in them is still exact. */
  from: number;
  until: number;
  /** The complete responses the raw fast path writes (../../http/fast-path.ts), each for one header list and tail. */
  wirePost: Wire | undefined;
  wireGet: Wire | undefined;
  wire304: Wire | undefined;
}

/** A complete HTTP response: made from `headers` and `tail`, remade when either is another object. */
interface Wire {
  readonly headers: readonly string[];
  readonly tail: string;
  readonly bytes: Buffer;
}

export class OcspHttp {
  readonly #responder: OcspResponder;
  readonly #o: OcspHttpOptions;
  /** Longest GET path segment worth decoding: base64 of the largest request, each character URL-encoded (3). */
  readonly #maxEncoded: number;
  /** Keyed by the cache's answer objects (one per entry, see cache.ts): gone with the entry. */
  readonly #prepared = new WeakMap<OcspAnswer, Prepared>();
  readonly #clientOf: ClientAddressOf;

  constructor(responder: OcspResponder, options: OcspHttpOptions) {
    this.#responder = responder;
    this.#o = options;
    this.#clientOf = options.clientOf ?? clientAddressResolver([]);
    this.#maxEncoded = Math.ceil(options.maxRequestBytes / 3) * 4 * 3;
  }

  get maxRequestBytes(): number {
    return this.#o.maxRequestBytes;
  }

  /** POST: the body is the DER request, whatever the content type says. Never cacheable by HTTP caches. */
  post(body: Buffer | undefined, req: OcspHttpRequest): OcspHttpReply | Promise<OcspHttpReply> {
    if (!body || body.length === 0 || body.length > this.#o.maxRequestBytes) return this.#reply(ocspErrorAnswer('malformedRequest'), false);
    const key = `P${body.toString('latin1')}`;
    const hit = this.#responder.cached(key);
    if (hit) {
      const p = this.#prepare(hit);
      return { status: 200, headers: p.noStore, body: p.body };
    }
    const later = this.#responder.cachedAfterLapse(key);
    if (later) return later.then((hit) => (hit ? this.#reply(hit, false) : this.#responder.answer(body, { key, client: this.#client(req) }).then((answer) => this.#reply(answer, false))));
    return this.#responder.answer(body, { key, client: this.#client(req) }).then((answer) => this.#reply(answer, false));
  }

  /** GET: `encoded` is the path after /ocsp/ exactly as sent (query string removed). */
  get(encoded: string, req: OcspHttpRequest): OcspHttpReply | Promise<OcspHttpReply> {
    if (encoded.length === 0 || encoded.length > this.#maxEncoded) return this.#reply(ocspErrorAnswer('malformedRequest'), false);
    const key = `G${encoded}`;
    const hit = this.#responder.cached(key);
    if (hit) return this.#replyGet(hit, rawHeader(req.rawHeaders, 'if-none-match'));
    const later = this.#responder.cachedAfterLapse(key);
    if (later) return later.then((hit) => (hit ? this.#replyGet(hit, rawHeader(req.rawHeaders, 'if-none-match')) : this.#getFromDatabase(encoded, key, req)));
    return this.#getFromDatabase(encoded, key, req);
  }

  #getFromDatabase(encoded: string, key: string, req: OcspHttpRequest): OcspHttpReply | Promise<OcspHttpReply> {
    const der = decodeGetPath(encoded);
    if (!der) return this.#reply(ocspErrorAnswer('malformedRequest'), false);
    return this.#responder.answer(der, { key, client: this.#client(req) }).then((answer) => this.#replyGet(answer, rawHeader(req.rawHeaders, 'if-none-match')));
  }

  /**
   * The raw fast path's answer (../../http/fast-path.ts): the complete response when — and only when — the
   * request is answered from memory exactly as get()/post() would answer it (the same cached() check, the same
   * headers and bytes), else undefined and node:http serves the request through get()/post().
   */
  fast(request: FastRequest, tail: string): Buffer | undefined {
    if (request.method === 'POST') {
      const body = request.body;
      if (!body || body.length === 0 || body.length > this.#o.maxRequestBytes) return undefined;
      const hit = this.#responder.cached(`P${body.toString('latin1')}`);
      if (!hit) return undefined;
      const p = this.#prepare(hit);
      return (p.wirePost = wire(p.wirePost, 200, p.noStore, tail, p.body)).bytes;
    }
    const encoded = getSegment(request.target);
    if (encoded === undefined || encoded.length === 0 || encoded.length > this.#maxEncoded) return undefined;
    const hit = this.#responder.cached(`G${encoded}`);
    if (!hit?.validity) return undefined;
    const p = this.#prepare(hit);
    const now = this.#nowMs();
    if (now <= p.from || now > p.until) this.#prepareCacheable(p, hit, now);
    if (request.ifNoneMatch !== undefined && request.ifNoneMatch === hit.etag) return (p.wire304 = wire(p.wire304, 304, p.notModified, tail, undefined)).bytes;
    return (p.wireGet = wire(p.wireGet, 200, p.cacheable, tail, p.body)).bytes;
  }

  /**
   * For a request fast() left because the freshness bound has lapsed: the change feed's single in-flight
   * confirmation, which the fast path waits for before calling fast() once more. Undefined otherwise.
   */
  fastWait(request: FastRequest): Promise<unknown> | undefined {
    if (request.method === 'POST') {
      const body = request.body;
      if (!body || body.length === 0 || body.length > this.#o.maxRequestBytes) return undefined;
      return this.#responder.cachedAfterLapse(`P${body.toString('latin1')}`);
    }
    const encoded = getSegment(request.target);
    return encoded ? this.#responder.cachedAfterLapse(`G${encoded}`) : undefined;
  }

  /** Who the on-demand cap counts this request against: the TCP peer, or what a trusted proxy forwarded. */
  #client(req: OcspHttpRequest): string | undefined {
    return this.#clientOf(req.socket.remoteAddress, rawHeaderList(req.rawHeaders, 'x-forwarded-for'));
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
    if (!answer.validity) return this.#reply(answer, false);
    if (answer.outcome === 'cached') {
      const p = this.#prepare(answer);
      const now = this.#nowMs();
      if (now <= p.from || now > p.until) this.#prepareCacheable(p, answer, now);
      if (ifNoneMatch !== undefined && ifNoneMatch === answer.etag) return { status: 304, headers: p.notModified, body: undefined };
      return { status: 200, headers: p.cacheable, body: p.body };
    }
    if (ifNoneMatch !== undefined && ifNoneMatch === (answer.etag ?? etagOf(answer.der))) {
      return { status: 304, headers: this.#cachingHeaders(answer, this.#nowMs()).headers, body: undefined };
    }
    return this.#reply(answer, true);
  }

  #reply(answer: OcspAnswer, cacheable: boolean): OcspHttpReply {
    const body = bufferOf(answer.der);
    const headers = cacheable && answer.validity ? this.#cachingHeaders(answer, this.#nowMs()).headers : ['cache-control', 'no-store'];
    headers.push('content-type', OCSP_RESPONSE_TYPE, 'content-length', String(body.length));
    return { status: 200, headers, body };
  }

  #nowMs(): number {
    return this.#o.nowMs ? this.#o.nowMs() : this.#o.now().getTime();
  }

  #prepare(answer: OcspAnswer): Prepared {
    let p = this.#prepared.get(answer);
    if (!p) {
      const body = bufferOf(answer.der);
      p = {
        body,
        noStore: ['cache-control', 'no-store', 'content-type', OCSP_RESPONSE_TYPE, 'content-length', String(body.length)],
        cacheable: [],
        notModified: [],
        from: 0,
        until: -1,
        wirePost: undefined,
        wireGet: undefined,
        wire304: undefined,
      };
      this.#prepared.set(answer, p);
    }
    return p;
  }

  #prepareCacheable(p: Prepared, answer: OcspAnswer, now: number): void {
    const { headers, from, until } = this.#cachingHeaders(answer, now);
    p.notModified = headers;
    p.cacheable = [...headers, 'content-type', OCSP_RESPONSE_TYPE, 'content-length', String(p.body.length)];
    p.from = from;
    p.until = until;
  }

  /**
   * RFC 5019 §6.2: cacheable until nextUpdate, and revalidated after; the ETag names the exact bytes. Also the
   * instants between which these headers stay exact (max-age counts whole seconds down to nextUpdate).
   */
  #cachingHeaders(answer: OcspAnswer, now: number): { headers: string[]; from: number; until: number } {
    const { thisUpdate, nextUpdate } = answer.validity!;
    const next = nextUpdate.getTime();
    const maxAge = Math.max(0, Math.floor((next - now) / 1000));
    const headers = [
      'cache-control',
      `public, max-age=${maxAge}, no-transform, must-revalidate`,
      'last-modified',
      thisUpdate.toUTCString(),
      'expires',
      nextUpdate.toUTCString(),
      'etag',
      answer.etag ?? etagOf(answer.der),
    ];
    // max-age is 0 from nextUpdate on (for ever); before, it is n for next - (n+1) s < now ≤ next - n s.
    return maxAge === 0 ? { headers, from: next - 1000, until: Number.MAX_SAFE_INTEGER } : { headers, from: next - (maxAge + 1) * 1000, until: next - maxAge * 1000 };
  }
}

/** `current` if it was made from these headers and this tail, else the response remade (once a second per entry). */
function wire(current: Wire | undefined, status: 200 | 304, headers: readonly string[], tail: string, body: Buffer | undefined): Wire {
  if (current && current.headers === headers && current.tail === tail) return current;
  let head = status === 200 ? 'HTTP/1.1 200 OK\r\n' : 'HTTP/1.1 304 Not Modified\r\n';
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  head += tail;
  const bytes = body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
  return { headers, tail, bytes };
}

function bufferOf(der: Uint8Array): Buffer {
  return Buffer.isBuffer(der) ? der : Buffer.from(der.buffer, der.byteOffset, der.byteLength);
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

/** The front door's access log: pino's level check, so that the line costs nothing unless debug is on. */
export interface OcspAccessLog {
  isLevelEnabled(level: 'debug'): boolean;
  debug(obj: object, msg: string): void;
}

/**
 * The front route (http/front-door.ts): GET /ocsp/… and POST /ocsp on plain node:http. Everything else on these
 * paths (HEAD, OPTIONS, POST /ocsp/…) goes on to Fastify.
 *
 * No line per request at `info`: one (pino, to a file) cost 3–7 µs of CPU per answer, a quarter more, and ~30 %
 * of the answers per second (1 worker, wrk, 2026-12-07: 42–45 k/s at info, 30–32 k/s at debug; status/README.md);
 * Fastify's request logger was most of what Fastify cost here. At `debug` each request is logged as it arrives —
 * who asked (the peer, X-Forwarded-For) and what (the GET path as sent, or the POST body in base64: an OCSP request
 * names certificates, and a nonce is no secret), which `openssl ocsp -reqin` reads back.
 */
export function ocspFrontRoute(http: OcspHttp, log?: OcspAccessLog): FrontRoute {
  const access = (req: IncomingMessage, request: string | Buffer | undefined) => {
    if (!log?.isLevelEnabled('debug')) return;
    const forwardedFor = rawHeaderList(req.rawHeaders, 'x-forwarded-for');
    const what = typeof request === 'string' ? { path: request } : { body: request?.toString('base64') };
    log.debug({ peer: req.socket.remoteAddress, ...(forwardedFor ? { forwardedFor } : {}), method: req.method, ...what }, 'OCSP request');
  };
  return {
    serve(req, res) {
      const url = req.url ?? '';
      if (req.method === 'GET') {
        const segment = getSegment(url);
        if (segment === undefined) return false;
        access(req, segment);
        send(res, http.get(segment, req));
        return true;
      }
      if (req.method === 'POST' && (url === '/ocsp' || url.startsWith('/ocsp?'))) {
        readBody(req, http.maxRequestBytes, (body) => {
          access(req, body === 'error' ? undefined : body);
          send(res, body === 'error' ? http.internalError() : http.post(body, req));
        });
        return true;
      }
      return false;
    },
    unreadableUrl(url): FrontReply | undefined {
      if (getSegment(url) === undefined) return undefined;
      const reply = http.malformed();
      return { status: reply.status, headers: headerObject(reply.headers), body: reply.body! };
    },
  };
}

/**
 * The raw fast path's route (../../http/fast-path.ts): GET /ocsp/… and POST /ocsp answered from memory with one
 * write. At `debug` it takes nothing, so that every request reaches ocspFrontRoute's access log.
 */
export function ocspFastRoute(http: OcspHttp, log?: OcspAccessLog): FastRoute {
  return {
    maxBody: http.maxRequestBytes,
    accepts(method, target) {
      if (log?.isLevelEnabled('debug')) return false;
      return method === 'GET' ? target.startsWith(PREFIX) : target === '/ocsp' || target.startsWith('/ocsp?');
    },
    answer: (request, tail) => http.fast(request, tail),
    wait: (request) => http.fastWait(request),
  };
}

function send(res: ServerResponse, reply: OcspHttpReply | Promise<OcspHttpReply>): void {
  if (reply instanceof Promise) {
    // The responder never rejects; a failure here is ours, and the client still gets an OCSP answer.
    reply.then(
      (r) => write(res, r),
      () => {
        const body = bufferOf(ocspErrorAnswer('internalError').der);
        write(res, { status: 200, headers: ['content-type', OCSP_RESPONSE_TYPE, 'cache-control', 'no-store', 'content-length', String(body.length)], body });
      },
    );
    return;
  }
  write(res, reply);
}

function write(res: ServerResponse, reply: OcspHttpReply): void {
  if (res.destroyed) return;
  // A flat list: node:http stores it as it is (an object would be walked key by key, per response).
  res.writeHead(reply.status, reply.headers as string[]);
  res.end(reply.body);
}

/** The reply's headers as an object (Fastify's reply.headers, the front door's FrontReply). */
export function headerObject(headers: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < headers.length; i += 2) o[headers[i]!] = headers[i + 1]!;
  return o;
}

/**
 * The body, at most `max` bytes; undefined when it is longer (answered malformedRequest without reading the rest:
 * node:http discards what remains, as Fastify's own body limit does), 'error' when the stream failed.
 */
function readBody(req: IncomingMessage, max: number, done: (body: Buffer | undefined | 'error') => void): void {
  // node:http has checked Content-Length (one value, digits only) before the request reaches us.
  const declared = Number(rawHeader(req.rawHeaders, 'content-length'));
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
    else {
      chunks.push(chunk);
      // The whole declared body is here: answer now rather than a tick later on 'end'.
      if (size === declared) finish(chunks.length === 1 ? chunk : Buffer.concat(chunks, size));
    }
  };
  req.on('data', onData);
  req.on('end', () => finish(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
  req.on('error', () => finish('error'));
}

/**
 * A request header's value from node:http's raw list (name, value, name, value…), names compared without regard
 * to case; the first when repeated. Cheaper than `req.headers`, which node:http builds, lower-casing every name,
 * the first time it is read.
 */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  return rawHeaderValue(raw, lowerName, false);
}

/** Every value of a header that may be repeated (X-Forwarded-For), joined as node:http's `headers` would. */
function rawHeaderList(raw: readonly string[], lowerName: string): string | undefined {
  return rawHeaderValue(raw, lowerName, true);
}

function rawHeaderValue(raw: readonly string[], lowerName: string, all: boolean): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== lowerName.length || name.toLowerCase() !== lowerName) continue;
    if (!all) return raw[i + 1];
    out = out === undefined ? raw[i + 1] : `${out}, ${raw[i + 1]}`;
  }
  return out;
}
