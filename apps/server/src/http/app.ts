/**
 * The HTTP application: one Fastify instance whose features (status, CA API, portal) register as plugins.
 * Errors leave through one handler: a QtError keeps its stable code, Fastify's own errors are translated to
 * codes, anything else is logged and shown as QT_ERR_INTERNAL without internals.
 */
import Fastify, { type FastifyInstance, type FastifyError, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { QtError, isQtError, type QtErrorCode } from '@qoltanba/pki';
import { httpStatusFor } from './error-status.ts';
import { attachFrontDoor, FrontDoor, frontDoorServerFactory } from './front-door.ts';

export interface HttpAppOptions {
  bodyLimit: number;
  logger?: FastifyServerOptions['logger'];
  /** Trust X-Forwarded-For from a load balancer in front (rate limits then see real client addresses). */
  trustProxy?: boolean;
}

export interface ErrorBody {
  error: { code: QtErrorCode; message: string; details?: Readonly<Record<string, unknown>> };
}

export function errorBody(e: QtError): ErrorBody {
  return { error: e.details ? { code: e.code, message: e.message, details: e.details } : { code: e.code, message: e.message } };
}

/** Fastify's own failures (JSON parse, body limit, schema validation, media type) as QtErrors. */
export function translateFastifyError(e: FastifyError): QtError | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new QtError('QT_ERR_TOO_LARGE', 'The request body is larger than this endpoint accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new QtError('QT_ERR_UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new QtError('QT_ERR_INPUT_INVALID', 'The request body is empty; JSON was expected');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new QtError('QT_ERR_INPUT_INVALID', `The request body is not valid JSON: ${e.message}`);
    case 'FST_ERR_VALIDATION':
      return new QtError('QT_ERR_INPUT_INVALID', `The request does not match the API: ${e.message}`);
    default:
      break;
  }
  if (e instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) {
    return new QtError('QT_ERR_INPUT_INVALID', `The request body is not valid JSON: ${e.message}`);
  }
  if (e.statusCode === 429) return new QtError('QT_ERR_RATE_LIMITED');
  return undefined;
}

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  // Plain node:http routes that answer before Fastify (front-door.ts): OCSP from memory.
  const door = new FrontDoor();
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
    serverFactory: frontDoorServerFactory(door),
    // Errors raised before routing (a URL with broken percent-encoding, say) get a stable code too — or, on a
    // path a front route owns (/ocsp/…), that route's own answer.
    frameworkErrors: (error, request, reply) => {
      const own = door.unreadableUrl(request.url);
      if (own) {
        void (reply as FastifyReply).status(own.status).headers(own.headers).send(own.body);
        return;
      }
      const qt = translateFastifyError(error as FastifyError) ?? new QtError('QT_ERR_INPUT_INVALID', `The request cannot be read: ${error.message}`);
      void (reply as FastifyReply).status(httpStatusFor(qt.code)).type('application/json').send(errorBody(qt));
    },
  });
  attachFrontDoor(app, door);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const qt = isQtError(err) ? err : translateFastifyError(err);
    if (qt) {
      void reply.status(httpStatusFor(qt.code)).type('application/json').send(errorBody(qt));
      return;
    }
    request.log.error({ err }, 'unhandled error');
    void reply.status(500).type('application/json').send(errorBody(new QtError('QT_ERR_INTERNAL')));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(new QtError('QT_ERR_NOT_FOUND', `Nothing is served at ${request.method} ${request.url.split('?')[0]}`)));
  });
  return app;
}
