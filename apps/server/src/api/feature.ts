/**
 * The CA API as a server feature (features.ts): served by processes with the `api` role. Its RA tells the
 * status service about every issuance and status change; pass `hooks` to share the process's status
 * service, otherwise the feature makes its own for the hooks (pre-signing is stateless, and the delta CRL
 * after a revocation is then scheduled by an in-process timer).
 */
import type { Feature } from '../features.ts';
import type { ServerContext } from '../context.ts';
import { createStatusService, type StatusService } from '../status/index.ts';
import { createRa, statusHooksFor, type StatusHooks } from '../ra/index.ts';
import { caApi } from './plugin.ts';

export interface CaApiFeatureOptions {
  hooks?: (ctx: ServerContext) => StatusHooks;
  /** Accept NCA's test IINs/BINs. Never in production. */
  testMode?: boolean;
  version?: string;
}

export function caApiFeature(options: CaApiFeatureOptions = {}): Feature {
  return {
    name: 'ca-api',
    roles: ['api'],
    async start(app, ctx) {
      let own: StatusService | undefined;
      const hooks = options.hooks ? options.hooks(ctx) : statusHooksFor((own = createStatusService(ctx)));
      await app.register(caApi, { ra: createRa(ctx, { hooks, testMode: options.testMode }), version: options.version });
      return async () => {
        await own?.stop();
      };
    },
  };
}
