import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../store/index.ts';
import { describeEachBackend } from '../../store/testing.ts';
import { silentLog } from '../log.ts';
import { Notifier } from '../notifier.ts';
import { resolveNotifySettings } from '../settings.ts';
import { DAY_MS, insertCa, insertPeopleInBulk, testIins } from '../testing/fixtures.ts';
import { ReceiptingSmsc } from '../testing/receipting-smsc.ts';

const child = fileURLToPath(new URL('../testing/worker-child.ts', import.meta.url));
const COUNT = 1000;
const LEASE_SECONDS = 3;
// Generous: on a loaded machine receipts of in-flight sends can take seconds, and a receipt that misses the
// grace makes the message count as unsent — resent by design (a duplicate beats a lost reminder).
const GRACE_SECONDS = 10;

describeEachBackend('outbox across a worker killed with SIGKILL', (ctx) => {
  test(`a worker killed in the middle of ${COUNT} due reminders, then restarted: the SMSC receives every reminder exactly once`, async () => {
    const db = ctx.store.db;
    const people = testIins(COUNT, 11).map((iin, i) => ({ iin, phone: `+7702${String(i).padStart(7, '0')}` }));
    const ca = await insertCa(db);
    await insertPeopleInBulk(db, ca, people, new Date(Date.now() + 9 * DAY_MS));
    const settings = resolveNotifySettings({ emailThresholdsDays: [] }, { publicUrl: 'https://qoltanba.kz', env: {} });
    const scan = await new Notifier({ db, settings, sms: undefined, mail: undefined, log: silentLog }).scan();
    assert.equal(scan.sms.messages, COUNT);
    // The embedded database has one owner at a time: this process lets go, as a stopped server would.
    await ctx.store.close();

    let victim: ChildProcess | undefined;
    let killedAt = 0;
    // Every reminder is a two-part UCS-2 SMS: the kill lands after 700 parts, in the middle of a batch.
    // Receipts come half a second after the submit (real ones take seconds): by then a send's own record is
    // committed, so a receipt the killed worker acknowledged but never wrote cannot be the only proof of a send.
    const smsc = await ReceiptingSmsc.start({
      receiptDelayMs: 500,
      onReceived: (n) => {
        if (n === 700 && victim) {
          victim.kill('SIGKILL');
          killedAt = n;
        }
      },
    });
    try {
      victim = startChild(ctx.database.openOptions, smsc.port);
      const first = await exited(victim);
      assert.equal(first.signal, 'SIGKILL', `the first worker was not killed: ${first.out}`);
      assert.equal(killedAt, 700);

      const restarted = startChild(ctx.database.openOptions, smsc.port);
      const second = await exited(restarted);
      assert.equal(second.code, 0, second.out + second.err);
      assert.match(second.out, /done/);

      // The SMSC's own count, per person: nothing lost, nothing twice.
      const counts = smsc.countsByDestination();
      assert.equal(counts.size, COUNT);
      const twice = [...counts.entries()].filter(([, n]) => n !== 1);
      assert.deepEqual(twice, [], 'destinations that received a reminder more or less than once');
      assert.equal(smsc.received.length, 2 * COUNT);

      const store = await openDatabase(ctx.database.openOptions);
      try {
        const states = await store.db.selectFrom('notify_messages').select(['state', 'uncertain_resolution', store.db.fn.countAll<string>().as('n')]).groupBy(['state', 'uncertain_resolution']).execute();
        const byState = Object.fromEntries(states.map((s) => [`${s.state}/${s.uncertain_resolution ?? '-'}`, Number(s.n)]));
        // Sent, and nearly all confirmed by a receipt. A receipt that the killed worker had acknowledged (the
        // transport acknowledges before our listener writes it) but not yet written is lost with it; its
        // message stays 'sent' — sent exactly once, only without a delivery confirmation.
        const done = Object.entries(byState).filter(([k]) => k.startsWith('delivered/') || k.startsWith('sent/')).reduce((a, [, n]) => a + n, 0);
        assert.equal(done, COUNT, JSON.stringify(byState));
        // Messages caught in flight by the kill were settled by their receipts, not sent again.
        assert.ok((byState['delivered/receipt'] ?? 0) > 0, `no message was in flight at the kill: ${JSON.stringify(byState)}`);
        console.log(`crash test (${ctx.backend}): ${JSON.stringify(byState)}; restarted worker: ${second.out.replace(/\n/g, ' ')}`);
      } finally {
        await store.close();
      }
    } finally {
      await smsc.close();
    }
  });
});

function startChild(open: unknown, smscPort: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', child], {
    env: { ...process.env, QT_NOTIFY_CHILD: JSON.stringify({ open, smscPort, leaseSeconds: LEASE_SECONDS, graceSeconds: GRACE_SECONDS }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`the worker did not finish in time: ${out}${err}`));
    }, 180_000);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}
