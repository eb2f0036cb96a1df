/**
 * The CA API as a server feature (features.ts): served by processes with the `api` role. Its RA tells the
 * process's status service (made once by start.ts) about every issuance and status change, so OCSP is
 * pre-signed and the delta CRL after a revocation asked for by the service that answers them.
 */
import type { Feature } from '../context.ts';
import type { StatusService } from '../status/index.ts';
import { createRa, statusHooksFor } from '../ra/index.ts';
import { caApi } from './plugin.ts';

export interface CaApiFeatureOptions {
  /** The process's status service: the RA's hooks go to it. */
  status: StatusService;
  /** Accept NCA's test IINs/BINs. Never in production. */
  testMode?: boolean;
  version?: string;
}

export function caApiFeature(options: CaApiFeatureOptions): Feature {
  return {
    name: 'ca-api',
    roles: ['api'],
    async start(app, ctx) {
      const hooks = statusHooksFor(options.status);
      await app.register(caApi, { ra: createRa(ctx, { hooks, testMode: options.testMode }), version: options.version });
      // The status service is the process's: whoever made it stops it.
      return async () => undefined;
    },
  };
}
