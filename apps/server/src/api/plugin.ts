/**
 * The CA API as one Fastify plugin: register it on the app from createHttpApp (whose error handler maps
 * every QtError to its status). Serves /api/v1/openapi.json, built from the routes' own schemas.
 */
import type { FastifyInstance } from 'fastify';
import type { Ra } from '../ra/index.ts';
import { certificateRoutes } from './certificates.ts';
import { collectRoutes } from './openapi.ts';

export interface CaApiOptions {
  ra: Ra;
  /** Shown in the OpenAPI document. */
  version?: string;
}

export const OPENAPI_PATH = '/api/v1/openapi.json';

export async function caApi(app: FastifyInstance, options: CaApiOptions): Promise<void> {
  const collector = collectRoutes(app);
  await certificateRoutes(app, { ra: options.ra });
  const info = { title: 'Qoltanba CA API', version: options.version ?? '0.1.0', serverUrl: options.ra.ctx.config.publicUrl };
  app.get(OPENAPI_PATH, { schema: { hide: true } as object }, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return collector.document(info);
  });
}
