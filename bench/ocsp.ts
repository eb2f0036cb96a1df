/**
 * OCSP responder throughput and latency under wrk (a C load generator), ours beside two baselines measured in
 * the same run on the same certificates:
 *  - `openssl ocsp -index … -port …` with the same responder key (one serving process, and as many as our
 *    workers), signing every answer;
 *  - nginx serving the same pre-signed DER files for the same GET paths: the practical limit of answering from
 *    memory over HTTP on this machine;
 *  - node:http answering every GET with one fixed buffer (bench/lib/http-floor.ts), in as many workers as ours:
 *    the floor under any node:http responder, and the p99 the scheduler alone leaves with wrk on the same cores.
 * Beside requests per second, the CPU time (user + system) the serving processes used per answer, from /proc.
 *
 *   node --import tsx bench/ocsp.ts [--backend postgres|pglite] [--seconds 10] [--connections 16] [--workers 1,2] [--server-nice 10] [--autogroup-nice 10] [--fastify]
 *
 * Ours runs as `qoltanba up --workers N` does (bench/lib/ocsp-node.ts: node:cluster workers, each with its own
 * pool, cache and change feed, request logger on), answering plain requests from memory (on the raw-connection
 * fast path, apps/server/src/http/fast-path.ts) and signing nonce requests on demand; with 1 worker also on the
 * node:http front door alone (no fast path: what the fast path saves) and, with --fastify, through Fastify. Requests are built by openssl (`-reqout`) for a spread of serials, good and revoked.
 * More than one worker needs PostgreSQL (PGlite belongs to one process): with --backend pglite only 1 is run.
 * Needs `wrk` and `nginx` (Debian packages wrk, nginx-light): installed with apt-get when missing.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseOcspResponse } from '@qoltanba/pki';
import { createTestDatabase } from '../apps/server/src/store/testing/backends.ts';
import { setStatusAudited } from '../apps/server/src/audit/testing/certificate-status.ts';
import { bulkSerial, createTestPki, insertRevokedBulk, TEST_PASSPHRASE_ENV } from '../apps/server/src/status/testing/pki.ts';
import { tempDir, type TempDir } from '../apps/server/src/status/testing/openssl.ts';
import { startStatusServer } from '../apps/server/src/status/testing/server.ts';
import type { OcspNodeSpec } from './lib/ocsp-node.ts';
import { opensslRsaSpeed, opensslVersion } from './lib/openssl.ts';
import { runDirectly } from './lib/direct.ts';
import { millis, perSecond, printTable, type BenchRow } from './lib/table.ts';
import { requireTool, runWrk, wrkScript, type WrkResult } from './lib/wrk.ts';
import { childPids, cpuMillis } from './lib/proc-cpu.ts';

const exec = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const backend = arg('backend', 'postgres') as 'postgres' | 'pglite';
const seconds = Number(arg('seconds', '10'));
const connections = Number(arg('connections', '16'));
const workerCounts = backend === 'pglite' ? [1] : arg('workers', `1,${cpus().length}`).split(',').map(Number).filter((n, i, a) => n > 0 && a.indexOf(n) === i);
const CERTS = 1000;
const REVOKED_EVERY = 10;
const DISTINCT_REQUESTS = 200;
const WARMUP_SECONDS = 2;
/**
 * The scheduling weight of this bench's own session (Linux autogroup: everything it starts — our workers, wrk,
 * nginx, openssl — shares it), against PostgreSQL's, which runs in its own. 0 (default): as started. Measured on
 * the 2-core host (2026-12-07): with 2 node:http workers and wrk keeping both cores busy, a PostgreSQL backend
 * waited 1.2–5 s for a CPU at nice 0 (the fixed-buffer floor, no database involved), never over 30 ms at nice 10
 * with the same answers per second — and ours serves from memory only while its change feed reaches PostgreSQL.
 */
const autogroupNice = Number(arg('autogroup-nice', '0'));
/**
 * `--server-nice N`: every process that serves HTTP from memory — ours, the node:http floor, nginx — runs in a
 * session of its own (its own autogroup) at autogroup nice N, as status/README.md tells operators to run the
 * server beside a PostgreSQL on the same machine (the database's share above the server's: systemd CPUWeight=).
 * wrk and this process (which measures PostgreSQL's round trip) stay in the bench's session at its nice, and so
 * does openssl's responder (its -multi needs a process group of its own, which a session leader cannot make):
 * against openssl ours is then at a disadvantage, never the reverse. 0 (default): everything as started.
 */
