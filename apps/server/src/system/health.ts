/** GET /healthz: is this process serving, and can it reach its database? (load balancers and `up` use it) */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { ServerContext } from '../context.ts';
import { workerIndex } from './workers.ts';

export async function healthRoutes(app: FastifyInstance, opts: { ctx: ServerContext; version: string }): Promise<void> {
  app.get('/healthz', {
    schema: {
      response: {
        200: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, version: { type: 'string' }, worker: { type: 'integer' } } },
        503: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } },
      },
    },
  }, async (_req, reply) => {
    try {
      await sql`SELECT 1`.execute(opts.ctx.store.db);
      // Under `up --workers`, which process answered (1…N): load balancers and operators can see every worker serve.
      return { status: 'ok', database: opts.ctx.store.backend, roles: opts.ctx.config.roles, version: opts.version, worker: workerIndex() };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });
}
