/**
 * Server configuration: defaults, then `$QOLTANBA_HOME/server.json` (reviewable, optional), then environment
 * variables, then explicit overrides (CLI flags). Secrets never live here — only where to read them from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { QtError } from '@qoltanba/pki';
import type { NotifySettingsInput } from './notify/settings.ts';
import type { RemoteOptions } from './remote/options.ts';
import type { VerifyOptions } from './verify/options.ts';
import type { TsaOptions } from './tsa/options.ts';
import { validateTrustProxy } from './status/ocsp/client-address.ts';
import { DEFAULT_POOL_SIZE } from './store/open-database.ts';
import { DEFAULT_MAX_PREPARED_STATEMENTS } from './store/prepared.ts';

export const roles = ['portal', 'api', 'status', 'worker', 'verify', 'tsa', 'signer'] as const;
export type Role = (typeof roles)[number];

export interface ServerConfig {
  /** Data directory: embedded database, soft keys, ceremony config. */
  home: string;
  /** postgres://… ; absent → embedded PGlite in `home`. */
  databaseUrl: string | undefined;
  /**
   * The PostgreSQL connection pool of this process (store/open-database.ts): poolSize connections;
   * preparedStatements kept named per connection (store/prepared.ts) — 0 behind a pooler in transaction mode
   * (PgBouncer `pool_mode = transaction`), which does not keep a client's named statements.
   * The embedded database ignores poolSize (one connection).
   */
  database: { poolSize: number; preparedStatements: number };
  host: string;
  port: number;
  /**
   * The address citizens and relying parties reach; written into AIA / CRLDP / OCSP / CPS URLs. The first
   * start stores it in the database; afterwards the stored one wins unless publicUrlSource is 'flag'
   * (system/installation.ts settlePublicUrl).
   */
  publicUrl: string;
  /** Where publicUrl came from: 'flag' (--public-url, an explicit change), 'configured' (server.json, QOLTANBA_PUBLIC_URL), 'derived' (host and port). */
  publicUrlSource: 'flag' | 'configured' | 'derived';
  /** `qoltanba up --demo`: seed and serve clearly marked demo data (../demo). Never from server.json. */
  demo: boolean;
  /** What /cps says beyond what the configuration already knows: who runs the CA and how to reach them. */
  cps: CpsSettings;
  roles: Role[];
  signer:
    | { mode: 'in-process' }
    | { mode: 'network'; url: string; tokenFile: string };
  keys: { softDir: string; passphraseFile: string | undefined; passphraseEnv: string };
  limits: { bodyBytes: number; ocspRequestBytes: number; csrBytes: number };
  /**
   * deltaAfterRevocationSeconds: a revocation (or hold, or release) is published in a delta CRL this long after
   * it, revocations in between sharing that CRL; should the node that revoked die first, the next minute's tick
   * publishes it (status/schedule.ts).
   */
  crl: { fullEveryMinutes: number; deltaEveryMinutes: number; validityHours: number; deltaValidityHours: number; deltaAfterRevocationSeconds: number };
  /**
   * onDemandConcurrency: OCSP answers signed on request (a nonce, several certIDs, serials we never issued) in
   * progress at once in this process; beyond it the answer is tryLater, so a flood of them cannot starve the
   * pre-signed answers most clients get. onDemandPerClient: the same, per client address (IPv6: per /64), so
   * one client's flood cannot take every slot.
   * cacheMegabytes: memory for pre-signed answers (status/ocsp/cache.ts). freshnessMs: the bound on how long a
   * status change this node was not told about can still be answered from memory (status/ocsp/feed.ts).
   * trustProxy: load balancers (addresses or CIDRs) whose X-Forwarded-For names the client for
   * onDemandPerClient; anyone else's header is ignored (status/ocsp/client-address.ts).
   */
  ocsp: {
    validityHours: number;
    refreshBeforeHours: number;
    onDemandConcurrency: number;
    onDemandPerClient: number;
    cacheMegabytes: number;
    freshnessMs: number;
    trustProxy: string[];
  };
  /**
   * checkpointEveryMinutes: how often the cluster signs a checkpoint of the audit chain's head (audit/README.md);
   * a divisor of 60 or whole hours dividing a day. Every node also signs one when it stops.
   */
  audit: { checkpointEveryMinutes: number };
  /** Expiry reminders; defaults filled by notify/settings.ts (log-only sinks outside production). */
  notify: NotifySettingsInput;
  /** Remote issuance (limits, retention of captured images, the face verifier); defaults in remote/options.ts. */
  remote: RemoteOptions;
  /** The relying-party verifier (trust store, revocation fetching, limits); defaults in verify/options.ts. */
  verify: VerifyOptions;
  /** The time-stamping authority (policy, hashes, clock, limits, audit tally); defaults in tsa/options.ts. */
  tsa: TsaOptions;
}

/** Contacts shown on /cps (the certification practice statement summary); all optional. */
export interface CpsSettings {
  /** The CA's operating organisation, as it signs agreements. */
  organization?: string;
  email?: string;
  phone?: string;
  address?: string;
  /** A web page with the full CPS or the operator's site. */
  website?: string;
}

export type ServerConfigOverrides = Partial<Omit<ServerConfig, 'database' | 'signer' | 'keys' | 'limits' | 'crl' | 'ocsp' | 'audit' | 'notify' | 'remote' | 'verify' | 'tsa' | 'cps'>> & {
  database?: Partial<ServerConfig['database']>;
  signer?: ServerConfig['signer'];
  keys?: Partial<ServerConfig['keys']>;
  limits?: Partial<ServerConfig['limits']>;
  crl?: Partial<ServerConfig['crl']>;
  ocsp?: Partial<ServerConfig['ocsp']>;
  audit?: Partial<ServerConfig['audit']>;
  notify?: NotifySettingsInput;
  remote?: RemoteOptions;
  verify?: VerifyOptions;
  tsa?: TsaOptions;
  cps?: CpsSettings;
};

