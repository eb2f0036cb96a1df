import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type PgBoss from 'pg-boss';
import { parseCrl } from '@qoltanba/pki';
import { silentLogger } from '../context.ts';
import { ClusterJobs, type PeriodicJob } from '../jobs/cluster-jobs.ts';
import { periodOf } from '../jobs/ledger.ts';
import { createBoss, openDatabase, type Store } from '../store/index.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { caFixture, uniqueIin, type CaFixture } from '../ra/testing/fixture.ts';
import { opensslCsr } from '../ra/testing/openssl.ts';
import { issue } from '../ra/issue.ts';
import { revoke } from '../ra/revoke.ts';
import { normalizeSerial } from '../ra/serial.ts';
import { TICK_QUEUE } from './schedule.ts';

const revokeChild = fileURLToPath(new URL('./testing/revoke-child.ts', import.meta.url));

/** Polls until `check` returns a value (or fails after `ms`: a bound on a hang, not a grace period). */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startJobs(store: Store): Promise<{ boss: PgBoss; jobs: ClusterJobs; stop(): Promise<void> }> {
  const boss = createBoss(store, { cronMonitorIntervalSeconds: 1 });
  boss.on('error', (e) => assert.fail(e));
  await boss.start();
  const jobs = new ClusterJobs(boss, { db: store.db, log: silentLogger, work: true, pollingIntervalSeconds: 0.5 });
  return {
    boss,
    jobs,
    async stop() {
      await jobs.stop();
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}

async function newCertificate(fx: CaFixture): Promise<string> {
  const csr = await opensslCsr();
  const { certificate } = await issue(fx.ra, {
    csr: csr.pem,
    profile: 'individual-auth',
    subject: { surname: 'Нұрланов', name: 'Ерлан', iin: uniqueIin() },
    storage: 'file',
    idempotencyKey: `k-${Math.random()}`,
    actor: 'operator:test',
  });
  return certificate.serial;
}

describeEachBackend('the status schedule as cluster jobs', (ctx) => {
  let fx: CaFixture;
  let running: Awaited<ReturnType<typeof startJobs>>;
  const crls = () => ctx.store.db.selectFrom('crls').select(['crl_number', 'kind', 'entry_count']).where('ca_id', '=', fx.caId).orderBy('crl_number').execute();
  after(async () => {
    await running?.stop();
    await fx?.close();
  });

  test('the status service works its schedule through pg-boss on the same database', async () => {
    fx = await caFixture(ctx.store);
    running = await startJobs(ctx.store);
    await fx.status.start({ jobs: running.jobs, debounceSeconds: 2 });
    // Only the jobs these tests send run: the minute's cron would otherwise tick in the middle of a burst.
    await running.boss.unschedule(TICK_QUEUE);
  });

  test('a tick job refreshes OCSP and publishes the CRLs that are due (the first full CRL; no delta right after it)', async () => {
    await running.boss.send(TICK_QUEUE, {});
    const made = await eventually(async () => ((await crls()).length > 0 ? crls() : undefined));
    assert.deepEqual(made.map((c) => [c.crl_number, c.kind]), [['1', 'full']]);
    // The tick ran once, for its minute, recorded in the ledger.
    const run = await eventually(async () => (await ctx.store.db.selectFrom('job_runs').select(['period', 'finished_at']).where('job', '=', TICK_QUEUE).execute()).find((r) => r.finished_at));
    assert.equal(run.period.getTime() % 60_000, 0);
    assert.equal((await ctx.store.db.selectFrom('job_runs').select('job').where('job', '=', TICK_QUEUE).execute()).length, 1);
  });

  test('revocations in a burst are followed by one delta CRL soon, whichever node asks', async () => {
    // The certificates first: their keys and CSRs are the slow part under load, and a burst spread over more than
    // the debounce would rightly be published in more than one delta. The revocations themselves follow at once.
    const serials: string[] = [];
    for (let i = 0; i < 3; i++) serials.push(await newCertificate(fx));
    for (const serial of serials) await revoke(fx.ra, { ca: fx.caName, serial, reason: 'keyCompromise', actor: 'operator:test' });
    const delta = await eventually(async () => (await crls()).find((c) => c.kind === 'delta'));
    assert.equal(delta.crl_number, '2');
    assert.equal(delta.entry_count, 3);
    // Every ask made while the job waited was covered by it, and a tick now finds nothing uncovered.
    assert.deepEqual(await fx.status.generateCrl(fx.caId, 'delta', { ifUncoveredChanges: true }), undefined);
    assert.equal((await crls()).length, 2);
  });

  test("a period's work runs once however often it is delivered; a dead node's unfinished run is taken over, a finished one never", async () => {
    let runs = 0;
    const job: PeriodicJob = { name: 'qoltanba-test-periodic', everyMinutes: 5, leaseSeconds: 600, run: async () => void runs++ };
    const period = periodOf(new Date(), 5);
    assert.equal(await running.jobs.runPeriod(job, period), 'ran');
    assert.equal(await running.jobs.runPeriod(job, period), 'skipped');
    const other = new ClusterJobs(running.boss, { db: ctx.store.db, log: silentLogger, work: true, node: 'another-node/1' });
    assert.equal(await other.runPeriod(job, period), 'skipped', 'another node gets the same delivery: skipped');
    assert.equal(runs, 1);

    // A node claimed the next period and died mid-run: while its lease runs nobody else runs it; after, one node does.
    const next = new Date(period.getTime() + 5 * 60_000);
    await ctx.store.db.insertInto('job_runs').values({ job: job.name, period: next, node: 'dead-node/7', lease_until: new Date(Date.now() + 3_600_000) }).execute();
    assert.equal(await running.jobs.runPeriod(job, next), 'skipped');
    await ctx.store.db.updateTable('job_runs').set({ lease_until: new Date(Date.now() - 1000) }).where('job', '=', job.name).where('period', '=', next).execute();
    assert.equal(await other.runPeriod(job, next), 'ran');
    assert.equal(await running.jobs.runPeriod(job, next), 'skipped');
    const row = await ctx.store.db.selectFrom('job_runs').select(['node', 'attempts', 'finished_at']).where('job', '=', job.name).where('period', '=', next).executeTakeFirstOrThrow();
    assert.deepEqual([row.node, row.attempts, row.finished_at !== null], ['another-node/1', 2, true]);
    assert.equal(runs, 2);

    // A run that fails gives its period back at once, for pg-boss's retry.
    const failing: PeriodicJob = { ...job, name: 'qoltanba-test-failing', run: async () => Promise.reject(new Error('the database went away')) };
    await assert.rejects(running.jobs.runPeriod(failing, period), /went away/);
    assert.equal(await running.jobs.runPeriod({ ...failing, run: async () => void runs++ }, period), 'ran');
    assert.equal(runs, 3);
  });

  test('stops cleanly, and without pg-boss (a test choosing timers) the same works on timers', async () => {
    await fx.status.stop();
    await running.stop();
    const before = (await crls()).length;
    await fx.status.start({ debounceSeconds: 0.3, tickSeconds: 3600 });
    const serial = await newCertificate(fx);
    await revoke(fx.ra, { ca: fx.caName, serial, reason: 'superseded', actor: 'operator:test' });
    await fx.status.crlAfterRevocation(fx.caId);
    await eventually(async () => ((await crls()).length > before ? true : undefined));
    assert.equal((await crls()).length, before + 1);
    await fx.status.stop();
  });
});

describeEachBackend('a revocation reaches a CRL even when its node dies right after committing it', (ctx) => {
  test('the process that revoked is killed before it asks for a delta CRL; the next tick, on another process, publishes it', async () => {
    const fx = await caFixture(ctx.store, { statusHooks: false });
    let store: Store | undefined;
    try {
      await fx.status.publishMissingCrls();
      const serial = await newCertificate(fx);
      // The embedded database has one owner: this process lets go of it, as a stopped server would.
      if (ctx.backend === 'pglite') await ctx.store.close();

      const out = await runChildUntilCommitted(JSON.stringify({ open: ctx.database.openOptions, home: fx.home, ca: fx.caName, serial }));
      assert.match(out, /^committed$/m);

      store = ctx.backend === 'pglite' ? await openDatabase(ctx.database.openOptions) : ctx.store;
      const row = await store.db.selectFrom('certificates').select(['status', 'revocation_reason']).where('serial', '=', normalizeSerial(serial)).executeTakeFirstOrThrow();
      assert.deepEqual(row, { status: 'revoked', revocation_reason: 1 }, 'the revocation committed');
      const listed = async () => {
        const rows = await store!.db.selectFrom('crls').select(['kind', 'der']).where('ca_id', '=', fx.caId).orderBy('crl_number', 'desc').execute();
        return rows.find((r) => parseCrl(r.der).findRevocation(serial)?.reason === 'keyCompromise');
      };
      assert.equal(await listed(), undefined, 'no CRL lists it yet: the dead process never asked for one');

      // Another process: its schedule, on the same database. The cron would send this tick within the minute.
      const service = fx.status;
      const restarted = { ...fx.ctx, store };
      const { createStatusService } = await import('./service.ts');
      const other = createStatusService(restarted);
      const jobs = await startJobs(store);
      try {
        await other.start({ jobs: jobs.jobs });
        await jobs.boss.send(TICK_QUEUE, {});
        const crl = await eventually(listed);
        assert.equal(crl.kind, 'delta');
      } finally {
        await other.stop();
        await jobs.stop();
        await service.stop();
      }
    } finally {
      if (ctx.backend === 'pglite') await store?.close();
      await fx.close();
    }
  });
});

/** Starts the child, waits until its revocation committed, kills it with SIGKILL. */
function runChildUntilCommitted(input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', revokeChild], { env: { ...process.env, QT_REVOKE_CHILD: input }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`the child never committed: ${out}${err}`));
    }, 120_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^committed$/m.test(out)) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && /^committed$/m.test(out)) resolve(out);
      else reject(new Error(`the child exited (${code ?? signal}) before its revocation committed: ${out}${err}`));
    });
  });
}
