/**
 * Starts the server: configuration, the database (embedded PGlite by default, PostgreSQL with DATABASE_URL),
 * migrations, the CA ceremony on first start, the signer, then the HTTP features this process's roles serve.
 * Restarting reuses everything; nothing here holds state that the database does not.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { KeyStoreConfig } from '@qoltanba/keystore';
import { loadServerConfig, type ServerConfig, type ServerConfigOverrides } from './config.ts';
import type { Logger, ServerContext } from './context.ts';
import { createHttpApp } from './http/app.ts';
import { migrate, openDatabase, type Store } from './store/index.ts';
import { loadCeremonyConfig } from './ca/ceremony-config.ts';
import { runCeremony, type CaSummary } from './ca/ceremony.ts';
import { InProcessSignerProvider } from './signer/in-process.ts';
import type { SignerProvider } from './signer/provider.ts';
import { NetworkSignerProvider } from './signer/network.ts';
import { resolvePassphrase } from './secrets.ts';
import { serverFeatures } from './features.ts';
import { clusterJobs } from './jobs/running.ts';
import { createStatusService, type StatusService } from './status/index.ts';
import { settlePublicUrl } from './system/installation.ts';
import { checkDemoDirectory, prepareDemo } from './demo/startup.ts';
import type { DemoFile } from './demo/seed.ts';

export const VERSION = '0.1.0';

export interface StartOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  overrides?: ServerConfigOverrides;
  /** Pino options or false; default: info level with secrets redacted. */
  logger?: boolean | object;
}

export interface RunningServer {
  config: ServerConfig;
  ctx: ServerContext;
  /** The process's one status service (OCSP/CRL routes, schedule, the RA's hooks). */
  status: StatusService;
  app: FastifyInstance;
  url: string;
  cas: CaSummary[];
  /** Set when the CA passphrase is the generated development default. */
  developmentPassphraseFile: string | undefined;
  /** `up --demo`: what demo/demo.json says (the made-up people, their key files and passwords). */
  demo: DemoFile | undefined;
  close(): Promise<void>;
}

const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["idempotency-key"]', 'res.headers["set-cookie"]'];

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const config = loadServerConfig({ home: options.home, env, overrides: options.overrides });
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const app = createHttpApp({
    bodyLimit: config.limits.bodyBytes,
    logger: options.logger === false ? false : (options.logger ?? { level: env.LOG_LEVEL ?? 'info', redact: REDACT }),
  });
  const log: Logger = app.log;
  // The keystore reads the passphrase variable from the process environment, so the decision is made there too.
  const passphrase = resolvePassphrase(config.home, process.env, config.keys.passphraseFile, config.keys.passphraseEnv);
  if (passphrase.generated) {
    log.warn(`development default: the CA key passphrase was generated into ${passphrase.developmentDefault}; in production pass QOLTANBA_PASSPHRASE or --passphrase-file from somewhere else`);
  } else if (passphrase.developmentDefault) {
    // Said loudly once, when it was generated; later starts only note where it comes from.
    log.info(`CA key passphrase: the development default in ${passphrase.developmentDefault}`);
  }
  const keystore: KeyStoreConfig = {
    soft: { dir: config.keys.softDir, passphraseFile: passphrase.passphraseFile, passphraseEnv: passphrase.passphraseEnv },
  };

  let store: Store | undefined;
  let signers: SignerProvider | undefined;
  const stops: Array<() => Promise<void>> = [];
  try {
    store = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: join(config.home, 'db'),
      poolSize: config.database.poolSize,
      preparedStatements: config.database.preparedStatements,
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
    });
    await migrate(store.db);
    // Before anything else is decided or written: is this directory (not) a demo? (demo/startup.ts)
    const demoState = await checkDemoDirectory(store.db, config);
    // One public address for every process (system/installation.ts): stored at the first start, kept
    // afterwards unless --public-url says otherwise.
    const publicUrl = await settlePublicUrl(store.db, config, 'system:server');
    if (publicUrl.warning) log.warn(publicUrl.warning);
    if (publicUrl.outcome === 'changed') log.warn(`the public address is now ${publicUrl.url} (given with --public-url; recorded in the audit log)`);
    config.publicUrl = publicUrl.url;
    // The demo's SMS gateway records instead of sending (notify/sms/demo-gateway.ts); nothing else may be used.
    if (config.demo) config.notify = { ...config.notify, sms: { type: 'demo' } };
    const { config: ceremony, path: ceremonyPath, created } = loadCeremonyConfig(config.home);
    if (created) log.info(`CA ceremony plan written to ${ceremonyPath}; review it before production use`);
    const holdsKeys = config.signer.mode === 'in-process';
    const cas = holdsKeys
      ? await runCeremony({ db: store.db, keystore, config: ceremony, publicUrl: config.publicUrl, home: config.home })
      : [];
    signers = config.signer.mode === 'network' ? new NetworkSignerProvider(config.signer) : new InProcessSignerProvider(keystore);
    const ctx: ServerContext = { config, store, signers, log, now: () => new Date() };
    // One per process, shared by the features (features.ts); it sends its jobs through the jobs feature's
    // pg-boss once that has started. The status feature stops it.
    const status = createStatusService(ctx, { jobs: () => clusterJobs(ctx) });
    // The ceremony's last step: a new CA's first full and delta CRL, before anything can point at them.
    if (holdsKeys) await status.publishMissingCrls();

    for (const feature of serverFeatures({ status, keystore, version: VERSION })) {
      if (feature.roles.some((r) => config.roles.includes(r))) stops.push(await feature.start(app, ctx));
    }
    const demo = await prepareDemo(ctx, status, demoState);
    const address = await app.listen({ host: config.host, port: config.port });
    const url = address.replace('[::1]', 'localhost');
    const openStore = store;
    const openSigners = signers;
    let closing: Promise<void> | undefined;
    return {
      config,
      ctx,
      status,
      app,
      url,
      cas,
      developmentPassphraseFile: passphrase.developmentDefault,
      demo,
      close: () =>
        (closing ??= (async () => {
          await app.close();
          for (const stop of stops.reverse()) await stop();
          await openSigners.close();
          await openStore.close();
        })()),
    };
  } catch (e) {
    await app.close().catch(() => undefined);
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await signers?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    throw e;
  }
}
