/**
 * The status service as a server feature. One StatusService per process serves the OCSP/CRL routes (role
 * 'status'), runs the refresh and CRL schedule (role 'worker'), and receives the RA's hooks (role 'api',
 * portal), so an issuance or revocation made here is pre-signed and scheduled by the same object.
 */
import type { Feature } from './features.ts';
import type { ServerContext } from './context.ts';
import { createStatusService, statusRoutes, type StatusService } from './status/index.ts';

const services = new WeakMap<ServerContext, StatusService>();

/** The process's status service for this context, made on first use. */
export function sharedStatusService(ctx: ServerContext): StatusService {
  let service = services.get(ctx);
  if (!service) services.set(ctx, (service = createStatusService(ctx)));
  return service;
}

export const statusFeature: Feature = {
  name: 'status',
  roles: ['status', 'worker'],
  async start(app, ctx) {
    const service = sharedStatusService(ctx);
    if (ctx.config.roles.includes('status')) {
      await app.register(statusRoutes, { service });
      // OCSP from memory, kept in step with every node's status changes (status/ocsp/feed.ts).
      await service.startOcspCache();
    }
    if (ctx.config.roles.includes('worker')) {
      // One round now, so a fresh installation publishes its first CRLs at once rather than after a minute.
      await service.tick().catch((err: unknown) => ctx.log.error({ err }, 'status: first tick failed'));
      await service.start({});
    }
    return () => service.stop();
  },
};
