/**
 * The notifier: scan → outbox → delivery, and the schedule that drives it.
 *
 * The scan is a cluster job (jobs/cluster-jobs.ts, pg-boss on both backends): every minute, once for the
 * whole cluster, whichever worker node takes it. Each scan transaction that creates messages also sends a
 * delivery job, so delivery starts
 * when the messages commit, on whichever worker node takes it. Retries and lapsed leases need no job: a
 * short timer on every worker node claims what is due (claims skip rows another node holds). The outbox
 * table, not pg-boss, is the truth about each reminder — pg-boss only says "look now".
 * Work in one process is serialised, so a slow SMSC never piles up overlapping passes.
 */
import type { Kysely } from 'kysely';
import type PgBoss from 'pg-boss';
import type { ClusterJobs } from '../jobs/cluster-jobs.ts';
import type { Database } from '../store/schema.ts';
import type { NotifyLog } from './log.ts';
import type { Mailer } from './mail/mailer.ts';
import { deliverDue, type DeliveryResult } from './outbox/deliver.ts';
import { settleLapsedLeases, type SettleResult } from './outbox/settle.ts';
import { ReceiptWriter } from './outbox/receipts.ts';
import { DatabaseMobileCitizens, type MobileCitizens } from './mobile-citizens/mobile-citizens.ts';
import { scanDueReminders, type ScanResult } from './schedule/scan.ts';
import type { NotifySettings } from './settings.ts';
import { hasReceipts, type SmsGateway } from './sms/gateway.ts';

export const SCAN_QUEUE = 'qoltanba-notify-scan';
export const DELIVER_QUEUE = 'qoltanba-notify-deliver';

export interface NotifierOptions {
  readonly db: Kysely<Database>;
  readonly settings: NotifySettings;
  readonly sms: SmsGateway | undefined;
  readonly mail: Mailer | undefined;
  readonly mobileCitizens?: MobileCitizens;
  readonly log: NotifyLog;
  readonly clock?: () => Date;
}

export interface PassResult {
  readonly scan: { sms: ScanResult; email: ScanResult } | undefined;
  readonly lapsed: SettleResult;
  readonly delivery: DeliveryResult;
}

export interface ScheduleOptions {
  /** How often each worker node looks for due retries and lapsed leases (default 5 s). */
  readonly pollSeconds?: number;
}

export class Notifier {
  readonly #o: NotifierOptions;
  readonly #mobileCitizens: MobileCitizens;
  readonly #clock: () => Date;
  readonly #receipts: ReceiptWriter;
  #chain: Promise<unknown> = Promise.resolve();
  #stopping = false;
  #boss: PgBoss | undefined;
  #timer: NodeJS.Timeout | undefined;
  #workers: Array<() => Promise<void>> = [];
  #offReceipts: (() => void) | undefined;
  #receiptsClosed = false;

  constructor(o: NotifierOptions) {
    this.#o = o;
    this.#mobileCitizens = o.mobileCitizens ?? new DatabaseMobileCitizens(o.db);
    this.#clock = o.clock ?? (() => new Date());
    this.#receipts = new ReceiptWriter(o.db, (e, count) => o.log.error({ count, error: (e as Error).message }, 'notify: could not record SMS receipts'));
    // The promise resolves once the receipt is written: only then is it acknowledged to the SMSC. After stop()
    // receipts are refused (the SMSC keeps them and sends them again), never acknowledged unwritten.
    if (o.sms && hasReceipts(o.sms)) {
      this.#offReceipts = o.sms.onReceipt((r) => (this.#receiptsClosed ? Promise.reject(new Error('the notifier is stopping')) : this.#receipts.add(r)));
    }
  }

  /** Finds due reminders for both channels and writes them to the outbox. */
  async scan(now = this.#clock()): Promise<{ sms: ScanResult; email: ScanResult }> {
    const s = this.#o.settings;
    const common = { now, timeZone: s.timeZone, sendFromHour: s.sendFromHour, pageSize: s.scanPageSize, wake: this.#boss ? { boss: this.#boss, queue: DELIVER_QUEUE } : undefined };
    // The channels have their own cursors and watermarks: on PostgreSQL they are scanned side by side (on the
    // embedded database's one connection they simply take turns).
    const [sms, email] = await Promise.all([
      scanDueReminders(this.#o.db, { ...common, channel: 'sms', thresholdsDays: s.smsThresholdsDays }),
      scanDueReminders(this.#o.db, { ...common, channel: 'email', thresholdsDays: s.emailThresholdsDays }),
    ]);
    return { sms, email };
  }

  /** Settles lapsed leases by the SMSC's evidence, then delivers everything due. */
  async deliver(): Promise<{ lapsed: SettleResult; delivery: DeliveryResult }> {
    const s = this.#o.settings;
    const lapsed = await settleLapsedLeases(this.#o.db, { now: this.#clock(), uncorrelatedSends: s.uncorrelatedSends });
    const delivery = await deliverDue({
      db: this.#o.db,
      sms: this.#o.sms,
      mail: this.#o.mail,
      mobileCitizens: this.#mobileCitizens,
      portalUrl: s.portalUrl,
      retry: s.retry,
      leaseMs: s.leaseSeconds * 1000,
      uncorrelatedSends: s.uncorrelatedSends,
      batchSize: s.batchSize,
      concurrency: s.concurrency,
      log: this.#o.log,
      clock: this.#clock,
      stopping: () => this.#stopping,
    });
    return { lapsed, delivery };
  }

  /** Scan (unless told not to) and deliver, serialised with any scheduled work of this process. */
  pass(o: { scan?: boolean; now?: Date } = {}): Promise<PassResult> {
    return this.#serially(async () => {
      const scan = o.scan === false ? undefined : await this.scan(o.now);
      return { scan, ...(await this.deliver()) };
    });
  }

  /**
   * Starts the schedule: the scan as a periodic cluster job and the wake-up queue (with `jobs`), and the
   * retry timer. Without `jobs` (tests that choose it) the timer scans too.
   */
  async start(jobs: ClusterJobs | undefined, options: ScheduleOptions = {}): Promise<void> {
    this.#boss = jobs?.boss;
    if (jobs) {
      this.#workers.push(await jobs.periodic({ name: SCAN_QUEUE, everyMinutes: 1, run: () => this.pass() }));
      // "short": one wake-up waiting is enough; passes on several nodes at once are safe (rows are claimed with leases).
      this.#workers.push(await jobs.onDemand({ name: DELIVER_QUEUE, policy: 'short', handle: () => this.pass({ scan: false }) }));
    }
    const every = (options.pollSeconds ?? 5) * 1000;
    this.#timer = setInterval(() => {
      this.pass({ scan: !jobs }).catch((e: unknown) => this.#o.log.error({ error: (e as Error).message }, 'notify: a delivery pass failed'));
    }, every).unref();
  }

  /** Stops claiming, finishes what is in flight, records outstanding receipts. Transports are the caller's. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const stop of this.#workers.splice(0)) await stop();
    await this.#chain.catch(() => undefined);
    this.#receiptsClosed = true;
    this.#offReceipts?.();
    await this.#receipts.flushed();
  }

  /** Receipts still being written (tests wait for them). */
  async receiptsSettled(): Promise<void> {
    await this.#receipts.flushed();
  }

  #serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
