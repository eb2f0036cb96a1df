/**
 * Wires the agent together: key sources, consent registry, protocol modules, dispatcher and the one server on
 * 127.0.0.1. `startAgent` is what `qoltanba agent` calls.
 */
import { join } from 'node:path';
import { defaultLocale, type Locale } from '@qoltanba/i18n';
import { handleConsentHttp } from './consent/routes.ts';
import { ConsentRegistry } from './consent/registry.ts';
import { systemBrowserOpener, type ConsentOpener } from './consent/opener.ts';
import { KeyInstaller } from './keygen/installer.ts';
import { PendingKeyStore } from './keygen/pending-store.ts';
import type { TokenModuleConfig } from './keystores/pkcs11-source.ts';
import { agentKeySources } from './keystores/sources.ts';
import { basicsModule } from './modules/basics.ts';
import { commonUtilsModule } from './modules/common-utils.ts';
import { keysModule } from './modules/keys.ts';
import { cmsModule } from './modules/cms.ts';
import { Dispatcher } from './protocol/dispatcher.ts';
import { serveConnection } from './server/connection.ts';
import { startServer } from './server/http-server.ts';
import { stderrLogger, type AgentLogger } from './server/log.ts';
import { OriginPolicy, ownOrigins } from './server/security.ts';
import { SitePolicy } from './origins/site-access.ts';
import { SiteDecisionStore } from './origins/store.ts';
import { loadOrCreateLocalTls, type TlsIdentity } from './tls/local-ca.ts';
import { TimeStamper } from './tsa/client.ts';

export const DEFAULT_AGENT_PORT = 13579;
/** Fits a 10 MB document in base64 inside JSON (≈ 13.4 MB) and little more. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface AgentOptions {
  /** Default 13579, NCALayer's port; 0 picks a free one (tests). The host is always 127.0.0.1. */
  port?: number;
  /**
   * Origins (scheme://host[:port]) allowed without asking. Any other site is asked about in the agent's own
   * page the first time it wants something (allow once / always / refuse); answers are kept in
   * <dataDir>/origins.json.
   */
  allowedOrigins?: readonly string[];
  /** The agent's own folder: pending key requests, the local CA, remembered answers about sites. */
  dataDir: string;
  /** Folders whose .p12/.pfx files the consent page offers (default: `newKeysDir`). */
  keyDirs?: readonly string[];
  /** Where installed key files are written (default: the first of keyDirs, else <dataDir>/keys). */
  newKeysDir?: string;
  /** PKCS#11 libraries and the NCALayer storage name their tokens appear under. */
  tokens?: readonly TokenModuleConfig[];
  /**
   * wss:// on the port (default true), with the server certificate of this installation's local CA (made on
   * first start in <dataDir>/tls), or the identity given. Plain ws:// stays available on the same port: the
   * first byte of a connection tells TLS from HTTP. `false`: plain ws:// only.
   */
  tls?: boolean | TlsIdentity;
  /**
   * RFC 3161 time-stamping authority (http(s) URL) for the signatures NCALayer time-stamps; without one those
   * requests fail with a clear error instead of returning a signature without a stamp.
   */
  tsaUrl?: string;
  /** Shows the consent page; default: the user's browser via xdg-open / open / start. */
  openConsent?: ConsentOpener;
  /** Language of the consent page until a site asks for another (default ru, as NCALayer). */
  locale?: Locale;
  /** The clock for signing time and certificate validity (default: the system clock). */
  now?: () => Date;
  log?: AgentLogger;
  maxMessageBytes?: number;
  maxConnections?: number;
  consentTimeoutMs?: number;
  /** Wrong passwords/PINs per request before it is refused (default 3). */
  passwordAttempts?: number;
  /** Write new key files with NCA's legacy encryption (3DES/RC2, SHA-1 MAC) instead of AES-256. */
  legacyKeyFiles?: boolean;
}

export interface RunningAgent {
  /** ws://127.0.0.1:<port> */
  readonly url: string;
  /** wss://127.0.0.1:<port> when TLS is on. */
  readonly secureUrl?: string;
  readonly port: number;
  /** The server certificate (PEM) presented on wss://, when TLS is on. */
  readonly tlsCertificate?: string;
  /** This installation's local CA certificate (PEM): what browsers trust (`qoltanba agent install`). */
  readonly tlsCaCertificate?: string;
  close(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const log = options.log ?? stderrLogger;
  const locale = options.locale ?? defaultLocale;
  const now = options.now ?? (() => new Date());
  const sites = new SitePolicy(new OriginPolicy(options.allowedOrigins ?? []), SiteDecisionStore.inDataDir(options.dataDir));
  const newKeysDir = options.newKeysDir ?? options.keyDirs?.[0] ?? join(options.dataDir, 'keys');
  const keys = agentKeySources(options.keyDirs ?? [newKeysDir], options.tokens ?? []);
  const pending = new PendingKeyStore(join(options.dataDir, 'pending'));
  const installer = new KeyInstaller({ keysDir: newKeysDir, legacyKeyFiles: options.legacyKeyFiles, tokens: keys.tokens, pending });
  const local = (options.tls ?? true) === true ? await loadOrCreateLocalTls(join(options.dataDir, 'tls')) : undefined;
  const tls: TlsIdentity | undefined = local ? local.server : typeof options.tls === 'object' ? options.tls : undefined;

  let port = options.port ?? DEFAULT_AGENT_PORT;
  const consents = new ConsentRegistry({
    // The consent page is always offered over plain HTTP on loopback: it needs no certificate trust to open.
    baseUrl: () => `http://127.0.0.1:${port}`,
    open: options.openConsent ?? systemBrowserOpener(),
    timeoutMs: options.consentTimeoutMs,
    attempts: options.passwordAttempts,
  });
  const stamper = options.tsaUrl ? new TimeStamper(options.tsaUrl) : undefined;
  const deps = { consents, keys, now, pending, installer, stamper };
  const dispatcher = new Dispatcher(
    [commonUtilsModule(deps), basicsModule(deps), keysModule(deps), cmsModule(deps)],
    (ctx) => consents.admit(ctx.site, ctx.locale, ctx.signal),
    (e) => log({ event: 'request', ...e }),
  );

  const server = await startServer({
    port,
    tls,
    maxPayload: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxConnections: options.maxConnections ?? 16,
    onConnection(ws, origin) {
      log({ event: 'connected', origin });
      ws.on('close', () => log({ event: 'disconnected', origin }));
      serveConnection(ws, { site: sites.forConnection(origin), locale, dispatcher });
    },
    onHttp: (req, res) =>
      handleConsentHttp(req, res, { registry: consents, ownOrigins: new Set([...ownOrigins(port, false), ...ownOrigins(port, true)]), defaultLocale: locale }),
    onRefused: (e) => log({ event: 'refused', ...e }),
  });
  port = server.port;
  const url = `ws://127.0.0.1:${port}`;
  log({ event: 'listening', url, secure: server.secure });
  return {
    url,
    secureUrl: tls ? `wss://127.0.0.1:${port}` : undefined,
    port,
    tlsCertificate: tls ? tls.cert.toString() : undefined,
    tlsCaCertificate: local?.caCertificate,
    async close() {
      consents.closeAll();
      await server.close();
      log({ event: 'stopped' });
    },
  };
}