const serverNice = Number(arg('server-nice', '0'));
/** Also measure /ocsp through Fastify's routing (1 worker; earlier rows of bench/README.md have it). */
const withFastify = process.argv.includes('--fastify');

/** Progress on stderr; the table goes to stdout. */
const step = (what: string) => process.stderr.write(`[ocsp bench] ${what}\n`);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

export async function run(): Promise<void> {
  requireTool('wrk', 'wrk');
  requireTool('nginx', 'nginx-light');
  const restoreAutogroup = setAutogroupNice(autogroupNice);
  step(`opening a fresh ${backend} database`);
  const db = await createTestDatabase(backend);
  const pki = await createTestPki(db.store, { name: 'bench-ca' });
  const tmp = tempDir();
  chmodSync(tmp.path('.'), 0o755);
  const rows: BenchRow[] = [];
  const loadBefore = load();
  try {
    await insertRevokedBulk(db.store, pki.ca.id, CERTS, { good: true });
    const serials = Array.from({ length: CERTS }, (_, i) => bulkSerial(i + 1));
    const revoked = serials.filter((_, i) => i % REVOKED_EVERY === 0);
    // Each revocation with its audit entry, as the RA writes them (the certificates_guard trigger refuses one without).
    const revokedIds = (await db.store.db.selectFrom('certificates').select('id').where('ca_id', '=', pki.ca.id).where('serial', 'in', revoked).execute()).map((r) => r.id);
    await setStatusAudited(db.store.db, revokedIds, { status: 'revoked', revocation_reason: 1, revoked_at: new Date('2025-06-01T00:00:00Z') });

    step(`pre-signing ${CERTS} responses`);
    const presigner = await startStatusServer(db.store, pki, { cache: false });
    const presignStart = performance.now();
    await presigner.service.presign(pki.ca.id, serials);
    const presignMs = performance.now() - presignStart;
    await presigner.close();
    const speed = opensslRsaSpeed(2048, 2);
    rows.push({ what: `pre-sign ${CERTS} responses (RSA-2048)`, ours: perSecond(CERTS, presignMs), openssl: `${speed.signPerSec.toFixed(0)}/s`, note: 'ours: sign + store; openssl: `openssl speed rsa2048` sign only, 1 core' });

    // The same certificates for openssl's responder: an index.txt in `openssl ca` format, same responder key.
    const ca = tmp.file('ca.pem', pki.ca.pem);
    tmp.file('ocsp.pem', pki.ocsp.pem);
    const index = serials.map((s, i) =>
      revoked.includes(s) ? `R\t340101000000Z\t250601000000Z,keyCompromise\t${s.toUpperCase()}\tunknown\t/CN=BULK ${i + 1}` : `V\t340101000000Z\t\t${s.toUpperCase()}\tunknown\t/CN=BULK ${i + 1}`,
    );
    writeFileSync(tmp.path('index.txt'), `${index.join('\n')}\n`);

    step('building requests with openssl');
    const picked = serials.filter((_, i) => i % Math.floor(CERTS / DISTINCT_REQUESTS) === 0).slice(0, DISTINCT_REQUESTS);
    const build = async (serial: string, nonce: boolean) => {
      const file = tmp.path(`req-${serial}-${nonce}.der`);
      await exec('openssl', ['ocsp', '-issuer', ca, '-serial', `0x${serial}`, '-reqout', file, ...(nonce ? [] : ['-no_nonce'])]);
      return readFileSync(file);
    };
    const plain = await Promise.all(picked.map((s) => build(s, false)));
    const withNonce = await Promise.all(picked.map((s) => build(s, true)));
    const getPaths = plain.map((der) => `/ocsp/${encodeURIComponent(der.toString('base64'))}`);
    const scripts = {
      post: wrkScript(tmp.path('post.lua'), 'POST', plain),
      nonce: wrkScript(tmp.path('nonce.lua'), 'POST', withNonce),
      get: wrkScript(tmp.path('get.lua'), 'GET', getPaths),
    };
    const wrk = (url: string, script: string, secs = seconds) => runWrk(url, { script, connections, seconds: secs });
    /**
     * wrk, plus the CPU the serving processes used per answer (user + system, all threads): robust to a busy
     * machine; and the slowest PostgreSQL round trip (`SELECT 1` every 10 ms from this process) meanwhile: our
     * answers from memory are served only while the change feed's polls get through (status/ocsp/feed.ts), so a
     * database starved of CPU by the load shows in our tail — and, measured beside nginx and the floor, whether
     * the load starves it whoever serves.
     */
    const measured = async (pids: readonly number[], url: string, script: string): Promise<Measured> => {
      const before = cpuMillis(pids);
      const ping = pingDatabase(db.store.pool);
      const r = await wrk(url, script);
      const dbWorstMs = await ping.stop();
      return { ...r, cpuUs: ((cpuMillis(pids) - before) * 1000) / Math.max(1, r.requests), dbWorstMs };
    };
    // PostgreSQL: as `up --workers` runs it, in processes of its own. PGlite admits one process, this one: in-process.
    const withOurResponder = <T>(workers: number, path: OurPath, fn: (url: string, pids: number[]) => Promise<T>): Promise<T> =>
      backend === 'postgres'
        ? withOurProcesses(db.store.connectionString, pki.keysDir, workers, path, fn)
        : withInProcess(fn);
    const withInProcess = async <T>(fn: (url: string, pids: number[]) => Promise<T>): Promise<T> => {
      const server = await startStatusServer(db.store, pki, { config: (c) => Object.assign(c.ocsp, { onDemandConcurrency: Number.MAX_SAFE_INTEGER, onDemandPerClient: Number.MAX_SAFE_INTEGER }) });
      try {
        return await fn(server.url, [process.pid]);
      } finally {
        await server.close();
      }
    };

    const ours = new Map<string, { post: Measured; get: Measured; nonce: Measured }>();
    const floor = new Map<string, Measured>();
    let fastify: { post: WrkResult; get: WrkResult } | undefined;
    let frontDoorOnly: { post: Measured; get: Measured } | undefined;
    for (const workers of workerCounts) {
      step(`our responder, ${workers} worker(s): warm-up ${WARMUP_SECONDS} s, then ${seconds} s per run`);
      await withOurResponder(workers, 'fast', async (url, pids) => {
        await sanityCheck(url, plain[0]!, withNonce[0]!);
        await wrk(`${url}/ocsp`, scripts.post, WARMUP_SECONDS);
        await wrk(url, scripts.get, WARMUP_SECONDS);
        ours.set(String(workers), { post: await measured(pids, `${url}/ocsp`, scripts.post), get: await measured(pids, url, scripts.get), nonce: await measured(pids, `${url}/ocsp`, scripts.nonce) });
      });
      // The same GETs against node:http answering one fixed buffer, in as many workers: the floor under ours.
      step(`node:http floor (a fixed buffer), ${workers} worker(s)`);
      await withHttpFloor(workers, async (url, pids) => {
        await wrk(url, scripts.get, WARMUP_SECONDS);
        floor.set(String(workers), await measured(pids, url, scripts.get));
      });
      if (workers === 1 && backend === 'postgres') {
        // The same process and answers from memory on the node:http front door alone: what the fast path saves.
        step('our responder, 1 worker, /ocsp on the node:http front door without the raw fast path');
        await withOurResponder(1, 'front-door', async (url, pids) => {
          await wrk(`${url}/ocsp`, scripts.post, WARMUP_SECONDS);
          await wrk(url, scripts.get, WARMUP_SECONDS);
          frontDoorOnly = { post: await measured(pids, `${url}/ocsp`, scripts.post), get: await measured(pids, url, scripts.get) };
        });
      }
      if (workers === 1 && withFastify) {
        // The same process and answers from memory, but on Fastify's routing: what the node:http front door saves.
        step('our responder, 1 worker, /ocsp through Fastify instead of the front door');
        await withOurResponder(1, 'fastify', async (url) => {
          await wrk(`${url}/ocsp`, scripts.post, WARMUP_SECONDS);
          fastify = { post: await wrk(`${url}/ocsp`, scripts.post), get: await wrk(url, scripts.get) };
        });
      }
    }

    // nginx serving the very bytes our responder answers, at the very GET paths: files under the decoded path.
    step('collecting the pre-signed answers for nginx');
    const www = tmp.path('www');
    await withOurResponder(1, 'fast', async (url) => {
      for (const path of getPaths) {
        const der = Buffer.from(await (await fetch(`${url}${path}`)).arrayBuffer());
        if (parseOcspResponse(new Uint8Array(der)).status !== 'successful') throw new Error(`no pre-signed answer for ${path}`);
        const file = join(www, decodeURIComponent(path));
        mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
        writeFileSync(file, der, { mode: 0o644 });
      }
    });
    chmodTree(www);
    step(`nginx (worker_processes auto = ${cpus().length})`);
    const nginx = await withNginx(tmp, www, async (url, pids) => {
      await wrk(url, scripts.get, WARMUP_SECONDS);
      return measured(pids, url, scripts.get);
    });

    const multi = Math.max(...workerCounts);
    // openssl's responder serves one connection at a time per process and has no read timeout: wrk keeps the
    // connection it opens to check the address idle for the whole run (whichever process takes it serves nothing
    // else), and connections cut at the end of a run leave the processes holding them stuck for good. So each run
    // gets a fresh `openssl ocsp -multi k+1`, k of whose processes serve (a lone `openssl ocsp -port` answers wrk
    // nothing at all). It signs every answer, so it needs no warm-up.
    const theirsAt = async (serving: number) => {
      step(`openssl ocsp -index -port -multi ${serving + 1} (${serving} serving), a fresh one per run`);
      const post = await withOpensslResponder(tmp, pki.keysDir, serving + 1, (url) => wrk(url, scripts.post));
      const nonce = await withOpensslResponder(tmp, pki.keysDir, serving + 1, (url) => wrk(url, scripts.nonce));
      return { post, nonce };
    };
    const theirs1 = await theirsAt(1);
    const theirsN = multi > 1 ? await theirsAt(multi) : undefined;

    const fmt = (r: WrkResult | Measured) =>
      `${r.rps.toFixed(0)}/s, p50 ${millis(r.p50)}, p99 ${millis(r.p99)}${'cpuUs' in r ? `, ${r.cpuUs.toFixed(1)} µs CPU/answer, PostgreSQL round trip ≤ ${r.dbWorstMs.toFixed(0)} ms` : ''}${r.errors ? `, ${r.errors} errors` : ''}`;
    for (const [workers, r] of ours) {
      const n = Number(workers);
      const base = n > 1 && theirsN ? theirsN : theirs1;
      const baseName = `openssl, ${n > 1 && theirsN ? multi : 1} process(es)`;
      rows.push(
        { what: `POST, no nonce — ours ${n} worker(s) vs ${baseName}`, ours: fmt(r.post), openssl: fmt(base.post), note: `×${(r.post.rps / base.post.rps).toFixed(1)}; ours from memory, openssl signs each` },
        { what: `GET /ocsp/{base64} — ours ${n} worker(s) vs nginx (files)`, ours: fmt(r.get), openssl: fmt(nginx), note: `${((100 * r.get.rps) / nginx.rps).toFixed(0)} % of nginx; same bytes, same paths` },
        { what: `POST with nonce — ours ${n} worker(s) vs ${baseName}`, ours: fmt(r.nonce), openssl: fmt(base.nonce), note: 'both sign each (our on-demand caps lifted)' },
      );
      const f = floor.get(workers);
      if (f) rows.push({ what: `GET — ours ${n} worker(s) vs node:http answering a fixed buffer (${n} worker(s))`, ours: fmt(r.get), openssl: fmt(f), note: `${((100 * r.get.rps) / f.rps).toFixed(0)} % of the floor; its p99 is the scheduler's share` });
    }
    if (frontDoorOnly) {
      const r1 = ours.get('1')!;
      rows.push({
        what: 'what the raw fast path saves (1 worker, from memory)',
        ours: `fast path: POST ${fmt(r1.post)}; GET ${fmt(r1.get)}`,
        openssl: `node:http front door alone: POST ${fmt(frontDoorOnly.post)}; GET ${fmt(frontDoorOnly.get)}`,
        note: `GET ×${(r1.get.rps / frontDoorOnly.get.rps).toFixed(2)}, ${(frontDoorOnly.get.cpuUs - r1.get.cpuUs).toFixed(1)} µs CPU less per answer`,
      });
    }
    if (fastify) {
      const r1 = ours.get('1')!;
      rows.push({
        what: 'what Fastify costs on /ocsp (1 worker, from memory)',
        ours: `POST ${fastify.post.rps.toFixed(0)}/s, GET ${fastify.get.rps.toFixed(0)}/s`,
        openssl: '',
        note: `through Fastify's routing and request logger; the front door: POST ${r1.post.rps.toFixed(0)}/s, GET ${r1.get.rps.toFixed(0)}/s`,
      });
    }
    // One row per worker count: on a machine whose cores wrk shares, how many workers is a choice, and both are shown.
    const bestOpenssl = Math.max(theirs1.post.rps, theirsN?.post.rps ?? 0);
    for (const [workers, r] of ours) {
      const p99 = Math.max(r.post.p99, r.get.p99);
      const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
      const times = r.post.rps / theirs1.post.rps;
      const share = (100 * r.get.rps) / nginx.rps;
      rows.push({
        what: `goals (${workers} worker(s), ${connections} connections)`,
        ours: `×${times.toFixed(1)} openssl (1 process), ×${(r.post.rps / bestOpenssl).toFixed(1)} its best — ${met(times >= 5)}; ${share.toFixed(0)} % nginx — ${met(share >= 60)}; p99 ${millis(p99)} — ${met(p99 <= 5)}`,
        openssl: '',
        note: 'goals: ≥ ×5 openssl, ≥ 60 % nginx, p99 ≤ 5 ms',
      });
    }
    printTable(
      `OCSP responder (${backend}; ${connections} connections, ${seconds} s each, wrk -t2 on the same ${cpus().length} cores${autogroupNice ? `, the bench's autogroup at nice ${autogroupNice}` : ''}${serverNice ? `; ours, the node:http floor and nginx each in a session of its own at autogroup nice ${serverNice} (wrk, openssl and PostgreSQL not)` : ''}; ${CERTS} certificates, ${DISTINCT_REQUESTS} distinct requests; load average ${loadBefore} before, ${load()} after; ${opensslVersion()})`,
      rows,
    );
  } finally {
    restoreAutogroup();
    await pki.close();
    await db.dispose();
    tmp.remove();
  }
}

