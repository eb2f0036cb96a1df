/**
 * The CA API as one Fastify plugin: register it on the app from createHttpApp (whose error handler maps
 * every QtError to its status). Serves /api/v1/openapi.json, built from the routes' own schemas.
 */
import type { FastifyInstance } from 'fastify';
import type { Ra } from '../ra/index.ts';
import { certificateRoutes } from './certificates.ts';
import { collectRoutes, OPENAPI_PATH, serveOpenApi } from './openapi.ts';

export interface CaApiOptions {
  ra: Ra;
  /** Shown in the OpenAPI document. */
  version?: string;
}

export { OPENAPI_PATH };

export async function caApi(app: FastifyInstance, options: CaApiOptions): Promise<void> {
  collectRoutes(app);
  await certificateRoutes(app, { ra: options.ra });
  serveOpenApi(app, { title: 'Qoltanba API', version: options.version ?? '0.1.0', serverUrl: options.ra.ctx.config.publicUrl });
}
