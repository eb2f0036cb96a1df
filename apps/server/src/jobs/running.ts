/**
 * This process's cluster jobs, while the jobs feature (feature.ts) runs them: features that schedule or send
 * work find them here, without importing the jobs feature (features.ts starts it first and stops it last).
 */
import type { ServerContext } from '../context.ts';
import type { ClusterJobs } from './cluster-jobs.ts';

const running = new WeakMap<ServerContext, ClusterJobs>();

/** This process's cluster jobs, when the jobs feature runs here (absent in tests that start features alone). */
export function clusterJobs(ctx: ServerContext): ClusterJobs | undefined {
  return running.get(ctx);
}

/** Set by the jobs feature when pg-boss has started, cleared when it stops. */
export function setClusterJobs(ctx: ServerContext, jobs: ClusterJobs | undefined): void {
  if (jobs) running.set(ctx, jobs);
  else running.delete(ctx);
}

/** The nearest schedule a cron line can keep at or below `minutes`: a divisor of an hour, or whole hours dividing a day. */
export function cronableMinutes(minutes: number): number {
  if (minutes >= 60) {
    const hours = [24, 12, 8, 6, 4, 3, 2, 1].find((h) => h * 60 <= minutes) ?? 1;
    return hours * 60;
  }
  return [30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1].find((m) => m <= minutes) ?? 1;
}
