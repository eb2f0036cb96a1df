/**
 * The time-stamping authority as a server feature (features.ts): served by processes with the `tsa` role,
 * which the one-command start includes. POST /tsp and /tsp/<ca> over one TsaService per process.
 */
import type { Feature } from '../context.ts';
import { resolveTsaOptions, type TsaOptions } from './options.ts';
import { tsaRoutes } from './routes.ts';
import { createTsaService, type TsaService } from './service.ts';

export interface TsaFeatureOptions {
  /** Replaces the configuration's `tsa` section (tests). */
  options?: TsaOptions;
  /** Receives the service once started (tests drive its clock check and tally). */
  onService?: (service: TsaService) => void;
}

export function tsaFeature(feature: TsaFeatureOptions = {}): Feature {
  return {
    name: 'tsa',
    roles: ['tsa'],
    async start(app, ctx) {
      const service = await createTsaService(ctx, resolveTsaOptions(feature.options ?? ctx.config.tsa));
      feature.onService?.(service);
      await app.register(tsaRoutes, { service });
      return () => service.stop();
    },
  };
}
