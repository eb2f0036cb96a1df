/**
 * TEST AND BENCH SUPPORT ONLY: the CA API on the real HTTP app (createHttpApp's error handler, body
 * limits, schemas) over a CA fixture, with API tokens of each scope.
 */
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../../http/app.ts';
import type { Store } from '../../store/index.ts';
import { caFixture, type CaFixture, type CaFixtureOptions } from '../../ra/testing/fixture.ts';
import { createRa, type RaOptions } from '../../ra/index.ts';
import { statusHooksFor } from '../../ra/hooks.ts';
import { caApi } from '../plugin.ts';
import { createApiToken } from '../tokens.ts';

export interface ApiHarness {
  fx: CaFixture;
  app: FastifyInstance;
  /** Bearer header values. */
  auth: { issuer: string; revoker: string; reader: string; all: string };
  close(): Promise<void>;
}

export async function apiHarness(store: Store, options: CaFixtureOptions & { raOptions?: Omit<RaOptions, 'hooks'> } = {}): Promise<ApiHarness> {
  const fx = await caFixture(store, options);
  const ra = options.raOptions ? createRa(fx.ctx, { ...options.raOptions, hooks: statusHooksFor(fx.status) }) : fx.ra;
  const app = await apiApp(ra);
  const bearer = async (name: string, scopes: string[]) => `Bearer ${(await createApiToken(store.db, { name: `${name}-${Math.random().toString(36).slice(2, 8)}`, scopes, actor: 'operator:test' })).token}`;
  const auth = {
    issuer: await bearer('issuer', ['issue', 'read']),
    revoker: await bearer('revoker', ['revoke', 'read']),
    reader: await bearer('reader', ['read']),
    all: await bearer('all', ['issue', 'revoke', 'read']),
  };
  return {
    fx,
    app,
    auth,
    async close() {
      await app.close();
      await fx.close();
    },
  };
}

export async function apiApp(ra: CaFixture['ra']): Promise<FastifyInstance> {
  const app = createHttpApp({ bodyLimit: ra.ctx.config.limits.bodyBytes });
  await app.register(caApi, { ra });
  await app.ready();
  return app;
}
