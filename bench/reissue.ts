/**
 * Portal re-issuance benchmark: the server-side cost of one complete re-issuance through the portal's own
 * service functions (the routes add only parsing and rendering) on PostgreSQL — «Подать заявку», the text
 * to sign, verifying the signed application (CMS and our record of the signer's certificate; the chain and our
 * OCSP answer for the first signer under the CA, portal/auth/ours.ts), the SMS code
 * (to the development sink) and its check, two certificates from the RSA-4096 issuing CA (CSR checks,
 * lint-before-sign, one transaction each, OCSP pre-signing), the wizard's bookkeeping — then sustained
 * re-issuances per second at a few concurrency levels, beside `openssl speed rsa4096` (the CA key's signing
 * ceiling on this CPU) from the same run.
 *
 * Work done on the citizen's computer is not the server's and is prepared before the clock starts: the new
 * key pairs and CSRs (openssl req). The citizen's signature over the application text (one RSA-2048
 * signature, ~1 ms) is made in the loop, since the text only exists once the server wrote it; it is timed
 * and reported on its own line.
 *
 *   node --import tsx bench/reissue.ts [--people 500] [--seconds 5] [--levels 1,4,8] [--bits 4096] [--sequential 8] [--profile out.cpuprofile]
 *
 * --profile writes a V8 CPU profile of the sequential re-issuances only (not the preparation, not the
 * sustained levels), to open in Chrome DevTools or summarise with `node bench/lib/cpuprofile-top.mjs`.
 *   npm run bench -- reissue
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { opensslRsaSpeed, opensslVersion } from './lib/openssl.ts';
import { runDirectly } from './lib/direct.ts';
import { postgresCpuMs } from './lib/postgres-cpu.ts';
import { millis, printTable, type BenchRow } from './lib/table.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

export async function run(): Promise<void> {
  const { createTestDatabase } = await import('../apps/server/src/store/testing/backends.ts');
  const { caFixture, uniqueIin } = await import('../apps/server/src/ra/testing/fixture.ts');
  const { opensslCsr } = await import('../apps/server/src/ra/testing/openssl.ts');
  const { SmsSink, silentLog } = await import('../apps/server/src/notify/index.ts');
  const { createPortalDeps } = await import('../apps/server/src/portal/feature.ts');
  const { createCitizen, registerPhones, signAs } = await import('../apps/server/src/portal/testing/citizens.ts');
  const svc = await import('../apps/server/src/portal/reissue/service.ts');
  const { translatorFor } = await import('../apps/server/src/portal/messages.ts');

  const peopleCount = Number(arg('people', '500'));
  const seconds = Number(arg('seconds', '5'));
  const levels = arg('levels', '1,4,8').split(',').map(Number);
  const bits = Number(arg('bits', '4096')) as 2048 | 4096;
  const sequentialCount = Number(arg('sequential', '8'));
  const db = await createTestDatabase('postgres', { poolSize: Math.max(...levels) * 2 + 4 });
  const fx = await caFixture(db.store, { bits });
  const sms = new SmsSink({ type: 'log', keep: 10_000 }, silentLog);
  const { deps, close } = createPortalDeps(fx.ctx, { sms, status: fx.status, applicationsPerDay: 1000, otp: { perPersonPerDay: 1000, resendAfterSeconds: 0 } });
  const t = translatorFor('ru');
  try {
    // People with current keys (issued by the same CA), their phones in the registry, and the new CSRs
    // their agents would send.
    process.stdout.write(`\n(preparing ${peopleCount} people: current keys, registry, new CSRs…)\n`);
    type Person = { citizen: Awaited<ReturnType<typeof createCitizen>>; phone: string; csrs: { auth: string; sign: string } };
    const people: Person[] = [];
    for (let i = 0; i < peopleCount; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(8, peopleCount - i) }, async (_, j) => {
          const citizen = await createCitizen(deps.ra, { iin: uniqueIin(), surname: 'БЕНЧМАРК', name: 'ТЕСТ' });
          const [auth, sign] = await Promise.all([opensslCsr(), opensslCsr()]);
          return { citizen, phone: `+7701${String(10_000_000 + i + j).slice(1)}`, csrs: { auth: auth.pem, sign: sign.pem } };
        }),
      );
      people.push(...batch);
    }
    await registerPhones(db.store, people.map((p) => ({ iin: p.citizen.iin, phone: p.phone })));

    interface Timing {
      total: number;
      verify: number;
      issue: number;
      clientSign: number;
      /** CPU of the citizen's signature (ms), taken out of the server's. */
      clientCpu: number;
      /** This process's CPU (all threads) in the verify and issue phases; meaningful when run one at a time. */
      verifyCpu: number;
      issueCpu: number;
    }
    const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
    // Statements sent to PostgreSQL (BEGIN and COMMIT included), counted at the driver, per step of the sequential
    // re-issuances. Work a step leaves running after its answer (the OCSP pre-signing after the issuance's commit)
    // is counted in the step during which it reaches the database.
    let statements = 0;
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      statements++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    const STEPS = ['apply', 'text', 'sign+code', 'confirm', 'issue', 'installed'] as const;
    const perStep = new Map<string, number[]>(STEPS.map((s) => [s, []]));
    let counting = false;
    const step = (name: (typeof STEPS)[number], since: number) => {
      if (counting) perStep.get(name)!.push(statements - since);
      return statements;
    };
    /** One complete re-issuance, as the wizard's routes call the services, phase by phase. */
    const reissue = async (p: Person): Promise<Timing> => {
      const me = { iin: p.citizen.iin, sessionSha256: randomBytes(32) };
      const t0 = performance.now();
      let at = statements;
      const id = await svc.createReissue(deps, me.iin, { email: undefined, storage: 'file', revokeOld: false });
      at = step('apply', at);
      const challenge = await svc.applicationChallenge(deps, me, id, t);
      at = step('text', at);
      const c0 = performance.now();
      const cc0 = process.cpuUsage();
      const cms = await signAs(p.citizen.sign, challenge.content);
      const cc = process.cpuUsage(cc0);
      const clientSign = performance.now() - c0;
      const v0 = performance.now();
      const vc0 = process.cpuUsage();
      const sent = await svc.signApplication(deps, me, id, { challengeId: challenge.id, cms }, 'ru');
      const verify = performance.now() - v0;
      const verifyCpu = cpuMs(process.cpuUsage(vc0));
      if (sent instanceof Error) throw sent;
      at = step('sign+code', at);
      const code = /Код: (\d{6})/.exec(sms.last(p.phone)?.text ?? '')?.[1] ?? '';
      await svc.confirmCode(deps, me, id, code);
      at = step('confirm', at);
      const i0 = performance.now();
      const ic0 = process.cpuUsage();
      const issued = await svc.issueFor(deps, me, id, { requestId: `bench${id.slice(0, 8)}`, keys: [{ keyType: 'AUTHENTICATION', csr: p.csrs.auth }, { keyType: 'SIGNATURE', csr: p.csrs.sign }] });
      const issue = performance.now() - i0;
      const issueCpu = cpuMs(process.cpuUsage(ic0));
      if (issued.certificates.length !== 2) throw new Error('two certificates expected');
      at = step('issue', at);
      await svc.markInstalled(deps, me, id, [{ keyType: 'AUTHENTICATION' }, { keyType: 'SIGNATURE' }]);
      step('installed', at);
      return { total: performance.now() - t0 - clientSign, verify, issue, clientSign, clientCpu: cpuMs(cc), verifyCpu, issueCpu };
    };

    let next = 0;
    const take = () => (next < people.length ? people[next++] : undefined);
    // Warm-up (key files decrypted, lint keys made, JIT, connections), then one at a time for the cost.
    for (let i = 0; i < 2; i++) await reissue(take()!);
    // One at a time, the CPU it costs beside the wall-clock time: this process (the server's work, its signer's
    // threads, and the citizen's signature, measured apart and taken out) and the database's backends. On a shared
    // machine the wall-clock time grows with the neighbours' load; the CPU does not.
    const single: Timing[] = [];
    const profileOut = arg('profile', '');
    const inspector = profileOut ? new Session() : undefined;
    if (inspector) {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
      await inspector.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    const pg0 = await postgresCpuMs(db.store);
    counting = true;
    for (let i = 0; i < sequentialCount; i++) single.push(await reissue(take()!));
    counting = false;
    const cpu = process.cpuUsage(cpu0);
    const pgCpuPer = ((await postgresCpuMs(db.store)) - pg0) / single.length;
    if (inspector) {
      const { profile } = await inspector.post('Profiler.stop');
      writeFileSync(profileOut, JSON.stringify(profile));
      inspector.disconnect();
      process.stdout.write(`(CPU profile of the ${single.length} sequential re-issuances: ${profileOut})\n`);
    }
    const clientCpuPer = single.reduce((a, s) => a + s.clientCpu, 0) / single.length;
    const serverCpuPer = (cpu.user + cpu.system) / 1000 / single.length - clientCpuPer;

    const sustained: { level: number; done: number; ms: number; latencies: number[]; ranOut: boolean }[] = [];
    for (const level of levels) {
      const latencies: number[] = [];
      let done = 0;
      let ranOut = false;
      const start = performance.now();
      const deadline = start + seconds * 1000;
      await Promise.all(
        Array.from({ length: level }, async () => {
          while (performance.now() < deadline) {
            const p = take();
            if (!p) {
              ranOut = true;
              return;
            }
            const r = await reissue(p);
            latencies.push(r.total);
            done++;
          }
        }),
      );
      sustained.push({ level, done, ms: performance.now() - start, latencies, ranOut });
    }

    const speed = opensslRsaSpeed(bits, 3);
    const cores = cpus().length;
    const rows: BenchRow[] = [
      { what: `one re-issuance, server side (median of ${sequentialCount}, sequential)`, ours: millis(median(single.map((s) => s.total))), note: 'apply, text, verify, SMS code, 2 certificates, OCSP pre-sign, bookkeeping' },
      { what: '  of which: verify the signed application (+ send the code)', ours: `${millis(median(single.map((s) => s.verify)))} (CPU ${millis(median(single.map((s) => s.verifyCpu)))})`, note: 'CMS, our record of the signer (chain + our OCSP answer once per CA and purpose); then the SMS to the sink' },
      { what: '  of which: issue AUTH + SIGN, store, pre-sign OCSP', ours: `${millis(median(single.map((s) => s.issue)))} (CPU ${millis(median(single.map((s) => s.issueCpu)))})`, openssl: `2 × ${millis(1000 / speed.signPerSec)} (rsa${bits} sign)`, note: 'one RA transaction: per certificate CSR check, lint-before-sign, CA signature, audit; the application completed with them' },
      {
        what: `  CPU per re-issuance (same ${sequentialCount}): server + PostgreSQL`,
        ours: `${millis(serverCpuPer + pgCpuPer)}`,
        openssl: `2 × ${millis(1000 / speed.signPerSec)} (rsa${bits} sign, CPU)`,
        note: `server ${millis(serverCpuPer)} (all its threads, the citizen's signature taken out), PostgreSQL ${millis(pgCpuPer)}: the work itself, whatever the neighbours' load`,
      },
      {
        what: '  statements per re-issuance (median per step)',
        ours: String(STEPS.reduce((a, name) => a + median(perStep.get(name)!), 0)),
        note: STEPS.map((name) => `${name} ${median(perStep.get(name)!)}`).join(', ') + ' (BEGIN/COMMIT included)',
      },
      { what: "citizen's signature over the application (agent's work)", ours: millis(median(single.map((s) => s.clientSign))), note: 'RSA-2048, made in the loop; not counted in the server times' },
    ];
    for (const s of sustained) {
      rows.push({
        what: `sustained re-issuances, ${s.level} concurrent`,
        ours: `${((s.done * 1000) / s.ms).toFixed(1)}/s`,
        openssl: `${((speed.signPerSec * cores) / 2).toFixed(0)}/s ceiling`,
        note: `${s.done} in ${(s.ms / 1000).toFixed(1)} s, p50 ${millis(pct(s.latencies, 0.5))}, p99 ${millis(pct(s.latencies, 0.99))}${s.ranOut ? ' (ran out of prepared people: raise --people)' : ''}`,
      });
    }
    rows.push({ what: `openssl speed rsa${bits}`, openssl: `${speed.signPerSec.toFixed(0)} sign/s per core × ${cores}`, note: 'the ceiling: two CA signatures per re-issuance, nothing else' });
    printTable(
      `Portal re-issuance (PostgreSQL; RSA-${bits} issuing CA, RSA-2048 OCSP signer and leaves; ${seconds} s per level; ${cores} cores; ${opensslVersion()})`,
      rows,
    );
  } finally {
    await close();
    await fx.close();
    await db.dispose();
  }
}

// Run directly (`--help` prints the comment above) or through bench/run.ts.
await runDirectly(import.meta.filename, run);
