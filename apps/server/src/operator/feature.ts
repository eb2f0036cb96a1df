/**
 * The RA operators' console as a portal extension (features.ts): its routes join the portal's plugin with
 * the operator audience (own cookie, own sessions). It reads the same "remote" settings as remote issuance
 * (how many rejections close an application, how long a review is held).
 */
import type { PortalExtension } from '../portal/plugin.ts';
import { DatabasePopulationRegistry, type PopulationRegistry } from '../population/index.ts';
import { remoteSettings, resolveRemoteOptions, type RemoteOptions } from '../remote/options.ts';
import { operatorRoutes } from './routes.ts';

export interface OperatorConsoleOptions {
  remote?: RemoteOptions;
  population?: PopulationRegistry;
}

export function operatorConsole(options: OperatorConsoleOptions = {}): PortalExtension {
  return {
    name: 'operator',
    async register(app, portal) {
      operatorRoutes(app, {
        portal,
        population: options.population ?? new DatabasePopulationRegistry(portal.ctx.store.db),
        remote: resolveRemoteOptions(remoteSettings(portal.ctx, options.remote)),
      });
    },
  };
}
