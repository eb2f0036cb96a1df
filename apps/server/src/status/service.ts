/**
 * The status service: one object owning the CA directory, OCSP pre-signing, refreshing and answering,
 * and CRL generation and publication. The HTTP side is statusRoutes (routes.ts); the schedule is
 * pg-boss jobs or in-process timers (schedule.ts). Everything it does is safe with several nodes running
 * it against one database: CRL numbers and due-checks are decided under the CA's crl_state lock, and a
 * pre-signed response is stored only if it still says what the certificate row says.
 */
import type { ServerContext } from '../context.ts';
import type { ClusterJobs } from '../jobs/cluster-jobs.ts';
import { CaDirectory, type CaDirectoryOptions } from './directory.ts';
import { generateCrl, type CrlKind, type GenerateCrlOptions, type GeneratedCrl } from './crl/generate.ts';
import { LatestCrls, type PublishedCrl } from './crl/latest.ts';
import { OcspCache } from './ocsp/cache.ts';
import { StatusFeed } from './ocsp/feed.ts';
import { OcspPresigner, storeFreshFrom, type FreshResponse } from './ocsp/presign.ts';
import type { RawBuilder } from 'kysely';
import { refreshOcsp, type RefreshOptions, type RefreshResult } from './ocsp/refresh.ts';
import { OcspResponder } from './ocsp/responder.ts';
import { sendDeltaSoon, startClusterSchedule, startTimerSchedule, type Schedule, type ScheduleOptions } from './schedule.ts';

export interface StatusServiceOptions {
  directory?: CaDirectoryOptions;
  refresh?: RefreshOptions;
  /** PostgreSQL: where the OCSP cache's change feed connects (default: the store's database). */
  feedConnectionString?: string;
  /**
   * The process's cluster jobs, when it has them (jobs/feature.ts): a node that does not work the schedule
   * itself still sends the delta-CRL job its revocations ask for.
   */
  jobs?: () => ClusterJobs | undefined;
}

export interface TickResult {
  ocsp: RefreshResult;
  crls: GeneratedCrl[];
}

export class StatusService {
  readonly ctx: ServerContext;
  readonly directory: CaDirectory;
  readonly presigner: OcspPresigner;
  readonly responder: OcspResponder;
  readonly crls: LatestCrls;
  /** Pre-signed OCSP answers in memory; served only while `feed` keeps it fresh (startOcspCache). */
  readonly ocspCache: OcspCache;
  readonly feed: StatusFeed;
  readonly #refresh: RefreshOptions;
  readonly #jobs: () => ClusterJobs | undefined;
  #schedule: Schedule | undefined;

  constructor(ctx: ServerContext, options: StatusServiceOptions = {}) {
    this.ctx = ctx;
    this.directory = new CaDirectory(ctx.store.db, { now: () => ctx.now().getTime(), ...options.directory });
    this.presigner = new OcspPresigner(ctx, this.directory);
    this.ocspCache = new OcspCache({ maxBytes: ctx.config.ocsp.cacheMegabytes * 1024 * 1024 });
    this.feed = new StatusFeed({ store: ctx.store, cache: this.ocspCache, freshnessMs: ctx.config.ocsp.freshnessMs, log: ctx.log, connectionString: options.feedConnectionString });
    this.responder = new OcspResponder(ctx, this.directory, this.presigner, this.ocspCache);
    this.crls = new LatestCrls(ctx.store.db);
    this.#refresh = options.refresh ?? {};
    this.#jobs = options.jobs ?? (() => undefined);
  }

  /** Signs and stores the current response of each certificate (issuance calls this after its commit). */
  presign(caId: number, serials: readonly string[]): Promise<number> {
    return this.presigner.presign(caId, serials);
  }

  /** Issuance calls this after its commit: the new certificate's response, batched with others' (presign.ts). */
  presignIssued(caId: number, serial: string): Promise<void> {
    return this.presigner.presignIssued(caId, serial);
  }

  /** A new certificate's response, signed before its commit and stored by the issuing statement (storeFreshFrom). */
  signFresh(caId: number, serial: string): Promise<FreshResponse | undefined> {
    return this.presigner.signFresh(caId, serial);
  }

  storeFreshFrom(cte: string, responses: readonly FreshResponse[]): RawBuilder<unknown> {
    return storeFreshFrom(cte, responses);
  }

  /** The revocation service calls this after its commit: OCSP says "revoked" from then on. */
  presignNow(caId: number, serial: string): Promise<void> {
    // At once in this process; other nodes (and this one, again) hear it from the change feed.
    this.ocspCache.invalidate(caId, serial);
    return this.presigner.presignNow(caId, serial);
  }

