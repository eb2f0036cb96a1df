/**
 * TEST AND BENCH SUPPORT ONLY: the status service on a test database and PKI, served by the real HTTP app
 * on an ephemeral port, with a clock tests can move.
 */
import { request as httpRequest } from 'node:http';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { defaultConfig, type ServerConfig } from '../../config.ts';
import { silentLogger, type Logger, type ServerContext } from '../../context.ts';
import { createHttpApp } from '../../http/app.ts';
import type { Store } from '../../store/index.ts';
import type { SignerProvider } from '../../signer/provider.ts';
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
  options: {
    config?: (c: ServerConfig) => void;
    service?: StatusServiceOptions;
    log?: Logger;
    /** false: no change feed, so every answer comes from the database (the cache is never fresh). */
    cache?: boolean;
    /** Instead of the PKI's own (e.g. gatedSigners around them). */
    signers?: SignerProvider;
    /** The HTTP app's own logger (Fastify's option; default none). */
    appLogger?: FastifyServerOptions['logger'];
    /** false: OCSP on the node:http front door only, without the raw fast path beneath it. */
    fastPath?: boolean;
  } = {},
): Promise<StatusHarness> {
  const config = defaultConfig('/nonexistent-qoltanba-home');
  options.config?.(config);
  const clock = testClock();
  const ctx: ServerContext = { config, store, signers: options.signers ?? pki.signers, log: options.log ?? silentLogger, now: clock.now };
  const service = createStatusService(ctx, options.service);
  const app = createHttpApp({ bodyLimit: config.limits.bodyBytes, logger: options.appLogger });
  await app.register(statusRoutes, { service, ocspFastPath: options.fastPath ?? true });
  if (options.cache !== false) await service.startOcspCache();
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

/** GET with the path sent exactly as written (fetch and URL would re-encode a broken escape). */
export function rawGet(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<{ status: number; type: string | undefined; headers: Record<string, unknown>; body: Buffer }> {
  const u = new URL(url.replace(/%/g, '%25'));
  const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: 'GET', headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface GatedSigners {
  provider: SignerProvider;
  /** Signatures waiting at the gate. */
  readonly waiting: number;
  open(): void;
}

/**
 * The real signers, but every signature waits until the gate opens: a signer that is slow for as long as a test
 * needs (a busy HSM, say), so work in flight can be counted without racing it.
 */
export function gatedSigners(inner: SignerProvider): GatedSigners {
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  let waiting = 0;
  return {
    provider: {
      async signerFor(keyUri, purpose) {
        const signer = await inner.signerFor(keyUri, purpose);
        return {
          publicKey: signer.publicKey,
          algorithm: signer.algorithm,
          async sign(data) {
            waiting++;
            await gate;
            waiting--;
            return signer.sign(data);
          },
        };
      },
      close: () => Promise.resolve(),
    },
    get waiting() {
      return waiting;
    },
    open() {
      release();
      gate = Promise.resolve();
    },
  };
}
