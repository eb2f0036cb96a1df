/**
 * BENCH SUPPORT: our OCSP responder as `qoltanba up --workers N` runs it — N node:cluster workers on one port
 * (apps/server/src/system/workers.ts), each with its own database pool, OCSP cache and change feed, the HTTP app
 * from createHttpApp (front door included) and the request logger at `info` as in production (its output is
 * discarded by the caller) — but with only the status routes, on the bench's database and test PKI.
 *
 *   node --import tsx bench/lib/ocsp-node.ts '{"databaseUrl":"postgres://…","keysDir":"…","workers":2,"port":0}'
 *
 * Prints one JSON line {"port":…, "pids":[…]} once every worker serves; SIGTERM stops them all.
 */
import cluster from 'node:cluster';
import { defaultConfig } from '../../apps/server/src/config.ts';
import { createHttpApp } from '../../apps/server/src/http/app.ts';
import type { ServerContext } from '../../apps/server/src/context.ts';
import { InProcessSignerProvider } from '../../apps/server/src/signer/in-process.ts';
import { openDatabase } from '../../apps/server/src/store/index.ts';
import { statusRoutes } from '../../apps/server/src/status/routes.ts';
import { createStatusService } from '../../apps/server/src/status/service.ts';
import { TEST_PASSPHRASE_ENV } from '../../apps/server/src/status/testing/pki.ts';
import { reportReady, startWorkers } from '../../apps/server/src/system/workers.ts';

export interface OcspNodeSpec {
  databaseUrl: string;
  keysDir: string;
  workers: number;
  port: number;
  /** false: /ocsp through Fastify's routing (and its request logger) instead of the node:http front door. */
  frontDoor: boolean;
  /** false: the front door on node:http only, without the raw fast path beneath it (default true). */
  fastPath?: boolean;
}

const spec = JSON.parse(process.argv[2] ?? '') as OcspNodeSpec;

if (cluster.isPrimary) {
  const log = { info: (m: string) => process.stderr.write(`${m}\n`), warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  const pool = await startWorkers<null>({ count: spec.workers, log });
  process.stdout.write(`${JSON.stringify({ port: pool.first.port, pids: pool.pids() })}\n`);
  process.once('SIGTERM', () => void pool.stop().then(() => process.exit(0)));
} else {
  const config = defaultConfig('/nonexistent-qoltanba-home');
  config.port = spec.port;
  // Every nonce request is signed in the measurement (the caps would answer part of it tryLater, which wrk counts as answered).
  config.ocsp.onDemandConcurrency = Number.MAX_SAFE_INTEGER;
  config.ocsp.onDemandPerClient = Number.MAX_SAFE_INTEGER;
  const store = await openDatabase({ databaseUrl: spec.databaseUrl, dataDir: '/nonexistent-qoltanba-home/db' });
  const signers = new InProcessSignerProvider({ soft: { dir: spec.keysDir, passphraseEnv: TEST_PASSPHRASE_ENV } });
  const app = createHttpApp({ bodyLimit: config.limits.bodyBytes, logger: { level: 'info' } });
  const ctx: ServerContext = { config, store, signers, log: app.log, now: () => new Date() };
  const service = createStatusService(ctx);
  await app.register(statusRoutes, { service, ocspFrontDoor: spec.frontDoor, ocspFastPath: spec.fastPath ?? true });
  await service.startOcspCache();
  const address = await app.listen({ host: '127.0.0.1', port: spec.port });
  reportReady(Number(new URL(address).port), null);
  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      await service.stop();
      await signers.close();
      await store.close();
      process.exit(0);
    })();
  });
}
