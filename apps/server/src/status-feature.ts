/**
 * The status service as a server feature. One StatusService per process serves the OCSP/CRL routes (role
 * 'status'), works the refresh and CRL schedule as cluster jobs (role 'worker', jobs/feature.ts), and
 * receives the RA's hooks (role 'api', portal), so an issuance or revocation made here is pre-signed and
 * its delta CRL asked for by the same object.
 */
import type { Feature } from './features.ts';
import type { ServerContext } from './context.ts';
import { createStatusService, statusRoutes, type StatusService } from './status/index.ts';
import { clusterJobs } from './jobs/feature.ts';
import { deltaQueue } from './status/schedule.ts';

const services = new WeakMap<ServerContext, StatusService>();

/** The process's status service for this context, made on first use. */
export function sharedStatusService(ctx: ServerContext): StatusService {
  let service = services.get(ctx);
  if (!service) services.set(ctx, (service = createStatusService(ctx, { jobs: () => clusterJobs(ctx) })));
  return service;
}

export const statusFeature: Feature = {
  name: 'status',
  // 'api' and 'portal' nodes revoke: they send delta-CRL jobs, so the queue must exist for them too.
  roles: ['status', 'worker', 'api', 'portal'],
  async start(app, ctx) {
    const service = sharedStatusService(ctx);
    if (ctx.config.roles.includes('status')) {
      await app.register(statusRoutes, { service });
      // OCSP from memory, kept in step with every node's status changes (status/ocsp/feed.ts).
      await service.startOcspCache();
    }
    const jobs = clusterJobs(ctx);
    if (!jobs) throw new Error('the status feature needs the jobs feature started before it (features.ts)');
    // The first CRLs are the ceremony's (publishMissingCrls); after that the cluster's minute tick decides.
    if (ctx.config.roles.includes('worker')) {
      await service.start({ jobs });
    } else {
      // Nodes that only send delta jobs still need the queue to exist.
      await deltaQueue(service, jobs);
    }
    return () => service.stop();
  },
};
