/**
 * Issue "CA service" benchmark: certificates issued per second through the CA API — HTTP, token check,
 * CSR verification, lint-before-sign, the RSA-4096 CA signature, and the one PostgreSQL transaction that
 * stores certificate, subject, audit entry and idempotency record, then OCSP pre-signing — at a few
 * concurrency levels, beside the `openssl speed rsa4096` signing ceiling of the CA key measured in the
 * same run (the most any CA on this CPU could sign, with nothing else to do).
 *
 *   node --import tsx bench/issuance-api.ts [--backend postgres|pglite] [--seconds 8] [--levels 1,4,16,32] [--warm-seconds 5] [--pool N] [--prepared N] [--profile out.cpuprofile]
 *   npm run bench -- issuance-api
 *
 * The load comes from a second process (this file, run with --issuance-api-client), so the client does not
 * share the server's event loop. Each request carries a fresh Idempotency-Key; the CSRs are made by
 * `openssl req`, one key per person (a key is certified for one person only), people taken in turn.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslRsaSpeed, opensslVersion } from './lib/openssl.ts';
import { runDirectly } from './lib/direct.ts';
import { postgresCpuMs } from './lib/postgres-cpu.ts';
import { millis, printTable, type BenchRow } from './lib/table.ts';

const CLIENT_FLAG = '--issuance-api-client';

interface ClientSpec {
  url: string;
  authorization: string;
  peopleFile: string;
  concurrency: number;
  seconds: number;
  prefix: string;
}

interface ClientResult {
  issued: number;
  failed: number;
  failures: Record<string, number>;
  elapsedMs: number;
  p50: number;
  p99: number;
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

if (process.argv.includes(CLIENT_FLAG)) {
  const spec = JSON.parse(process.argv[process.argv.indexOf(CLIENT_FLAG) + 1] ?? '') as ClientSpec;
  process.stdout.write(`${JSON.stringify(await client(spec))}\n`);
  process.exit(0);
}

/** The load: `concurrency` loops posting issuance requests until the time is up. */
async function client(spec: ClientSpec): Promise<ClientResult> {
  const people = JSON.parse(readFileSync(spec.peopleFile, 'utf8')) as { csr: string; iin: string }[];
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let issued = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + spec.seconds * 1000;
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < deadline) {
        const n = next++;
        const p = people[n % people.length]!;
        const t0 = performance.now();
        const r = await fetch(spec.url, {
          method: 'POST',
          headers: { authorization: spec.authorization, 'content-type': 'application/json', 'idempotency-key': `${spec.prefix}-${n}` },
          body: JSON.stringify({ csr: p.csr, profile: n % 2 ? 'individual-sign' : 'individual-auth', subject: { surname: 'Тестов', name: 'Бенчмарк', iin: p.iin }, storage: 'file' }),
        });
        const text = await r.text();
        latencies.push(performance.now() - t0);
        if (r.status === 201) issued++;
        else {
          const code = (() => {
            try {
              return (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? String(r.status);
            } catch {
              return String(r.status);
            }
          })();
          failures[code] = (failures[code] ?? 0) + 1;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { issued, failed: latencies.length - issued, failures, elapsedMs, p50: pct(0.5), p99: pct(0.99) };
}

/** CPU time (ms) of this process's main thread so far (Linux /proc; the thread whose id is the process id). */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
  } catch {
    return 0;
  }
}

/** Starts V8's sampling profiler in this process; the returned function stops it and gives the profile. */
async function startProfile(): Promise<() => Promise<object>> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

function runClient(spec: ClientSpec): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, CLIENT_FLAG, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ClientResult) : reject(new Error(`the load client failed (${code})`))));
  });
}

