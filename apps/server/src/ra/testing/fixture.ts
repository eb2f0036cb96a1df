/**
 * TEST AND BENCH SUPPORT ONLY: a real CA on a test database — the ceremony's root, issuing CA and OCSP
 * signer with soft keys in a temp home — and the RA over it, its status hooks wired to the real status
 * service, as the server wires them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIin } from '@qoltanba/pki';
import { defaultConfig, type ServerConfig } from '../../config.ts';
import { silentLogger, type Logger, type ServerContext } from '../../context.ts';
import { defaultCeremonyConfig, type CeremonyConfig } from '../../ca/ceremony-config.ts';
import { runCeremony } from '../../ca/ceremony.ts';
import { InProcessSignerProvider } from '../../signer/in-process.ts';
import { createStatusService, type StatusService } from '../../status/index.ts';
import type { Store } from '../../store/index.ts';
import { createRa, type Ra, type RaOptions } from '../ra.ts';
import { statusHooksFor } from '../hooks.ts';

export const TEST_PASSPHRASE_ENV = 'QT_TEST_RA_PASSPHRASE';
process.env[TEST_PASSPHRASE_ENV] ??= 'ra test passphrase, not a secret';

export const PUBLIC_URL = 'http://127.0.0.1:8080';

export interface CaFixture {
  home: string;
  ctx: ServerContext;
  ra: Ra;
  status: StatusService;
  signers: InProcessSignerProvider;
  /** PEM files the ceremony published: the trust anchor and the issuing CA. */
  rootFile: string;
  issuingFile: string;
  caName: string;
  caId: number;
  close(): Promise<void>;
}

export function ceremonyPlan(bits: 2048 | 4096): CeremonyConfig {
  const plan = defaultCeremonyConfig();
  plan.root.key.bits = bits;
  plan.auditKey = { uri: 'soft:audit-checkpoints', bits: 2048 };
  for (const i of plan.issuing) {
    i.key.bits = bits;
    i.ocsp.key.bits = 2048;
  }
  return plan;
}

export interface CaFixtureOptions {
  /** CA key size (default 2048, so tests do not wait for RSA-4096 key generation). */
  bits?: 2048 | 4096;
  /** An existing home (keys and published CA certificates) to reuse, e.g. in a restarted process. */
  home?: string;
  config?: (c: ServerConfig) => void;
  ra?: Omit<RaOptions, 'hooks'>;
  /** Wire the status service (default) or run without status hooks. */
  statusHooks?: boolean;
  log?: Logger;
  /** Changes to the ceremony plan before it runs (e.g. a GOST issuing CA beside the RSA one). */
  ceremony?: (plan: CeremonyConfig) => void;
}

export async function caFixture(store: Store, options: CaFixtureOptions = {}): Promise<CaFixture> {
  const ownHome = !options.home;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'qt-ra-'));
  const config = defaultConfig(home);
  config.publicUrl = PUBLIC_URL;
  options.config?.(config);
  const keystore = { soft: { dir: join(home, 'keys'), passphraseEnv: TEST_PASSPHRASE_ENV } };
  const plan = ceremonyPlan(options.bits ?? 2048);
  options.ceremony?.(plan);
  await runCeremony({ db: store.db, keystore, config: plan, publicUrl: config.publicUrl, home });
  const signers = new InProcessSignerProvider(keystore);
  const ctx: ServerContext = { config, store, signers, log: options.log ?? silentLogger, now: () => new Date() };
  const status = createStatusService(ctx);
  const ra = createRa(ctx, { ...options.ra, ...(options.statusHooks === false ? {} : { hooks: statusHooksFor(status) }) });
  const ca = await store.db.selectFrom('cas').select(['id', 'name']).where('kind', '=', 'issuing').orderBy('id').executeTakeFirstOrThrow();
  return {
    home,
    ctx,
    ra,
    status,
    signers,
    rootFile: join(home, 'ca', 'root-rsa.crt'),
    issuingFile: join(home, 'ca', `${ca.name}.crt`),
    caName: ca.name,
    caId: ca.id,
    async close() {
      await status.stop();
      await signers.close();
      if (ownHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

let iinCounter = Math.floor(Math.random() * 5000);

/** A valid IIN nobody else in this process got (random birth date and number). */
export function uniqueIin(): string {
  for (;;) {
    const n = iinCounter++ % 10_000;
    const day = 1 + (iinCounter % 28);
    const month = 1 + (Math.floor(iinCounter / 28) % 12);
    try {
      return buildIin({ birthDate: `19${String(50 + (iinCounter % 50)).padStart(2, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, sex: iinCounter % 2 ? 'male' : 'female', number: n });
    } catch {
      // this number has no valid check digit for that date; take the next
    }
  }
}
