/**
 * A notifier worker in its own process, for the crash test: it opens the database, binds to the test SMSC and
 * delivers what is due until nothing is pending or being sent (then waits a little for the last receipts, prints "done" and exits) — unless the test kills it
 * first. Input (JSON in QT_NOTIFY_CHILD): { open: OpenDatabaseOptions, smscPort, leaseSeconds, graceSeconds }.
 */
import { createSmsGateway } from '../config.ts';
import { silentLog } from '../log.ts';
import { Notifier } from '../notifier.ts';
import { outboxStatus } from '../outbox/operator.ts';
import { resolveNotifySettings } from '../settings.ts';
import { openDatabase, type OpenDatabaseOptions } from '../../store/index.ts';

const input = JSON.parse(process.env.QT_NOTIFY_CHILD ?? '{}') as { open: OpenDatabaseOptions; smscPort: number; leaseSeconds: number; graceSeconds: number };
const store = await openDatabase(input.open);
const settings = resolveNotifySettings(
  {
    sms: { type: 'smpp', host: '127.0.0.1', port: input.smscPort, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba', window: 10 },
    emailThresholdsDays: [],
    leaseSeconds: input.leaseSeconds,
    receiptGraceSeconds: input.graceSeconds,
    batchSize: 50,
    concurrency: 10,
  },
  { publicUrl: 'https://qoltanba.kz', env: {} },
);
const sms = createSmsGateway(settings.sms!, { production: false });
const notifier = new Notifier({ db: store.db, settings, sms, mail: undefined, log: silentLog });
process.stdout.write('started\n');
for (;;) {
  const pass = await notifier.pass({ scan: false });
  if (pass.lapsed.provenByReceipt || pass.lapsed.retried || pass.lapsed.neverSent) process.stdout.write(`lapsed ${JSON.stringify(pass.lapsed)}\n`);
  const { counts } = await outboxStatus(store.db);
  if (counts.sms.pending === 0 && counts.sms.sending === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
// Receipts of the last sends are still coming in.
for (let i = 0; i < 50 && (await outboxStatus(store.db)).counts.sms.sent > 0; i++) await new Promise((r) => setTimeout(r, 100));
await notifier.receiptsSettled();
await notifier.stop();
await sms.close();
await store.close();
process.stdout.write('done\n');
