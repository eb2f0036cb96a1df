/**
 * The CLI's local administration context (not the RA operators' console, which is ./operator/): a ServerContext
 * for an administration command on this machine (`qoltanba issue`, `revoke`, `crl`, `operator issue`, …) — the
 * same store, signer and services the server uses, without HTTP. The CA keys are opened in-process, so this runs
 * where the signer runs (with the passphrase), like the server's one-process start.
 */
import type { Store } from './store/index.ts';
import type { ServerContext } from './context.ts';
import { silentLogger } from './context.ts';
import { loadServerConfig, type ServerConfigOverrides } from './config.ts';
import { InProcessSignerProvider } from './signer/in-process.ts';
import { resolvePassphrase } from './secrets.ts';
import { createStatusService, type StatusService } from './status/index.ts';
import { createRa, statusHooksFor, type Ra } from './ra/index.ts';
import { settlePublicUrl } from './system/installation.ts';

export interface LocalAdminContext {
  ctx: ServerContext;
  status: StatusService;
  ra: Ra;
  close(): Promise<void>;
}

/**
 * The public address is the installation's stored one (system/installation.ts): a command run with this
 * machine's defaults (PORT unset, so :8080) still issues certificates that point where the server publishes.
 * `warn` hears when this process's own settings would have said otherwise.
 */
export async function localAdminContext(options: { home: string; store: Store; overrides?: ServerConfigOverrides; testMode?: boolean; warn?: (message: string) => void }): Promise<LocalAdminContext> {
  const config = loadServerConfig({ home: options.home, overrides: options.overrides });
  // Stored only by a start or a ceremony: a command run on an empty directory must not fix the address.
  const address = await settlePublicUrl(options.store.db, config, 'operator:cli', { record: false });
  // Only a disagreement the administrator asked for is worth a line: the CLI derives :8080 whenever PORT is unset.
  const asked = config.publicUrlSource !== 'derived' || process.env.PORT !== undefined || process.env.HOST !== undefined;
  if (address.warning && asked) options.warn?.(address.warning);
  config.publicUrl = address.url;
  const passphrase = resolvePassphrase(config.home, process.env, config.keys.passphraseFile, config.keys.passphraseEnv);
  const signers = new InProcessSignerProvider({ soft: { dir: config.keys.softDir, passphraseFile: passphrase.passphraseFile, passphraseEnv: passphrase.passphraseEnv } });
  const ctx: ServerContext = { config, store: options.store, signers, log: silentLogger, now: () => new Date() };
  const status = createStatusService(ctx);
  const ra = createRa(ctx, { hooks: statusHooksFor(status), testMode: options.testMode });
  return {
    ctx,
    status,
    ra,
    close: async () => {
      await status.stop();
      await signers.close();
    },
  };
}

/**
 * The administration services of a running server, for a CLI command it runs on an administrator's behalf (the admin
 * socket): its own store, signer and status service — so a revocation is re-signed in OCSP by the service
 * that answers OCSP, and no second copy of a CA key is opened. Closing it closes nothing of the server's.
 */
export function runningLocalAdminContext(ctx: ServerContext, status: StatusService, options: { testMode?: boolean } = {}): LocalAdminContext {
  const ra = createRa(ctx, { hooks: statusHooksFor(status), testMode: options.testMode });
  return { ctx, status, ra, close: async () => undefined };
}
