/**
 * The outbox's promise under the worst conditions a shared server gives it: a worker killed with SIGKILL at
 * several points (as the SMSC takes a submit it will never answer; while receipts are being written), its CPU
 * starved by two processes spinning on both cores, an SMSC that answers and receipts late — and a restarted
 * worker. Proven with the SMSC's own count per person: exactly one reminder each. The only exceptions the
 * design allows are listed by `notify status`: a send killed before the SMSC took it cannot be told apart from
 * one it took whose receipt is still coming, so it stays 'unknown' until a receipt or the operator decides
 * (here the operator, seeing nothing at the SMSC, sends it again); and for an SMSC that cannot correlate
 * (no reference in its receipts) at-least-once may send one twice, each such one listed as "maybe twice".
 * No timer decides anything: receipts seconds late change nothing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openDatabase } from '../../store/index.ts';
import { describeEachBackend, type BackendContext } from '../../store/testing/backends.ts';
import { silentLog } from '../log.ts';
import { Notifier } from '../notifier.ts';
import { resolveNotifySettings, type UncorrelatedSends } from '../settings.ts';
import { DAY_MS, insertCa, insertPeopleInBulk, testIins } from '../testing/fixtures.ts';
import { ReceiptingSmsc, type ReceiptingSmscOptions } from '../testing/receipting-smsc.ts';
import { retryMessages } from './admin.ts';

const child = fileURLToPath(new URL('../testing/worker-child.ts', import.meta.url));
const COUNT = 100;
const LEASE_SECONDS = 3;

interface Scenario {
  readonly title: string;
  /** Kill the worker as the SMSC takes this submit_sm (and never answers it), or as it sends this receipt. */
  readonly kill: { readonly submit: number } | { readonly receipt: number };
  readonly smsc: ReceiptingSmscOptions;
  readonly worker?: { readonly receiptReference?: boolean; readonly uncorrelatedSends?: UncorrelatedSends };
}

// Every reminder is a two-part UCS-2 SMS: odd submit numbers are first parts, even ones second parts.
const SCENARIOS: readonly Scenario[] = [
  { title: 'killed as the SMSC takes submit #131 (a first part), which it never answers; receipts 3 s late', kill: { submit: 131 }, smsc: { receiptDelayMs: 3000 } },
  { title: 'killed as receipt #50 goes out, while receipts are being written; the SMSC answers 30 ms late', kill: { receipt: 50 }, smsc: { receiptDelayMs: 300, responseDelayMs: 30 } },
  {
    title: 'an SMSC that echoes no reference, at-least-once: killed at submit #82 (a second part); every duplicate is listed as maybe twice',
    kill: { submit: 82 },
    smsc: { receiptDelayMs: 1000, echoReference: false },
    worker: { receiptReference: false, uncorrelatedSends: 'at-least-once' },
  },
];

// Two processes spinning for the whole file: the worker, the SMSC and the database get what is left.
const burners: ChildProcess[] = [];
before(() => {
  for (let i = 0; i < 2; i++) burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
});
after(() => {
  for (const b of burners) b.kill('SIGKILL');
});

