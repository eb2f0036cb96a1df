/**
 * OCSP routes on the HTTP app. The requests themselves are answered by OcspHttp (http.ts): on the app's front
 * door (plain node:http, before Fastify) when the app has one — every server made by createHttpApp — and by the
 * Fastify routes below otherwise, and for `app.inject`. These keep their own error handler instead of the JSON
 * one: an oversized or unreadable body is still an OCSP answer (malformedRequest).
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { frontDoorOf } from '../../http/front-door.ts';
import { clientAddressResolver } from './client-address.ts';
import { headerObject, OcspHttp, ocspFastRoute, ocspFrontRoute, type OcspAccessLog, type OcspHttpReply } from './http.ts';
import type { OcspResponder } from './responder.ts';

export interface OcspRoutesOptions {
  responder: OcspResponder;
  /** Larger bodies are not read: malformedRequest. */
  maxRequestBytes: number;
  now: () => Date;
  /** Proxies whose X-Forwarded-For names the client (config ocsp.trustProxy). */
  trustProxy?: readonly string[];
  /** Serve on the app's front door too (default true). */
  frontDoor?: boolean;
  /** With the front door, also answer from memory on the raw connection beneath node:http (default true). */
  fastPath?: boolean;
}

export async function ocspRoutes(app: FastifyInstance, options: OcspRoutesOptions): Promise<void> {
  const http = new OcspHttp(options.responder, { maxRequestBytes: options.maxRequestBytes, now: options.now, clientOf: clientAddressResolver(options.trustProxy ?? []) });
  const door = options.frontDoor ?? true ? frontDoorOf(app) : undefined;
  if (door) {
    const log = accessLogOf(app.log);
    door.add(ocspFrontRoute(http, log));
    // Beneath it, on the raw connection: answers from memory in one write (../../http/fast-path.ts).
    if (options.fastPath ?? true) door.fastRoute = ocspFastRoute(http, log);
  }

  // Clients differ in the content type they send (or send none); the body is the DER request regardless.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxRequestBytes }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    // Oversized or unreadable bodies arrive here before any handler runs.
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return send(reply, http.malformed());
    request.log.error({ err }, 'OCSP request failed');
    return send(reply, http.internalError());
  });

  app.post('/ocsp', async (request, reply) => {
    const body = request.body;
    // The raw request: its socket's address, not request.ip — which proxies are believed is ocsp.trustProxy's to say, here as on the front door.
    return send(reply, await http.post(Buffer.isBuffer(body) ? body : undefined, request.raw));
  });

  app.get('/ocsp/*', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const encoded = path.slice(path.indexOf('/ocsp/') + '/ocsp/'.length);
    return send(reply, await http.get(encoded, request.raw));
  });
}

function send(reply: FastifyReply, r: OcspHttpReply): FastifyReply {
  reply.code(r.status).headers(headerObject(r.headers));
  return r.body ? reply.send(r.body) : reply.send();
}

/** The app's pino logger as the front door's access log; none when the app logs nothing (Fastify's stand-in has no levels). */
function accessLogOf(log: FastifyBaseLogger): OcspAccessLog | undefined {
  const pino = log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };
  if (typeof pino.isLevelEnabled !== 'function') return undefined;
  return { isLevelEnabled: (level) => pino.isLevelEnabled!(level), debug: (obj, msg) => pino.debug(obj, msg) };
}
