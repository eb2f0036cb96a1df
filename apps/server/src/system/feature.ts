/** GET /healthz (health.ts) as a server feature: every process answers it, whatever its roles. */
import { roles } from '../config.ts';
import type { Feature } from '../context.ts';
import { healthRoutes } from './health.ts';

export function healthFeature(version: string): Feature {
  return {
    name: 'health',
    roles,
    async start(app, ctx) {
      await app.register(healthRoutes, { ctx, version });
      return async () => undefined;
    },
  };
}
