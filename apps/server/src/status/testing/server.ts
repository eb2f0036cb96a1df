/**
 * TEST AND BENCH SUPPORT ONLY: the status service on a test database and PKI, served by the real HTTP app
 * on an ephemeral port, with a clock tests can move.
 */
import type { FastifyInstance } from 'fastify';
import { defaultConfig, type ServerConfig } from '../../config.ts';
import { silentLogger, type Logger, type ServerContext } from '../../context.ts';
import { createHttpApp } from '../../http/app.ts';
import type { Store } from '../../store/index.ts';
import { statusRoutes } from '../routes.ts';
import { createStatusService, type StatusService, type StatusServiceOptions } from '../service.ts';
import type { TestPki } from './pki.ts';

export interface TestClock {
  now(): Date;
  /** Moves the clock by `ms` from the real time (0: real time again). */
  offset(ms: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), offset: (ms) => void (offset = ms) };
}

export interface StatusHarness {
  ctx: ServerContext;
  clock: TestClock;
  service: StatusService;
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startStatusServer(
  store: Store,
  pki: TestPki,
  options: { config?: (c: ServerConfig) => void; service?: StatusServiceOptions; log?: Logger } = {},
): Promise<StatusHarness> {
  const config = defaultConfig('/nonexistent-qoltanba-home');
  options.config?.(config);
  const clock = testClock();
  const ctx: ServerContext = { config, store, signers: pki.signers, log: options.log ?? silentLogger, now: clock.now };
  const service = createStatusService(ctx, options.service);
  const app = createHttpApp({ bodyLimit: config.limits.bodyBytes });
  await app.register(statusRoutes, { service });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  config.publicUrl = address;
  return {
    ctx,
    clock,
    service,
    app,
    url: address,
    async close() {
      await service.stop();
      await app.close();
    },
  };
}
