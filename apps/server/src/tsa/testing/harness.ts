/**
 * TEST AND BENCH SUPPORT ONLY: a real installation's TSAs on a test database — the ceremony with an RSA
 * issuing CA and a GOST one, each with its time-stamping authority, keys in the soft keystore through the
 * in-process signer — served with the status routes (/api/v1/ca, CRLs) by the real HTTP app on an
 * ephemeral port. Tests may move the TSA's clock and hold its signatures (a delayed signer: real
 * signatures, only later), to prove guarantees without timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signer } from '@qoltanba/pki';
import { defaultConfig } from '../../config.ts';
import { silentLogger, type Logger, type ServerContext } from '../../context.ts';
import { createHttpApp } from '../../http/app.ts';
import type { Store } from '../../store/index.ts';
import { defaultCeremonyConfig, gostIssuingPlan, tsaPlanFor, type CeremonyConfig } from '../../ca/ceremony-config.ts';
import { runCeremony } from '../../ca/ceremony.ts';
import { InProcessSignerProvider } from '../../signer/in-process.ts';
import type { SignerProvider, SigningPurpose } from '../../signer/provider.ts';
import { createStatusService, statusRoutes } from '../../status/index.ts';
import { tsaFeature } from '../feature.ts';
import type { TsaOptions } from '../options.ts';
import type { TsaService } from '../service.ts';

const PASSPHRASE_ENV = 'QT_TEST_TSA_PASSPHRASE';

/** Holds time-stamp signatures until released; says when a number of them are waiting. */
export class SignatureGate {
  #held: { promise: Promise<void>; release: () => void } | undefined;
  #waiting = 0;
  #watchers: { n: number; resolve: () => void }[] = [];

  hold(): void {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.#held = { promise, release };
  }

  release(): void {
    this.#held?.release();
    this.#held = undefined;
  }

  /** Resolves once `n` signatures wait at the gate. */
  waiting(n: number): Promise<void> {
    if (this.#waiting >= n) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ n, resolve }));
  }

  async pass(): Promise<void> {
    const held = this.#held;
    if (!held) return;
    this.#waiting++;
    for (const w of this.#watchers.filter((w) => w.n <= this.#waiting)) w.resolve();
    this.#watchers = this.#watchers.filter((w) => w.n > this.#waiting);
    try {
      await held.promise;
    } finally {
      this.#waiting--;
    }
  }
}

class GatedSigners implements SignerProvider {
  constructor(
    private readonly inner: SignerProvider,
    private readonly gate: SignatureGate,
  ) {}

  async signerFor(keyUri: string, purpose: SigningPurpose): Promise<Signer> {
    const signer = await this.inner.signerFor(keyUri, purpose);
    if (purpose !== 'timestamp') return signer;
    return { publicKey: signer.publicKey, algorithm: signer.algorithm, sign: async (data) => (await this.gate.pass(), signer.sign(data)) };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface TsaHarness {
  url: string;
  ctx: ServerContext;
  service: TsaService;
  home: string;
  gate: SignatureGate;
  /** Moves the TSA's clock by `ms` from the real time (0: real time again). */
  skew(ms: number): void;
  /** PEM files of the CA certificates (openssl -CAfile / -untrusted): the root (RSA; both issuing CAs are under it), the issuing CAs. */
  files: { root: string; rsa: string; gost: string };
  close(): Promise<void>;
}

/** The test plan: 2048-bit RSA keys (quick to make), a GOST issuing CA, and a TSA beside each issuing CA. */
export function tsaTestCeremony(): CeremonyConfig {
  const plan = defaultCeremonyConfig();
  plan.root.key.bits = 2048;
  plan.issuing[0]!.key.bits = 2048;
  plan.issuing[0]!.ocsp.key.bits = 2048;
  plan.issuing.push(gostIssuingPlan());
  for (const ca of plan.issuing) ca.tsa = tsaPlanFor(ca);
  plan.issuing[0]!.tsa!.key.bits = 2048;
  return plan;
}

export async function startTsaHarness(store: Store, options: { tsa?: TsaOptions; log?: Logger; plan?: CeremonyConfig } = {}): Promise<TsaHarness> {
  process.env[PASSPHRASE_ENV] ??= 'tsa test passphrase';
  const home = mkdtempSync(join(tmpdir(), 'qt-tsa-'));
  const keystore = { soft: { dir: join(home, 'keys'), passphraseEnv: PASSPHRASE_ENV } };
  const plan = options.plan ?? tsaTestCeremony();
  await runCeremony({ db: store.db, keystore, config: plan, publicUrl: 'http://127.0.0.1:8080', home });
  let skewMs = 0;
  const gate = new SignatureGate();
  const config = defaultConfig(home);
  const ctx: ServerContext = {
    config,
    store,
    signers: new GatedSigners(new InProcessSignerProvider(keystore), gate),
    log: options.log ?? silentLogger,
    now: () => new Date(Date.now() + skewMs),
  };
  const status = createStatusService(ctx);
  await status.publishMissingCrls();
  const app = createHttpApp({ bodyLimit: config.limits.bodyBytes });
  let service: TsaService | undefined;
  let stopTsa: (() => Promise<void>) | undefined;
  try {
    await app.register(statusRoutes, { service: status });
    stopTsa = await tsaFeature({ options: options.tsa, onService: (s) => (service = s) }).start(app, ctx);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    config.publicUrl = url;
    const caFile = (name: string) => join(home, 'ca', `${name}.crt`);
    const files = { root: caFile('root-rsa'), rsa: caFile('rsa'), gost: caFile('gost') };
    return {
      url,
      ctx,
      service: service!,
      home,
      gate,
      skew: (ms) => void (skewMs = ms),
      files,
      async close() {
        gate.release();
        await app.close();
        await stopTsa?.();
        await status.stop();
        await ctx.signers.close();
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await app.close();
    await stopTsa?.();
    await status.stop();
    await ctx.signers.close();
    rmSync(home, { recursive: true, force: true });
    throw e;
  }
}
