/**
 * Remote issuance as a portal extension (features.ts): its routes join the portal's plugin (sessions, CSRF,
 * security headers, error pages, languages). The expiry and retention sweep (retention.ts) is a cluster job
 * (jobs/feature.ts), every `sweepEveryMinutes`, once for the whole cluster. Settings
 * come from server.json "remote" (ServerConfig.remote), overridden by the options given here (tests).
 */
import type { FastifyInstance } from 'fastify';
import type { PortalExtension } from '../portal/plugin.ts';
import { DatabasePopulationRegistry, type PopulationRegistry } from '../population/index.ts';
import type { RemoteDeps } from './deps.ts';
import { HttpFaceVerifier } from './face/http-verifier.ts';
import { OperatorQueueVerifier, type FaceVerifier } from './face/verifier.ts';
import { remoteSettings, resolveRemoteOptions, type FaceVerifierSettings, type RemoteOptions } from './options.ts';
import { remoteRoutes } from './routes.ts';
import './messages.ts';

export interface RemoteFeatureOptions extends RemoteOptions {
  /** The population registry adapter (default: our own tables, `qoltanba population import`). */
  population?: PopulationRegistry;
  /** A FaceVerifier object instead of the one `faceVerifier` settings describe. */
  faces?: FaceVerifier;
}

const running = new WeakMap<FastifyInstance, RemoteDeps>();

/** What a running remote-issuance feature is made of, for tests and tools. */
export function remoteOf(app: FastifyInstance): RemoteDeps | undefined {
  return running.get(app);
}

export function faceVerifierFrom(s: FaceVerifierSettings, env: NodeJS.ProcessEnv = process.env): FaceVerifier {
  if (s.type === 'operator') return new OperatorQueueVerifier();
  return new HttpFaceVerifier({ url: s.url, token: env[s.tokenEnv ?? 'QOLTANBA_FACE_SERVICE_TOKEN'], timeoutMs: s.timeoutMs, minScore: s.minScore });
}

export function remoteIssuance(options: RemoteFeatureOptions = {}): PortalExtension {
  return {
    name: 'remote',
    async register(app, portal) {
      const { population, faces, ...settings } = options;
      const resolved = resolveRemoteOptions(remoteSettings(portal.ctx, settings));
      const deps: RemoteDeps = {
        portal,
        population: population ?? new DatabasePopulationRegistry(portal.ctx.store.db),
        faces: faces ?? faceVerifierFrom(resolved.faceVerifier),
        options: resolved,
      };
      remoteRoutes(app, deps);
      running.set(app, deps);
    },
  };
}
