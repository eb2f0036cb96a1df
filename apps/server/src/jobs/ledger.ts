/**
 * The ledger of periodic runs (job_runs, migration "cluster_job_runs"): a run claims its (job, period)
 * before doing anything and marks it finished after, so however often pg-boss hands the job out — twice
 * around a restart, again after the node running it died — the period's work runs once in the cluster.
 *
 * A claim is a lease: a node that dies mid-run leaves an unfinished claim, which another node may take
 * over once the lease has passed (the retry pg-boss makes when the job expires). A run that fails gives
 * its lease back at once, so pg-boss's retry runs the period again. A finished period is never run again.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface Claim {
  job: string;
  period: Date;
  node: string;
  /** 1 for the first run of the period; more when a dead or failed run was taken over. */
  attempt: number;
}

/** Claims the period, or undefined when it is finished or another node's lease on it is still running. */
export async function claimRun(db: Kysely<Database>, job: string, period: Date, node: string, leaseSeconds: number): Promise<Claim | undefined> {
  const { rows } = await sql<{ attempts: number }>`
    INSERT INTO job_runs (job, period, node, lease_until)
    VALUES (${job}, ${period}, ${node}, clock_timestamp() + make_interval(secs => ${leaseSeconds}))
    ON CONFLICT (job, period) DO UPDATE SET
      node = EXCLUDED.node, attempts = job_runs.attempts + 1, started_at = clock_timestamp(), lease_until = EXCLUDED.lease_until
      WHERE job_runs.finished_at IS NULL AND job_runs.lease_until < clock_timestamp()
    RETURNING attempts`.execute(db);
  const row = rows[0];
  return row ? { job, period, node, attempt: row.attempts } : undefined;
}

export async function finishRun(db: Kysely<Database>, claim: Claim): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({ finished_at: sql`clock_timestamp()` })
    .where('job', '=', claim.job)
    .where('period', '=', claim.period)
    .where('node', '=', claim.node)
    .execute();
}

/** A failed run hands its period back, so a retry may run it at once. */
export async function releaseRun(db: Kysely<Database>, claim: Claim): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({ lease_until: sql`clock_timestamp()` })
    .where('job', '=', claim.job)
    .where('period', '=', claim.period)
    .where('node', '=', claim.node)
    .where('finished_at', 'is', null)
    .execute();
}

/** Deletes runs that started before `before` (the ledger is evidence for a while, not forever). */
export async function purgeRuns(db: Kysely<Database>, before: Date): Promise<number> {
  const r = await db.deleteFrom('job_runs').where('started_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The start of the period of `everyMinutes` that `at` falls in (periods are aligned to the Unix epoch, in UTC). */
export function periodOf(at: Date, everyMinutes: number): Date {
  const ms = everyMinutes * 60_000;
  return new Date(Math.floor(at.getTime() / ms) * ms);
}
