/**
 * OCSP over HTTP (RFC 6960 Appendix A, RFC 5019 §5): POST /ocsp with the DER request as the body, and
 * GET /ocsp/{url-encoded base64 of the DER request}. Every answer is an OCSP response with HTTP 200 —
 * including malformed, oversized or unreadable requests (malformedRequest) and our own failures
 * (internalError, tryLater) — so this plugin keeps its own error handler instead of the JSON one.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fromBase64 } from '@qoltanba/pki';
import { ocspErrorAnswer, type OcspAnswer, type OcspResponder } from './responder.ts';

export const OCSP_RESPONSE_TYPE = 'application/ocsp-response';

export interface OcspRoutesOptions {
  responder: OcspResponder;
  /** Larger bodies are not read: malformedRequest. */
  maxRequestBytes: number;
  now: () => Date;
}

export async function ocspRoutes(app: FastifyInstance, options: OcspRoutesOptions): Promise<void> {
  const { responder } = options;
  // Clients differ in the content type they send (or send none); the body is the DER request regardless.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxRequestBytes }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    // Oversized or unreadable bodies arrive here before any handler runs.
    const status = (err as { statusCode?: number }).statusCode;
    const answer = status !== undefined && status >= 400 && status < 500 ? ocspErrorAnswer('malformedRequest') : ocspErrorAnswer('internalError');
    if (answer.outcome === 'internalError') request.log.error({ err }, 'OCSP request failed');
    void send(reply, answer, { cacheable: false, now: options.now });
  });

  app.post('/ocsp', async (request, reply) => {
    const body = request.body;
    const answer = Buffer.isBuffer(body) && body.length > 0 ? await responder.answer(body) : ocspErrorAnswer('malformedRequest');
    return send(reply, answer, { cacheable: false, now: options.now });
  });

  app.get('/ocsp/*', async (request, reply) => {
    const der = requestFromPath(request, options.maxRequestBytes);
    const answer = der ? await responder.answer(der) : ocspErrorAnswer('malformedRequest');
    if (answer.validity && request.headers['if-none-match'] === etagOf(answer.der)) {
      setCachingHeaders(reply, answer, options.now());
      return reply.code(304).send();
    }
    return send(reply, answer, { cacheable: true, now: options.now });
  });
}

/** The DER request in a GET path: URL-decoded (so %2F, %2B, %3D are tolerated), then strict base64. */
function requestFromPath(request: FastifyRequest, maxBytes: number): Uint8Array | undefined {
  const path = request.url.split('?')[0] ?? '';
  const encoded = path.slice(path.indexOf('/ocsp/') + '/ocsp/'.length);
  // Base64 of the largest request we accept, URL-encoded (each character at most 3).
  if (encoded.length === 0 || encoded.length > Math.ceil(maxBytes / 3) * 4 * 3) return undefined;
  try {
    const der = fromBase64(decodeURIComponent(encoded));
    return der.length > 0 ? der : undefined;
  } catch {
    return undefined;
  }
}

function send(reply: FastifyReply, answer: OcspAnswer, how: { cacheable: boolean; now: () => Date }): FastifyReply {
  reply.code(200).type(OCSP_RESPONSE_TYPE);
  if (how.cacheable && answer.validity) setCachingHeaders(reply, answer, how.now());
  else reply.header('cache-control', 'no-store');
  return reply.send(Buffer.from(answer.der.buffer, answer.der.byteOffset, answer.der.byteLength));
}

/** RFC 5019 §6.2: cacheable until nextUpdate, and revalidated after; the ETag names the exact bytes. */
function setCachingHeaders(reply: FastifyReply, answer: OcspAnswer, now: Date): void {
  const { thisUpdate, nextUpdate } = answer.validity!;
  const maxAge = Math.max(0, Math.floor((nextUpdate.getTime() - now.getTime()) / 1000));
  reply.header('cache-control', `public, max-age=${maxAge}, no-transform, must-revalidate`);
  reply.header('last-modified', thisUpdate.toUTCString());
  reply.header('expires', nextUpdate.toUTCString());
  reply.header('etag', etagOf(answer.der));
}

function etagOf(der: Uint8Array): string {
  return `"${createHash('sha256').update(der).digest('base64url').slice(0, 32)}"`;
}