export function defaultConfig(home: string): ServerConfig {
  return {
    home,
    databaseUrl: undefined,
    database: { poolSize: DEFAULT_POOL_SIZE, preparedStatements: DEFAULT_MAX_PREPARED_STATEMENTS },
    host: '127.0.0.1',
    port: 8080,
    publicUrl: 'http://127.0.0.1:8080',
    publicUrlSource: 'derived',
    demo: false,
    cps: {},
    // 'signer' is not among the defaults: the one-process start signs in-process and exposes no signer API.
    roles: ['portal', 'api', 'status', 'worker', 'verify', 'tsa'],
    signer: { mode: 'in-process' },
    keys: { softDir: join(home, 'keys'), passphraseFile: undefined, passphraseEnv: 'QOLTANBA_PASSPHRASE' },
    limits: { bodyBytes: 1 << 20, ocspRequestBytes: 16 << 10, csrBytes: 64 << 10 },
    crl: { fullEveryMinutes: 24 * 60, deltaEveryMinutes: 60, validityHours: 7 * 24, deltaValidityHours: 24, deltaAfterRevocationSeconds: 30 },
    ocsp: { validityHours: 24, refreshBeforeHours: 8, onDemandConcurrency: 8, onDemandPerClient: 2, cacheMegabytes: 64, freshnessMs: 1500, trustProxy: [] },
    audit: { checkpointEveryMinutes: 5 },
    notify: {},
    remote: {},
    verify: {},
    tsa: {},
  };
}

export function loadServerConfig(options: { home: string; env?: NodeJS.ProcessEnv; overrides?: ServerConfigOverrides }): ServerConfig {
  const env = options.env ?? process.env;
  const home = resolve(options.home);
  const base = defaultConfig(home);
  const file = join(home, 'server.json');
  const fromFile = existsSync(file) ? readJson(file) : {};
  // The demo is a decision of the command line alone: a stray server.json entry must never seed or serve it.
  delete fromFile.demo;
  delete fromFile.publicUrlSource;
  const fromEnv: ServerConfigOverrides = {};
  if (env.DATABASE_URL) fromEnv.databaseUrl = env.DATABASE_URL;
  if (env.PORT) fromEnv.port = parsePort(env.PORT, 'PORT');
  if (env.HOST) fromEnv.host = env.HOST;
  if (env.QOLTANBA_PUBLIC_URL) fromEnv.publicUrl = env.QOLTANBA_PUBLIC_URL;
  const merged = merge(merge(base, fromFile), fromEnv);
  const config = merge(merged, options.overrides ?? {});
  // With no public URL given, the address we listen on is the one to propose (the stored one may win).
  if (options.overrides?.publicUrl) config.publicUrlSource = 'flag';
  else if (fromFile.publicUrl || fromEnv.publicUrl) config.publicUrlSource = 'configured';
  else {
    config.publicUrlSource = 'derived';
    config.publicUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  }
  validate(config);
  return config;
}

function merge(base: ServerConfig, o: ServerConfigOverrides): ServerConfig {
  const defined = <T extends object>(x: T | undefined): Partial<T> =>
    Object.fromEntries(Object.entries(x ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    ...base,
    ...defined(o as Partial<ServerConfig>),
    database: { ...base.database, ...defined(o.database) },
    signer: o.signer ?? base.signer,
    keys: { ...base.keys, ...defined(o.keys) },
    limits: { ...base.limits, ...defined(o.limits) },
    crl: { ...base.crl, ...defined(o.crl) },
    ocsp: { ...base.ocsp, ...defined(o.ocsp) },
    audit: { ...base.audit, ...defined(o.audit) },
    notify: { ...base.notify, ...defined(o.notify) },
    remote: { ...base.remote, ...defined(o.remote) },
    verify: { ...base.verify, ...defined(o.verify) },
    tsa: { ...base.tsa, ...defined(o.tsa) },
    cps: { ...base.cps, ...defined(o.cps) },
  };
}

function readJson(file: string): ServerConfigOverrides {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerConfigOverrides;
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function parsePort(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new QtError('QT_ERR_INPUT_INVALID', `${name} must be a port number, not "${text}"`);
  return n;
}

function validate(c: ServerConfig): void {
  for (const r of c.roles) {
    if (!(roles as readonly string[]).includes(r)) throw new QtError('QT_ERR_INPUT_INVALID', `Unknown role "${r}"; roles are ${roles.join(', ')}`);
  }
  try {
    new URL(c.publicUrl);
  } catch {
    throw new QtError('QT_ERR_INPUT_INVALID', `publicUrl "${c.publicUrl}" is not a URL`);
  }
  validateTrustProxy(c.ocsp.trustProxy);
  const { poolSize, preparedStatements } = c.database;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw new QtError('QT_ERR_INPUT_INVALID', `database.poolSize must be a whole number from 1 to 1000, not ${JSON.stringify(poolSize)}`);
  }
  if (!Number.isInteger(preparedStatements) || preparedStatements < 0 || preparedStatements > 10_000) {
    throw new QtError('QT_ERR_INPUT_INVALID', `database.preparedStatements must be a whole number from 0 (off) to 10000, not ${JSON.stringify(preparedStatements)}`);
  }
  if (c.signer.mode === 'network' && c.roles.includes('signer')) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'A process cannot both be the signer and use a signer over the network (--signer-url)');
  }
}