export async function run(): Promise<void> {
  // Imported here, not at the top: the client process needs none of the server.
  const { createTestDatabase } = await import('../apps/server/src/store/testing/backends.ts');
  const { apiHarness } = await import('../apps/server/src/api/testing/harness.ts');
  const { uniqueIin } = await import('../apps/server/src/ra/testing/fixture.ts');
  const { opensslCsr } = await import('../apps/server/src/ra/testing/openssl.ts');
  const { apiApp } = await import('../apps/server/src/api/testing/harness.ts');
  const { createRa, issuanceBatchTotals } = await import('../apps/server/src/ra/index.ts');
  const { issueCertificate } = await import('@qoltanba/pki');

  const backend = arg('backend', 'postgres') as 'postgres' | 'pglite';
  const seconds = Number(arg('seconds', '8'));
  const levels = arg('levels', '1,4,16,32').split(',').map(Number);
  const people = Number(arg('people', '64'));
  const dir = mkdtempSync(join(tmpdir(), 'qt-bench-api-'));
  // One connection per concurrent request by default; `--pool 10` is what a server has (store/open-database.ts's
  // default, not configurable): at most 10 issuance transactions in PostgreSQL at once, the other requests wait for a
  // connection in the node, as in production.
  const poolSize = Number(arg('pool', String(Math.max(...levels) + 4)));
  // Prepared statements per connection (store/prepared.ts): the store's default unless given; 0 = every statement unnamed.
  const prepared = process.argv.includes('--prepared') ? Number(arg('prepared', '0')) : undefined;
  const db = await createTestDatabase(backend, { poolSize, preparedStatements: prepared });
  let harness: Awaited<ReturnType<typeof apiHarness>> | undefined;
  try {
    harness = await apiHarness(db.store, { bits: 4096 });
    const url = `${await harness.app.listen({ host: '127.0.0.1', port: 0 })}/api/v1/certificates`;
    const peopleFile = join(dir, 'people.json');
    const list: { csr: string; iin: string }[] = [];
    for (let i = 0; i < people; i += 8) list.push(...(await Promise.all(Array.from({ length: Math.min(8, people - i) }, async () => ({ csr: (await opensslCsr()).pem, iin: uniqueIin() })))));
    writeFileSync(peopleFile, JSON.stringify(list));
    const spec = (concurrency: number, prefix: string, secs: number): ClientSpec => ({ url, authorization: harness!.auth.issuer, peopleFile, concurrency, seconds: secs, prefix });

    // Warm-up at the top concurrency: key files decrypted, JIT warm, and every pool connection open with its
    // PostgreSQL backend's caches filled. (Warmed at 4 concurrent, as before issue 16's second run, the 32-concurrent
    // level paid for opening ~28 backends and for V8 still compiling: ≈ 1 ms of PostgreSQL and ≈ 2–3 ms of V8 background
    // CPU per certificate that a running server does not pay.)
    await runClient(spec(Math.max(...levels), 'warm', Number(arg('warm-seconds', '5'))));
    // Where the time goes: CPU of this process (the server: HTTP, RA, PKI, the signer's threads) and of the
    // database's backends for this database, per certificate, beside what one RSA-4096 signature costs.
    const results: { level: number; r: ClientResult; serverCpuMs: number; pgCpuMs: number; mainThreadMs: number; perTransaction: number | undefined }[] = [];
    // --profile: V8's CPU profile of the server's main thread over the measured levels only (not setup, warm-up or the
    // comparisons after), for chrome://inspect or any .cpuprofile reader.
    const profile = process.argv.includes('--profile') ? await startProfile() : undefined;
    for (const level of levels) {
      const cpu0 = process.cpuUsage();
      const main0 = mainThreadCpuMs();
      const pg0 = await postgresCpuMs(db.store);
      // Group commit (ra/batch.ts): how many requests shared each issuance transaction.
      const b0 = issuanceBatchTotals(harness.fx.ra);
      const r = await runClient(spec(level, `c${level}`, seconds));
      const b1 = issuanceBatchTotals(harness.fx.ra);
      const perTransaction = b1.transactions > b0.transactions ? (b1.requests - b0.requests) / (b1.transactions - b0.transactions) : undefined;
      const cpu = process.cpuUsage(cpu0);
      const mainMs = mainThreadCpuMs() - main0;
      const pgMs = (await postgresCpuMs(db.store)) - pg0;
      results.push({ level, r, serverCpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, r.issued), pgCpuMs: pgMs / Math.max(1, r.issued), mainThreadMs: mainMs / Math.max(1, r.issued), perTransaction });
    }
    if (profile) writeFileSync(arg('profile', 'issuance-api.cpuprofile'), JSON.stringify(await profile()));

    // The same request without the OCSP pre-signing hook: what the status service adds to each issuance.
    const top = Math.max(...levels);
    const bare = await apiApp(createRa(harness.fx.ctx));
    const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/api/v1/certificates`;
    const noOcsp = await runClient({ ...spec(top, 'bare', seconds), url: bareUrl });
    await bare.close();

    // The PKI alone (parse + verify CSR, lint pre-certificate, CA signature, check): no HTTP, no database.
    const ca = await db.store.db.selectFrom('cas').select(['certificate', 'key_uri']).where('kind', '=', 'issuing').executeTakeFirstOrThrow();
    const signer = await harness.fx.ctx.signers.signerFor(ca.key_uri as string, 'certificate');
    const pkiRate = async (concurrency: number, total: number) => {
      let n = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (n < total) {
            const p = list[n++ % list.length]!;
            await issueCertificate({ csr: p.csr, profile: 'individual-auth', subject: { surname: 'Тестов', name: 'Бенчмарк', iin: p.iin }, issuer: { certificate: ca.certificate, signer }, urls: { crl: 'http://x/crl', deltaCrl: 'http://x/d', ocsp: 'http://x/ocsp', caIssuers: 'http://x/ca' } });
          }
        }),
      );
      return (total * 1000) / (performance.now() - start);
    };
    const pkiOne = await pkiRate(1, 100);
    const pkiMany = await pkiRate(top, 300);

    const speed = opensslRsaSpeed(4096, 3);
    const stored = Number((await db.store.db.selectFrom('certificates').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const ceiling = `${speed.signPerSec.toFixed(0)} sign/s per core (×${cpus().length} cores: ${(speed.signPerSec * cpus().length).toFixed(0)})`;
    const rows: BenchRow[] = results.map(({ level, r, serverCpuMs, pgCpuMs, mainThreadMs, perTransaction }) => ({
      what: `POST /api/v1/certificates, ${level} concurrent`,
      ours: `${((r.issued * 1000) / r.elapsedMs).toFixed(1)}/s`,
      openssl: ceiling,
      note: `p50 ${millis(r.p50)}, p99 ${millis(r.p99)}; CPU per certificate: server ${serverCpuMs.toFixed(1)} ms (main thread ${mainThreadMs.toFixed(1)}, the signing threads and others ${(serverCpuMs - mainThreadMs).toFixed(1)}), PostgreSQL ${db.backend === 'postgres' ? `${pgCpuMs.toFixed(1)} ms` : 'in the server (PGlite)'}, the RSA-4096 signature in it ${(1000 / speed.signPerSec).toFixed(1)} ms${perTransaction === undefined ? '' : `; ${perTransaction.toFixed(1)} requests per issuance transaction`}${r.failed ? `; ${r.failed} failed ${JSON.stringify(r.failures)}` : ''}`,
    }));
    rows.push({
      what: `same, ${top} concurrent, without OCSP pre-signing`,
      ours: `${((noOcsp.issued * 1000) / noOcsp.elapsedMs).toFixed(1)}/s`,
      note: `p50 ${millis(noOcsp.p50)}, p99 ${millis(noOcsp.p99)}${noOcsp.failed ? `, ${noOcsp.failed} failed` : ''}`,
    });
    rows.push({ what: 'issueCertificate alone (no HTTP, no DB), 1 / ' + top + ' concurrent', ours: `${pkiOne.toFixed(1)}/s / ${pkiMany.toFixed(1)}/s`, note: 'same CA key and CSRs: the PKI share of the cost' });
    const best = Math.max(...results.map(({ r }) => (r.issued * 1000) / r.elapsedMs));
    rows.push({ what: 'best API rate / openssl signing ceiling (all cores)', ours: `${((100 * best) / (speed.signPerSec * cpus().length)).toFixed(0)}%`, note: `${stored} certificates stored in the run; wall-clock, so on a shared machine the neighbours' share of the cores counts against us` });
    // The same ratio per CPU-second, which the neighbours cannot move: certificates per second of CPU the server and
    // its PostgreSQL backends spent, against signatures per CPU-second of the key (`openssl speed` counts CPU time).
    const atTop = results.find((r) => r.level === top)!;
    const perCpuSecond = 1000 / (atTop.serverCpuMs + atTop.pgCpuMs);
    rows.push({
      what: `per CPU-second, ${top} concurrent: certificates / the key's signatures`,
      ours: `${perCpuSecond.toFixed(0)} / ${speed.signPerSec.toFixed(0)} = ${((100 * perCpuSecond) / speed.signPerSec).toFixed(0)}%`,
      note: `server ${atTop.serverCpuMs.toFixed(1)} ms + PostgreSQL ${atTop.pgCpuMs.toFixed(1)} ms of CPU per certificate, of which the RSA-4096 signature ${(1000 / speed.signPerSec).toFixed(1)} ms; the load client's CPU not counted`,
    });
    printTable(
      `CA API issuance (${backend}${db.backend === 'postgres' ? `, pool of ${poolSize} connections` : ''}${prepared === undefined ? '' : `, prepared statements per connection: ${prepared}`}; RSA-4096 issuing CA, RSA-2048 leaves from openssl req CSRs; each request: token check, CSR verify, lint pre-certificate, CA signature, one transaction, OCSP pre-sign; ${seconds} s per level; ${cpus().length} cores; ${opensslVersion()})`,
      rows,
    );
  } finally {
    await harness?.close();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly (`--help` prints the comment above) or through bench/run.ts.
await runDirectly(import.meta.filename, run);
