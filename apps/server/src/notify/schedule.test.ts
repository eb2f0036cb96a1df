import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createBoss } from '../store/boss.ts';
import { silentLogger } from '../context.ts';
import { ClusterJobs } from '../jobs/cluster-jobs.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { createSmsGateway } from './config.ts';
import { silentLog } from './log.ts';
import { DELIVER_QUEUE, Notifier } from './notifier.ts';
import { resolveNotifySettings } from './settings.ts';
import { DAY_MS, insertCa, insertPeopleInBulk, testIins } from './testing/fixtures.ts';
import { ReceiptingSmsc } from './testing/receipting-smsc.ts';

describeEachBackend('notifier schedule on pg-boss', (ctx) => {
  let smsc: ReceiptingSmsc | undefined;
  after(() => smsc?.close());

  test('a scan that creates reminders wakes a pg-boss worker in the same transaction, which delivers them', async () => {
    smsc = await ReceiptingSmsc.start();
    const db = ctx.store.db;
    const people = testIins(5, 21).map((iin, i) => ({ iin, phone: `+7705000000${i}` }));
    await insertPeopleInBulk(db, await insertCa(db), people, new Date(Date.now() + 9 * DAY_MS));
    const settings = resolveNotifySettings(
      { sms: { type: 'smpp', host: '127.0.0.1', port: smsc.port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba' }, emailThresholdsDays: [] },
      { publicUrl: 'https://qoltanba.kz', env: {} },
    );
    const sms = createSmsGateway(settings.sms!, { production: false });
    const boss = createBoss(ctx.store);
    boss.on('error', (e) => assert.fail(e));
    await boss.start();
    const notifier = new Notifier({ db, settings, sms, mail: undefined, log: silentLog });
    try {
      // The retry timer is slowed right down: only the pg-boss job can deliver within this test.
      await notifier.start(new ClusterJobs(boss, { db, log: silentLogger, work: true, pollingIntervalSeconds: 0.5 }), { pollSeconds: 3600 });
      const scan = await notifier.scan();
      assert.equal(scan.sms.messages, 5);
      const jobs = await ctx.store.db.selectFrom('pgboss.job' as never).select('name' as never).where('name' as never, '=', DELIVER_QUEUE as never).execute();
      assert.equal(jobs.length, 1, 'one wake-up job, sent with the scan page');
      const end = Date.now() + 15_000;
      while (smsc.countsByDestination().size < 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual([...smsc.countsByDestination().values()], [1, 1, 1, 1, 1]);
    } finally {
      await notifier.stop();
      await boss.stop({ graceful: true, wait: true, timeout: 5000 });
      await sms.close();
    }
  });
});
