/**
 * The status service as a server feature. The process's one StatusService (made by start.ts) serves the
 * OCSP/CRL routes (role 'status'), works the refresh and CRL schedule as cluster jobs (role 'worker',
 * jobs/feature.ts), and receives the RA's hooks (roles 'api' and 'portal'), so an issuance or revocation made
 * here is pre-signed and its delta CRL asked for by the same object.
 */
import type { Feature } from '../context.ts';
import { clusterJobs } from '../jobs/feature.ts';
import { statusRoutes } from './routes.ts';
import { deltaQueue } from './schedule.ts';
import type { StatusService } from './service.ts';

export function statusFeature(service: StatusService): Feature {
  return {
    name: 'status',
    // 'api' and 'portal' nodes revoke: they send delta-CRL jobs, so the queue must exist for them too.
    roles: ['status', 'worker', 'api', 'portal'],
    async start(app, ctx) {
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
}
