/**
 * Time-stamping over HTTP (RFC 3161 §3.4): POST /tsp (the default TSA) and POST /tsp/<ca> (the TSA of that
 * issuing CA), a DER TimeStampReq in the body (application/timestamp-query; clients differ, so any or no
 * content type is read), a TimeStampResp back as application/timestamp-reply. Every answer is a
 * TimeStampResp — oversized, unreadable and malformed bodies included — so this plugin keeps its own
 * error handler instead of the JSON one; HTTP says 200 except 404, 413 and 429 (service.ts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TsaAnswer, TsaService } from './service.ts';

export const TIMESTAMP_REPLY_TYPE = 'application/timestamp-reply';

export async function tsaRoutes(app: FastifyInstance, options: { service: TsaService }): Promise<void> {
  const { service } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: service.options.requestBytes }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    // Bodies too large or unreadable arrive here before any handler runs.
    const e = err as { code?: string; statusCode?: number };
    let answer: TsaAnswer;
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') answer = service.refuse('QT_ERR_TOO_LARGE', `the request is larger than ${service.options.requestBytes} bytes`);
    else if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) answer = service.refuse('QT_ERR_TSP_REQUEST_MALFORMED', 'the request body cannot be read');
    else {
      request.log.error({ err }, 'tsa: request failed');
      answer = service.refuse('QT_ERR_TSA_UNAVAILABLE', 'the time-stamp could not be made');
    }
    void send(reply, answer);
  });

  const body = (b: unknown) => (Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : undefined);
  // No access-log line per stamp (a TSA answers thousands a second): every outcome is counted in the audit
  // tally instead, and our own failures are logged as errors by the service.
  const quiet = { logLevel: 'warn' } as const;
  app.post('/tsp', quiet, async (request, reply) => send(reply, await service.answer(body(request.body))));
  app.post<{ Params: { ca: string } }>('/tsp/:ca', quiet, async (request, reply) => send(reply, await service.answer(body(request.body), request.params.ca)));
}

function send(reply: FastifyReply, answer: TsaAnswer): FastifyReply {
  reply.code(answer.httpStatus).type(TIMESTAMP_REPLY_TYPE).header('cache-control', 'no-store');
  if (answer.httpStatus === 429) reply.header('retry-after', '1');
  return reply.send(Buffer.from(answer.der.buffer, answer.der.byteOffset, answer.der.byteLength));
}
