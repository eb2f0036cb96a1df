/**
 * A notifier worker in its own process, for the crash test: it opens the database, makes the messages of the
 * people it is given due (the test parks the others), binds to the test SMSC and delivers what is due, pass
 * after pass, printing the outbox counts after each ("status {…}", with "due") — until the test kills it
 * (SIGKILL, the crash) or asks it to stop (SIGTERM: it finishes what is in flight, writes the receipts it has,
 * prints "final {…}" — what `notify status` lists and the state of the given people's messages — and exits 0).
 * Input (JSON in QT_NOTIFY_CHILD): { open, smscPort, leaseSeconds, release?, report?, uncorrelatedSends?, receiptReference? }.
 */
import { createSmsGateway } from '../config.ts';
import { silentLog } from '../log.ts';
import { Notifier } from '../notifier.ts';
import { outboxStatus } from '../outbox/admin.ts';
import { resolveNotifySettings, type UncorrelatedSends } from '../settings.ts';
import { openDatabase, type OpenDatabaseOptions } from '../../store/index.ts';

const input = JSON.parse(process.env.QT_NOTIFY_CHILD ?? '{}') as {
  open: OpenDatabaseOptions;
  smscPort: number;
  leaseSeconds: number;
  /** IINs whose messages become due now. */
  release?: string[];
  /** IINs whose messages "final" describes. */
  report?: string[];
  uncorrelatedSends?: UncorrelatedSends;
  receiptReference?: boolean;
};
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
const store = await openDatabase(input.open);
const db = store.db;
if (input.release?.length) await db.updateTable('notify_messages').set({ next_attempt_at: new Date() }).where('iin', 'in', input.release).execute();
const settings = resolveNotifySettings(
  {
    sms: {
      type: 'smpp',
      host: '127.0.0.1',
      port: input.smscPort,
      systemId: 'qoltanba',
      password: 'secret',
      source: 'Qoltanba',
      window: 10,
      reconnect: { initialMs: 100, maxMs: 500 },
      ...(input.receiptReference !== undefined && { receiptReference: input.receiptReference }),
    },
    emailThresholdsDays: [],
    leaseSeconds: input.leaseSeconds,
    batchSize: 50,
    concurrency: 10,
    ...(input.uncorrelatedSends && { uncorrelatedSends: input.uncorrelatedSends }),
  },
  { publicUrl: 'https://qoltanba.kz', env: {} },
);
const sms = createSmsGateway(settings.sms!, { production: false });
const notifier = new Notifier({ db, settings, sms, mail: undefined, log: silentLog });
process.stdout.write('started\n');
while (!stopping) {
  const pass = await notifier.pass({ scan: false });
  const { neverSent, provenByReceipt, unknown, resent } = pass.lapsed;
  if (neverSent || provenByReceipt || unknown || resent) process.stdout.write(`lapsed ${JSON.stringify(pass.lapsed)}\n`);
  // "due": pending messages whose time has come (the test parks others far in the future).
  const due = await db.selectFrom('notify_messages').select((e) => e.fn.countAll<string>().as('n')).where('state', '=', 'pending').where('next_attempt_at', '<=', new Date()).executeTakeFirstOrThrow();
  process.stdout.write(`status ${JSON.stringify({ ...(await outboxStatus(db)).counts.sms, due: Number(due.n) })}\n`);
  await new Promise((r) => setTimeout(r, 100));
}
await notifier.stop();
await sms.close();
const status = await outboxStatus(db);
const messages = input.report?.length
  ? await db.selectFrom('notify_messages').select(['id', 'iin', 'state', 'uncertain_resolution', 'provider_ids', 'submit_reference', 'attempts']).where('iin', 'in', input.report).execute()
  : [];
const receipts = await db.selectFrom('notify_receipts').select(['provider_id', 'message_id', 'reference', 'attempt', 'state']).where('message_id', 'in', messages.filter((m) => m.state === 'sent').map((m) => m.id).concat(['0'])).execute();
const unmatched = await db.selectFrom('notify_receipts').select(['provider_id', 'reference', 'state']).where('message_id', 'is', null).execute();
process.stdout.write(`final ${JSON.stringify({ unknown: status.unknown.map((u) => u.id), possiblyTwice: status.possiblyTwice.map((t) => t.id), messages, receiptsOfSent: receipts, unmatched })}\n`);
await store.close();
process.stdout.write('done\n');
