/**
 * When the status service works on its own: a tick every minute (OCSP refresh, then the CRLs whose
 * interval has passed) and a delta CRL soon after revocations, coalescing a burst into one CRL.
 *
 * With pg-boss (both backends) the tick is a cron job, worked by one node at a time (a "stately" queue),
 * and the post-revocation delta is a delayed job, at most one waiting per CA, so a burst of revocations
 * on any number of nodes yields one delta CRL `debounceSeconds` after the first of them. Without pg-boss, timers in this process do the same; that is for a single-process setup —
 * with several processes each runs its own timers, which stays correct (CRL due-checks are made under
 * the CA's lock) but does the work more than once.
 */
import type PgBoss from 'pg-boss';
import type { StatusService } from './service.ts';

export const TICK_QUEUE = 'qoltanba-status-tick';
export const DELTA_QUEUE = 'qoltanba-status-crl-delta';

export interface ScheduleOptions {
  /** Coalescing window for post-revocation delta CRLs (default 30 s). */
  debounceSeconds?: number;
  /** Timers only: how often to tick (default 60 s; pg-boss cron ticks every minute). */
  tickSeconds?: number;
  /** pg-boss polling (default 2 s). */
  pollingIntervalSeconds?: number;
}

export interface Schedule {
  /** Asks for a delta CRL of the CA soon (after revocations). */
  deltaSoon(caId: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startBossSchedule(service: StatusService, boss: PgBoss, options: ScheduleOptions = {}): Promise<Schedule> {
  const debounceSeconds = options.debounceSeconds ?? 30;
  const polling = { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 };
  await boss.createQueue(TICK_QUEUE, { name: TICK_QUEUE, policy: 'stately' });
  // "stately": per CA at most one delta job waiting (and one running). Asks while one waits are covered
  // by it; an ask while one runs queues the next, which will see what the running one could not.
  await boss.createQueue(DELTA_QUEUE, { name: DELTA_QUEUE, policy: 'stately' });
  await boss.schedule(TICK_QUEUE, '* * * * *');
  const workers = [
    await boss.work(TICK_QUEUE, polling, async () => {
      await service.tick();
    }),
    await boss.work<{ caId: number }>(DELTA_QUEUE, polling, async (jobs) => {
      for (const job of jobs) await service.generateCrl(job.data.caId, 'delta');
    }),
  ];
  return {
    async deltaSoon(caId) {
      await boss.send(DELTA_QUEUE, { caId }, { singletonKey: String(caId), startAfter: debounceSeconds });
    },
    async stop() {
      for (const id of workers) await boss.offWork({ id });
    },
  };
}

export function startTimerSchedule(service: StatusService, options: ScheduleOptions & { tick?: boolean } = {}): Schedule {
  const log = service.ctx.log;
  const pending = new Map<number, NodeJS.Timeout>();
  let running: Promise<unknown> = Promise.resolve();
  const serially = (what: string, fn: () => Promise<unknown>) => {
    running = running.then(fn).catch((err: unknown) => log.error({ err }, `status: ${what} failed`));
    return running;
  };
  const ticker =
    options.tick === false
      ? undefined
      : setInterval(() => void serially('scheduled tick', () => service.tick()), (options.tickSeconds ?? 60) * 1000).unref();
  return {
    async deltaSoon(caId) {
      if (pending.has(caId)) return; // this burst's delta is already coming
      const timer = setTimeout(() => {
        pending.delete(caId);
        void serially('delta CRL after revocation', () => service.generateCrl(caId, 'delta'));
      }, (options.debounceSeconds ?? 30) * 1000).unref();
      pending.set(caId, timer);
    },
    async stop() {
      if (ticker) clearInterval(ticker);
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
      await running;
    },
  };
}