/** Sets this session's autogroup nice (when asked and the kernel has autogroups); returns how to put it back. */
function setAutogroupNice(nice: number): () => void {
  const file = '/proc/self/autogroup';
  if (!nice) return () => undefined;
  const before = /nice (-?\d+)/.exec(readFileSafe(file))?.[1];
  if (before === undefined) throw new Error(`--autogroup-nice needs Linux autogroups (${file})`);
  writeFileSync(file, String(nice));
  step(`this session's autogroup nice ${before} → ${nice} (PostgreSQL keeps its own share)`);
  return () => writeFileSync(file, before);
}

/** Every kind of request is answered successfully before it is measured. */
async function sanityCheck(url: string, plain: Buffer, nonce: Buffer): Promise<void> {
  for (const [what, body] of [['plain', plain], ['nonce', nonce]] as const) {
    const res = await fetch(`${url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: new Uint8Array(body) });
    const status = parseOcspResponse(new Uint8Array(await res.arrayBuffer())).status;
    if (status !== 'successful') throw new Error(`our responder answered the ${what} request with ${status}`);
  }
}

interface Measured extends WrkResult {
  /** CPU (user + system, every thread) of the serving processes per answer, in µs. */
  cpuUs: number;
  /** The slowest `SELECT 1` round trip to the bench's database during the run, in ms. */
  dbWorstMs: number;
}

/** `SELECT 1` every 10 ms until stop(), which resolves to the slowest round trip (ms). */
function pingDatabase(pool: { query(sql: string): Promise<unknown> }): { stop(): Promise<number> } {
  let stopped = false;
  let worst = 0;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      await pool.query('SELECT 1');
      worst = Math.max(worst, performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return worst;
    },
  };
}

/** bench/lib/http-floor.ts in `workers` processes. */
async function withHttpFloor<T>(workers: number, fn: (url: string, pids: number[]) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib', 'http-floor.ts'), JSON.stringify({ workers })], { stdio: ['ignore', 'pipe', 'inherit'], detached: serverNice !== 0 });
  niceServing(child);
  try {
    const { port, pids } = await firstJsonLine<{ port: number; pids: number[] }>(child, 'the node:http floor');
    return await fn(`http://127.0.0.1:${port}`, pids);
  } finally {
    await stopChild(child, 'SIGTERM', serverNice !== 0);
  }
}

/** The first line of a child's stdout that is a JSON object with a port, then its stdout is drained. */
function firstJsonLine<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (!line) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve(JSON.parse(line) as T);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before serving`)));
  });
}

/** How /ocsp is served: the raw fast path (as `qoltanba up`), the node:http front door alone, or Fastify. */
type OurPath = 'fast' | 'front-door' | 'fastify';

async function withOurProcesses<T>(databaseUrl: string, keysDir: string, workers: number, path: OurPath, fn: (url: string, pids: number[]) => Promise<T>): Promise<T> {
  const spec: OcspNodeSpec = { databaseUrl, keysDir, workers, port: await freePort(), frontDoor: path !== 'fastify', fastPath: path === 'fast' };
  // Its request log (info, as in production) goes nowhere: what it costs is the point, not what it says.
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib', 'ocsp-node.ts'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'], detached: serverNice !== 0 });
  niceServing(child);
  try {
    const { port, pids } = await firstJsonLine<{ port: number; pids: number[] }>(child, 'our responder');
    return await fn(`http://127.0.0.1:${port}`, pids);
  } finally {
    await stopChild(child, 'SIGTERM', serverNice !== 0);
  }
}

