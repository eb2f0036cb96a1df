/**
 * Background work for a cluster of nodes on one database, on pg-boss (both backends): periodic jobs on a
 * cron, each period's work run once in the whole cluster (pg-boss hands the job to one worker node; the
 * ledger, ledger.ts, makes a second delivery of the same period a no-op), and jobs sent on demand (a delta
 * CRL soon after a revocation). Every node sends; only nodes with the 'worker' role work the queues.
 *
 * Why periodic queues use pg-boss's "standard" policy and not "stately" (one active job at a time): a node
 * killed in the middle of a job leaves it active until it expires, and a stately queue would run nothing
 * else until then. Here the next period's job runs on time on another node, and the dead run's period is
 * taken over (lease, ledger.ts) when pg-boss retries it after expiry.
 */
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import type { Kysely } from 'kysely';
import type { Logger } from '../context.ts';
import type { Database } from '../store/schema.ts';
import { claimRun, finishRun, periodOf, releaseRun } from './ledger.ts';
import { createQueueExclusively } from '../store/boss.ts';

export interface PeriodicJob {
  /** The pg-boss queue, "qoltanba-…". */
  name: string;
  /** How often: minutes that divide an hour (1, 5, 15, …) or whole hours that divide a day (60, 120, …, 1440). */
  everyMinutes: number;
  /** How long a run may take before another node may take its period over (default 10 minutes). */
  leaseSeconds?: number;
  run(): Promise<unknown>;
}

export interface OnDemandQueue<T extends object> {
  name: string;
  /**
   * pg-boss policy: "short" keeps at most one job waiting per singletonKey (later sends while it waits are
   * covered by it), "standard" keeps every job.
   */
  policy: 'short' | 'standard';
  /** How long a job may run before pg-boss hands it to another node (default 10 minutes). */
  expireInSeconds?: number;
  handle(data: T): Promise<unknown>;
}

export interface ClusterJobsOptions {
  db: Kysely<Database>;
  log: Logger;
  /** Work the queues in this process (the 'worker' role); otherwise this node only sends. */
  work: boolean;
  /** pg-boss polling (default 2 s). */
  pollingIntervalSeconds?: number;
  /** Who runs, in the ledger (default "<host>/<pid>"). */
  node?: string;
}

export type RunOutcome = 'ran' | 'skipped';

export class ClusterJobs {
  readonly boss: PgBoss;
  readonly node: string;
  readonly #o: ClusterJobsOptions;
  readonly #workers: string[] = [];

  constructor(boss: PgBoss, options: ClusterJobsOptions) {
    this.boss = boss;
    this.#o = options;
    this.node = options.node ?? `${hostname()}/${process.pid}`;
  }

  get working(): boolean {
    return this.#o.work;
  }

  /**
   * On a worker node: creates the queue and its cron schedule (both idempotent across nodes) and works it.
   * Returns how to stop working it (stop() stops every queue).
   */
  async periodic(job: PeriodicJob): Promise<() => Promise<void>> {
    if (!this.#o.work) return async () => undefined;
    const leaseSeconds = job.leaseSeconds ?? 600;
    await this.#queue(job.name, { policy: 'standard', expireInSeconds: leaseSeconds, retryLimit: 2, retryDelay: 5 });
    // A singleton per slot as well: should a slot's job be made twice (two cron evaluations around a restart), pg-boss
    // keeps one. An hour's window is enough for that (pg-boss allows no more than its archive interval, 12 h).
    await this.boss.schedule(job.name, cronOf(job.everyMinutes), {}, { tz: 'UTC', singletonKey: job.name, singletonSeconds: Math.min(job.everyMinutes, 60) * 60 });
    const id = await this.boss.work(job.name, { includeMetadata: true, pollingIntervalSeconds: this.#polling }, async (jobs) => {
      for (const j of jobs) await this.runPeriod(job, periodOf(j.createdOn, job.everyMinutes));
    });
    return this.#worker(id);
  }

  /**
   * Runs `job` for `period` unless the cluster already ran it (or is running it): what the pg-boss worker
   * does with each delivery. A failure is logged, hands the period back and is rethrown for pg-boss to retry.
   */
  async runPeriod(job: PeriodicJob, period: Date): Promise<RunOutcome> {
    const claim = await claimRun(this.#o.db, job.name, period, this.node, job.leaseSeconds ?? 600);
    if (!claim) {
      this.#o.log.debug({ job: job.name, period }, 'jobs: this period already ran (or is running) elsewhere');
      return 'skipped';
    }
    try {
      await job.run();
    } catch (err) {
      this.#o.log.error({ err, job: job.name, period }, 'jobs: a periodic run failed; pg-boss will retry it');
      await releaseRun(this.#o.db, claim).catch(() => undefined);
      throw err;
    }
    await finishRun(this.#o.db, claim);
    return 'ran';
  }

  /** A queue of jobs sent on demand (send()): created on every node (any may send), worked on worker nodes. */
  async onDemand<T extends object>(queue: OnDemandQueue<T>): Promise<() => Promise<void>> {
    await this.#queue(queue.name, { policy: queue.policy, expireInSeconds: queue.expireInSeconds ?? 600, retryLimit: 5, retryDelay: 5 });
    if (!this.#o.work) return async () => undefined;
    const id = await this.boss.work<T>(queue.name, { pollingIntervalSeconds: this.#polling }, async (jobs) => {
      for (const j of jobs) await queue.handle(j.data);
    });
    return this.#worker(id);
  }

  /** Sends a job; undefined when a "short" queue already has one waiting under the same singletonKey. */
  async send(name: string, data: object, options: PgBoss.SendOptions = {}): Promise<string | undefined> {
    return (await this.boss.send(name, data, options)) ?? undefined;
  }

  /** Stops fetching jobs; jobs in progress finish when the boss's owner stops it (gracefully). */
  async stop(): Promise<void> {
    for (const id of this.#workers.splice(0)) await this.boss.offWork({ id });
  }

  #worker(id: string): () => Promise<void> {
    this.#workers.push(id);
    return async () => {
      const at = this.#workers.indexOf(id);
      if (at < 0) return;
      this.#workers.splice(at, 1);
      await this.boss.offWork({ id });
    };
  }

  get #polling(): number {
    return this.#o.pollingIntervalSeconds ?? 2;
  }

  async #queue(name: string, options: Omit<PgBoss.Queue, 'name'>): Promise<void> {
    // Nodes starting together create the same queues at once: store/boss.ts says why that takes a lock.
    await createQueueExclusively(this.#o.db, name, options);
  }
}

/** The cron line of "every n minutes", aligned to the hour (minutes) or the day (hours), in UTC. */
export function cronOf(everyMinutes: number): string {
  if (Number.isInteger(everyMinutes) && everyMinutes >= 1 && everyMinutes < 60 && 60 % everyMinutes === 0) {
    return everyMinutes === 1 ? '* * * * *' : `*/${everyMinutes} * * * *`;
  }
  const hours = everyMinutes / 60;
  if (Number.isInteger(hours) && hours >= 1 && hours <= 24 && 24 % hours === 0) return hours === 24 ? '0 0 * * *' : hours === 1 ? '0 * * * *' : `0 */${hours} * * *`;
  throw new Error(`a periodic job runs every n minutes with n dividing 60, or every h hours with h dividing 24 (not ${everyMinutes} minutes)`);
}