describeEachBackend('outbox across a worker killed with SIGKILL, CPU starved', (ctx) => {
  const groups = SCENARIOS.map((_, s) => testIins(COUNT, 11 + s).map((iin, i) => ({ iin, phone: `+770${2 + s}${String(i).padStart(7, '0')}` })));

  test(`set-up: ${SCENARIOS.length} × ${COUNT} people due for their SMS reminder, none released yet`, async () => {
    const db = ctx.store.db;
    const ca = await insertCa(db);
    for (const people of groups) await insertPeopleInBulk(db, ca, people, new Date(Date.now() + 9 * DAY_MS));
    const settings = resolveNotifySettings({ emailThresholdsDays: [] }, { publicUrl: 'https://qoltanba.kz', env: {} });
    assert.equal((await new Notifier({ db, settings, sms: undefined, mail: undefined, log: silentLog }).scan()).sms.messages, SCENARIOS.length * COUNT);
    await sql`UPDATE notify_messages SET next_attempt_at = 'infinity'`.execute(db);
    // The embedded database has one owner at a time: this process lets go, as a stopped server would.
    await ctx.store.close();
  });

  for (const [s, scenario] of SCENARIOS.entries()) {
    test(scenario.title, async () => {
      const people = groups[s]!;
      const iins = people.map((p) => p.iin);
      const phoneOf = new Map(people.map((p) => [p.iin, p.phone.slice(1)]));
      let victim: ChildProcess | undefined;
      let killed = false;
      const kill = () => {
        killed = true;
        victim!.kill('SIGKILL');
      };
      const smsc = await ReceiptingSmsc.start({
        ...scenario.smsc,
        submitFate: (n) => {
          if ('submit' in scenario.kill && n === scenario.kill.submit && !killed) {
            kill();
            return 'silent';
          }
          return 'answer';
        },
        ...('receipt' in scenario.kill && { onReceiptSent: (n: number) => n === (scenario.kill as { receipt: number }).receipt && !killed && kill() }),
      });
      try {
        // The first worker makes this scenario's reminders due and is killed in the middle of them.
        victim = startWorker(ctx, smsc.port, scenario, { release: iins });
        const first = await finished(victim);
        assert.equal(first.signal, 'SIGKILL', `the first worker was not killed: ${first.out}${first.err}`);

        const restarted = await runUntilSettled(ctx, smsc, scenario, iins);
        const counts = smsc.countsByDestination();
        const { report } = restarted;
        const byState = tally(report.messages.map((m) => `${m.state}/${m.uncertain_resolution ?? '-'}`));
        console.log(`crash test (${ctx.backend}) ${scenario.title}: ${JSON.stringify(byState)}; restarted worker: ${restarted.lapsed}`);
        const unknown = new Set(report.unknown);
        const twice = new Set(report.possiblyTwice);
        const listedUnknown = report.messages.filter((m) => unknown.has(m.id)).map((m) => m.id);
        for (const m of report.messages) {
          const n = counts.get(phoneOf.get(m.iin)!) ?? 0;
          if (n === 1) continue;
          // Anything but one is allowed only where the design says, and then it is listed.
          if (n === 0) assert.ok(unknown.has(m.id), `person ${m.iin} got no reminder and it is not listed as unknown (${m.state})`);
          else assert.ok(n === 2 && twice.has(m.id), `person ${m.iin} got ${n} reminders and it is not listed as maybe twice (${m.state}/${m.uncertain_resolution})`);
        }
        if (scenario.worker?.receiptReference !== false) {
          assert.equal(report.messages.filter((m) => (counts.get(phoneOf.get(m.iin)!) ?? 0) > 1).length, 0, 'an SMSC that names our sends never gets one twice');
          // Whatever is unknown got nothing: a send the SMSC took is always decided by its receipt.
          for (const id of listedUnknown) assert.equal(counts.get(phoneOf.get(report.messages.find((m) => m.id === id)!.iin)!) ?? 0, 0);
          // The kill caught sends in flight, and their receipts — not a timer — settled them.
          assert.ok((byState['delivered/receipt'] ?? 0) + listedUnknown.length > 0, `nothing was in flight at the kill: ${JSON.stringify(byState)}`);
        } else {
          assert.equal(listedUnknown.length, 0, 'at-least-once leaves nothing unknown');
        }
        if (listedUnknown.length) {
          // The operator, seeing nothing at the SMSC for them, sends the unknown ones again.
          const store = await openDatabase(ctx.database.openOptions);
          try {
            await retryMessages(store.db, { ids: listedUnknown }, 'operator:test');
          } finally {
            await store.close();
          }
          await runUntilSettled(ctx, smsc, scenario, iins);
        }
        const final = smsc.countsByDestination();
        const phones = [...phoneOf.values()];
        if (scenario.worker?.receiptReference !== false) assert.deepEqual(phones.filter((p) => final.get(p) !== 1), [], 'destinations that did not end with exactly one reminder');
        assert.deepEqual(phones.filter((p) => (final.get(p) ?? 0) < 1), [], 'destinations that got no reminder');
      } finally {
        victim?.kill('SIGKILL');
        await smsc.close();
      }
    });
  }
});

