/**
 * The verification service as a server feature (features.ts): served by processes with the `verify` role,
 * which the one-command start includes. Our /api/v1/verify (in the OpenAPI document) and NCANode's REST
 * shapes, over one VerifyService.
 */
import type { Feature } from '../context.ts';
import { ncanodeRoutes } from './ncanode/routes.ts';
import { resolveVerifyOptions, type VerifyOptions } from './options.ts';
import { verifyRoutes } from './routes.ts';
import { createVerifyService, type VerifyService } from './service.ts';
import { registryTrust, trustStoreLoader } from './trust.ts';

export interface VerifyFeatureOptions {
  /** Replaces the configuration's `verify` section (tests). */
  options?: VerifyOptions;
  /** Receives the service once started (tests look at its fetcher and cache). */
  onService?: (service: VerifyService) => void;
  /** Shown in the OpenAPI document. */
  version?: string;
}

export function verifyFeature(feature: VerifyFeatureOptions = {}): Feature {
  return {
    name: 'verify',
    roles: ['verify'],
    async start(app, ctx) {
      const options = resolveVerifyOptions(feature.options ?? ctx.config.verify);
      const trust = trustStoreLoader(options.trust, () => registryTrust(ctx.store.db));
      // Read now, so a missing or unreadable trust file stops the start instead of failing every request.
      await trust();
      const service = createVerifyService(options, trust, () => ctx.now());
      feature.onService?.(service);
      await app.register(verifyRoutes, { service, serverUrl: ctx.config.publicUrl, version: feature.version ?? '0.1.0' });
      await app.register(ncanodeRoutes, { service });
      return async () => {};
    },
  };
}
