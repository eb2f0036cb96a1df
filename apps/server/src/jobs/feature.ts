/**
 * Cluster jobs as a server feature. It comes first in features.ts, so its pg-boss is running before any
 * other feature registers work with it (clusterJobs(ctx), running.ts) and is stopped last, after they stopped working.
 *
 * Every node that changes state gets a pg-boss to send with (a revocation on an API node asks for a delta
 * CRL); only 'worker' nodes work queues, keep the cron schedule and run pg-boss's maintenance. The periodic
 * housekeeping of other features is defined here rather than by those features, because a worker node
 * runs it whether or not it also serves the portal.
 */
import type { Feature, ServerContext } from '../context.ts';
import { startBoss } from '../store/boss.ts';
import { purgePortalState } from '../portal/session/sessions.ts';
import { purgeExpiredIdempotencyKeys } from '../ra/index.ts';
import { remoteSettings, resolveRemoteOptions } from '../remote/options.ts';
import { sweepRemote } from '../remote/retention.ts';
import { ClusterJobs } from './cluster-jobs.ts';
import { purgeRuns } from './ledger.ts';
import { cronableMinutes, setClusterJobs } from './running.ts';

/** Periodic housekeeping: names of the pg-boss queues (also the `job` of their job_runs rows). */
export const PORTAL_PURGE_JOB = 'qoltanba-portal-purge';
export const IDEMPOTENCY_PURGE_JOB = 'qoltanba-idempotency-purge';
export const REMOTE_SWEEP_JOB = 'qoltanba-remote-sweep';
export const LEDGER_PURGE_JOB = 'qoltanba-jobs-ledger-purge';

/** job_runs rows are kept this long (evidence of what ran when). */
const LEDGER_KEEP_MS = 30 * 86_400_000;

export const jobsFeature: Feature = {
  name: 'jobs',
  roles: ['portal', 'api', 'status', 'worker'],
  async start(_app, ctx) {
    const work = ctx.config.roles.includes('worker');
    const boss = await startBoss(
      ctx.store,
      {
        supervise: work,
        schedule: work,
        // Cron slots are looked at every 10 s (one node at a time), so a minute's job is made early in its minute.
        cronMonitorIntervalSeconds: 10,
        maintenanceIntervalSeconds: 60,
      },
      // A database restart surfaces here as errors of pg-boss's polling; it carries on by itself once the database is back.
      (err) => ctx.log.warn({ err }, 'jobs: pg-boss'),
      (err, tries) => ctx.log.warn({ err, tries }, 'jobs: installing pg-boss raced another node; trying again'),
    );
    const jobs = new ClusterJobs(boss, { db: ctx.store.db, log: ctx.log, work });
    setClusterJobs(ctx, jobs);
    const stop = async () => {
      await jobs.stop();
      setClusterJobs(ctx, undefined);
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    };
    try {
      await housekeeping(ctx, jobs, work);
    } catch (e) {
      // The server will not start: pg-boss's timers must not outlive it.
      await stop().catch(() => undefined);
      throw e;
    }
    return stop;
  },
};

/** The housekeeping jobs (worker nodes only: periodic() does nothing elsewhere). */
async function housekeeping(ctx: ServerContext, jobs: ClusterJobs, work: boolean): Promise<void> {
  if (!work) return;
  const remote = resolveRemoteOptions(remoteSettings(ctx));
  await jobs.periodic({ name: PORTAL_PURGE_JOB, everyMinutes: 60, run: () => purgePortalState(ctx.store.db, ctx.now()) });
  await jobs.periodic({ name: IDEMPOTENCY_PURGE_JOB, everyMinutes: 60, run: () => purgeExpiredIdempotencyKeys(ctx.store.db) });
  await jobs.periodic({
    name: REMOTE_SWEEP_JOB,
    everyMinutes: cronableMinutes(remote.sweepEveryMs / 60_000),
    run: () => sweepRemote(ctx.store.db, ctx.now(), { imageRetentionMs: remote.imageRetentionMs }),
  });
  await jobs.periodic({ name: LEDGER_PURGE_JOB, everyMinutes: 24 * 60, run: () => purgeRuns(ctx.store.db, new Date(ctx.now().getTime() - LEDGER_KEEP_MS)) });
}