function startWorker(ctx: BackendContext, smscPort: number, scenario: Scenario, extra: { release?: string[]; report?: string[] } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', child], {
    env: { ...process.env, QT_NOTIFY_CHILD: JSON.stringify({ open: ctx.database.openOptions, smscPort, leaseSeconds: LEASE_SECONDS, ...scenario.worker, ...extra }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface FinalReport {
  unknown: string[];
  possiblyTwice: string[];
  messages: Array<{ id: string; iin: string; state: string; uncertain_resolution: string | null; provider_ids: string[] | null; submit_reference: number | null; attempts: number }>;
  receiptsOfSent: unknown[];
  unmatched: unknown[];
}

/**
 * Runs a worker until there is nothing left for it to do — nothing due or sending, and every receipt the SMSC
 * owes acknowledged (so written) — then stops it. Returns what it said about the leases
 * it settled, and its final report on the given people's messages.
 */
async function runUntilSettled(ctx: BackendContext, smsc: ReceiptingSmsc, scenario: Scenario, iins: string[]): Promise<{ lapsed: string; report: FinalReport }> {
  const worker = startWorker(ctx, smsc.port, scenario, { report: iins });
  const exit = finished(worker);
  let idleSince = 0;
  const giveUp = Date.now() + 180_000;
  let settled = false;
  while (!settled) {
    const state = await Promise.race([exit.then(() => 'exited' as const), new Promise((r) => setTimeout(r, 200)).then(() => 'running' as const)]);
    if (state === 'exited') {
      const r = await exit;
      assert.fail(`the worker stopped by itself: ${r.code} ${r.signal} ${r.out}${r.err}`);
    }
    if (Date.now() > giveUp) break;
    const lines = statusLines.get(worker) ?? [];
    const last = lines.at(-1);
    // ('sent' may stay: a two-part SMS cut between its parts is sent by its first part and has one receipt only.)
    if (!(last && last.due === 0 && last.sending === 0 && smsc.receiptsWaiting === 0)) {
      idleSince = 0;
      continue;
    }
    // Settled in a status printed after the SMSC's last acknowledgement: the database has it all.
    idleSince ||= lines.length;
    settled = lines.length > idleSince + 1;
  }
  worker.kill('SIGTERM');
  const r = await exit;
  assert.equal(r.code, 0, r.out + r.err);
  const final = r.out.split('\n').find((l) => l.startsWith('final '));
  const report = JSON.parse(final!.slice(6)) as FinalReport;
  assert.ok(settled, `not settled: last status ${JSON.stringify(statusLines.get(worker)?.at(-1))}, ${smsc.receiptsWaiting} receipts unacknowledged; ${JSON.stringify({ ...report, messages: report.messages.filter((m) => m.state === 'sent' || m.state === 'sending') })}`);
  return { lapsed: r.out.split('\n').filter((l) => l.startsWith('lapsed')).join(' '), report };
}

const statusLines = new WeakMap<ChildProcess, Array<Record<string, number>>>();

function finished(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const lines: Array<Record<string, number>> = [];
    statusLines.set(p, lines);
    let partial = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const text = partial + d.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      for (const line of complete) if (line.startsWith('status ')) lines.push(JSON.parse(line.slice(7)));
    });
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`the worker did not finish in time: ${out.slice(-2000)}${err}`));
    }, 240_000);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out: out.split('\n').filter((l) => !l.startsWith('status ')).join('\n'), err });
    });
  });
}

function tally(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}
