/**
 * `qoltanba ca init` as one server function: the installation's public address (stored at the first run,
 * system/installation.ts), the ceremony from the reviewable plan, and the first full and delta CRL of every
 * new CA — so every address the CA certificates and later certificates name answers from the first minute.
 * The server's first start does the same steps (start.ts).
 */
import { silentLogger, type ServerContext } from '../context.ts';
import { loadServerConfig, type ServerConfig, type ServerConfigOverrides } from '../config.ts';
import { resolvePassphrase } from '../secrets.ts';
import { InProcessSignerProvider } from '../signer/in-process.ts';
import { createStatusService, type GeneratedCrl } from '../status/index.ts';
import type { Store } from '../store/index.ts';
import { settlePublicUrl, type PublicUrlDecision } from '../system/installation.ts';
import { loadCeremonyConfig } from './ceremony-config.ts';
import { runCeremony, type CaSummary } from './ceremony.ts';

export interface CaInitResult {
  config: ServerConfig;
  plan: { path: string; created: boolean };
  /** Set when the CA passphrase is the generated development default. */
  developmentPassphrase: string | undefined;
  publicUrl: PublicUrlDecision;
  cas: CaSummary[];
  crls: GeneratedCrl[];
}

export async function initializeCa(options: { home: string; store: Store; overrides?: ServerConfigOverrides; actor?: string }): Promise<CaInitResult> {
  const actor = options.actor ?? 'operator:cli';
  const config = loadServerConfig({ home: options.home, overrides: options.overrides });
  const passphrase = resolvePassphrase(config.home, process.env, config.keys.passphraseFile, config.keys.passphraseEnv);
  const plan = loadCeremonyConfig(config.home);
  const publicUrl = await settlePublicUrl(options.store.db, config, actor);
  config.publicUrl = publicUrl.url;
  const keystore = { soft: { dir: config.keys.softDir, passphraseFile: passphrase.passphraseFile, passphraseEnv: passphrase.passphraseEnv } };
  const cas = await runCeremony({ db: options.store.db, keystore, config: plan.config, publicUrl: config.publicUrl, home: config.home, actor });
  const signers = new InProcessSignerProvider(keystore);
  const ctx: ServerContext = { config, store: options.store, signers, log: silentLogger, now: () => new Date() };
  const status = createStatusService(ctx);
  try {
    const crls = await status.publishMissingCrls();
    return { config, plan: { path: plan.path, created: plan.created }, developmentPassphrase: passphrase.developmentDefault, publicUrl, cas, crls };
  } finally {
    await status.stop();
    await signers.close();
  }
}