/**
 * --server-nice: a serving process started detached leads a session of its own, hence an autogroup of its own
 * (Linux), whose nice applies to every process in it (the cluster workers it forks, nginx's workers).
 */
function niceServing(child: ChildProcess): void {
  if (!serverNice) return;
  writeFileSync(`/proc/${child.pid}/autogroup`, String(serverNice));
}

async function withNginx<T>(tmp: TempDir, root: string, fn: (url: string, workerPids: number[]) => Promise<T>): Promise<T> {
  const port = await freePort();
  const prefix = tmp.path('nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const conf = tmp.file(
    'nginx.conf',
    `worker_processes auto;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  open_file_cache max=1000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location /ocsp/ { default_type application/ocsp-response; }
  }
}
`,
  );
  const child = spawn('nginx', ['-c', conf, '-p', prefix, '-g', 'daemon off;', '-e', `${prefix}/logs/error.log`], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  niceServing(child);
  try {
    for (let i = 0; ; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        await res.arrayBuffer();
        break;
      } catch {
        if (i > 100 || child.exitCode !== null) throw new Error(`nginx did not start (${readFileSafe(`${prefix}/logs/error.log`)})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return await fn(`http://127.0.0.1:${port}`, childPids(child.pid!));
  } finally {
    await stopChild(child, 'SIGQUIT', true);
  }
}

async function withOpensslResponder<T>(tmp: TempDir, keysDir: string, processes: number, fn: (url: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const args = ['ocsp', '-index', tmp.path('index.txt'), '-port', String(port), '-rsigner', tmp.path('ocsp.pem'), '-rkey', join(keysDir, 'bench-ca-ocsp.key.pem'), '-passin', `env:${TEST_PASSPHRASE_ENV}`, '-CA', tmp.path('ca.pem'), '-nmin', '60', '-ignore_err', ...(processes > 1 ? ['-multi', String(processes)] : [])];
  // With -multi openssl makes itself a process group leader (setpgid), which a session leader cannot be: not
  // detached, and its group is still its pid.
  const responder = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  try {
    await new Promise<void>((resolve, reject) => {
      let said = '';
      const listen = (d: Buffer) => {
        said += d.toString();
        if (/waiting for OCSP client connections|^ACCEPT /im.test(said)) resolve();
      };
      responder.stdout!.on('data', listen);
      responder.stderr!.on('data', listen);
      responder.once('exit', (code) => reject(new Error(`openssl ocsp exited (${code}): ${said}`)));
      setTimeout(() => reject(new Error(`openssl ocsp did not start: ${said}`)), 10_000).unref();
    });
    // Sanity as for ours: openssl's responder answers the plain request successfully.
    const probe = await exec('openssl', ['ocsp', '-issuer', tmp.path('ca.pem'), '-serial', '0x' + bulkSerial(2), '-url', `http://127.0.0.1:${port}`, '-no_nonce', '-noverify']);
    if (!/: good/.test(probe.stdout)) throw new Error(`openssl's responder did not answer: ${probe.stdout}${probe.stderr}`);
    return await fn(`http://127.0.0.1:${port}/`);
  } finally {
    await stopChild(responder, 'SIGKILL', true);
  }
}

/** Stops a child we started (its process group when it was started detached) and waits for it. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, group = false): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    if (group) process.kill(-child.pid!, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
  await exited;
}

function chmodTree(dir: string): void {
  // nginx's workers run as another user unless we are root ("user root" above); either way they must read.
  execFileSync('chmod', ['-R', 'a+rX', dir]);
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// Run directly (`--help` prints the comment above) or through bench/run.ts.
await runDirectly(import.meta.filename, run);
