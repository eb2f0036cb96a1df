/** GET /healthz: is this process serving, and can it reach its database? (load balancers and `up` use it) */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { ServerContext } from '../context.ts';

export async function healthRoutes(app: FastifyInstance, opts: { ctx: ServerContext; version: string }): Promise<void> {
  app.get('/healthz', {
    schema: {
      response: {
        200: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, version: { type: 'string' } } },
        503: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } },
      },
    },
  }, async (_req, reply) => {
    try {
      await sql`SELECT 1`.execute(opts.ctx.store.db);
      return { status: 'ok', database: opts.ctx.store.backend, roles: opts.ctx.config.roles, version: opts.version };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });
}