  /**
   * Starts answering OCSP from memory: the change feed LISTENs and polls (ocsp/feed.ts). Until it has polled
   * once, and whenever it has not for `ocsp.freshnessMs`, answers come from the database.
   */
  startOcspCache(): Promise<void> {
    return this.feed.start();
  }

  refreshOcsp(options: RefreshOptions = this.#refresh): Promise<RefreshResult> {
    return refreshOcsp(this.ctx, this.directory, this.presigner, options);
  }

  generateCrl(caId: number, kind: CrlKind, options?: GenerateCrlOptions): Promise<GeneratedCrl | undefined> {
    return generateCrl(this.ctx, this.directory, caId, kind, options);
  }

  /**
   * For every CA whose key is online: full and delta CRLs whose interval has passed, and a delta CRL when
   * status changes are in no CRL yet (the durable marker every revocation leaves: see schedule.ts).
   */
  async generateDueCrls(): Promise<GeneratedCrl[]> {
    const { fullEveryMinutes, deltaEveryMinutes } = this.ctx.config.crl;
    const out: GeneratedCrl[] = [];
    for (const ca of await this.directory.all()) {
      if (!ca.keyUri) continue;
      const now = this.ctx.now().getTime();
      const full = await this.generateCrl(ca.id, 'full', { ifOlderThan: new Date(now - fullEveryMinutes * 60_000) });
      if (full) out.push(full);
      const delta =
        (await this.generateCrl(ca.id, 'delta', { ifOlderThan: new Date(now - deltaEveryMinutes * 60_000) })) ??
        (await this.generateCrl(ca.id, 'delta', { ifUncoveredChanges: true }));
      if (delta) out.push(delta);
    }
    return out;
  }

  /**
   * A full and a delta CRL for every CA whose key is online and that has none of that kind yet: the
   * ceremony calls this, so no CRL address a certificate or /api/v1/ca names is ever 404 — the schedule
   * alone would publish the first delta only an interval after the first full one.
   */
  async publishMissingCrls(): Promise<GeneratedCrl[]> {
    const out: GeneratedCrl[] = [];
    for (const ca of await this.directory.all()) {
      if (!ca.keyUri) continue;
      for (const kind of ['full', 'delta'] as const) {
        const published = await this.ctx.store.db.selectFrom('crls').select('crl_number').where('ca_id', '=', ca.id).where('kind', '=', kind).limit(1).executeTakeFirst();
        if (published) continue;
        const crl = await this.generateCrl(ca.id, kind);
        if (crl) out.push(crl);
      }
    }
    return out;
  }

  /** One scheduled round: OCSP refresh, then whatever CRLs are due. */
  async tick(): Promise<TickResult> {
    const ocsp = await this.refreshOcsp();
    const crls = await this.generateDueCrls();
    return { ocsp, crls };
  }

  /**
   * Starts the schedule: cluster jobs (pg-boss) when `jobs` is given — production, on worker nodes — and
   * timers in this process otherwise, for tests that choose them.
   */
  async start(options: ScheduleOptions & { jobs?: ClusterJobs | undefined } = {}): Promise<void> {
    await this.#schedule?.stop();
    this.#schedule = options.jobs ? await startClusterSchedule(this, options.jobs, options) : startTimerSchedule(this, options);
  }

  /** Stops the schedule and the OCSP cache's change feed, once the pre-signing of new certificates in progress is stored. */
  async stop(): Promise<void> {
    const s = this.#schedule;
    this.#schedule = undefined;
    await s?.stop();
    await this.presigner.settled();
    await this.feed.stop();
  }

  /**
   * A delta CRL soon (revocations in a burst share one); call after a revocation commits. With neither a
   * schedule nor cluster jobs in this process (a CLI command beside the server), nothing is sent: the
   * server's next tick publishes the change, which the revoking transaction itself recorded.
   */
  async crlAfterRevocation(caId: number): Promise<void> {
    if (this.#schedule) return this.#schedule.deltaSoon(caId);
    const jobs = this.#jobs();
    if (jobs) await sendDeltaSoon(jobs, caId, this.ctx.config.crl.deltaAfterRevocationSeconds);
  }

  latestCrl(caName: string, kind: CrlKind): Promise<PublishedCrl> {
    return this.directory.byName(caName).then((ca) => this.crls.get(ca.id, ca.name, kind));
  }
}

export function createStatusService(ctx: ServerContext, options?: StatusServiceOptions): StatusService {
  return new StatusService(ctx, options);
}
