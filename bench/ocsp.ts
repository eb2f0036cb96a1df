/**
 * OCSP responder throughput and p99 latency under load from a second process (autocannon), ours beside
 * `openssl ocsp -index … -port …` serving the same certificates with the same responder key, in one run.
 *
 *   node --import tsx bench/ocsp.ts [--backend postgres|pglite] [--seconds 10] [--connections 16]
 *
 * Ours answers plain requests from pre-signed responses (a lookup, no RSA) and signs nonce requests on
 * demand; openssl signs every response. Requests are built by openssl (`-serial … -reqout`) for a spread
 * of serials, good and revoked, and sent in turn.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseOcspResponse } from '@qoltanba/pki';
import { createTestDatabase } from '../apps/server/src/store/testing.ts';
import { setStatusAudited } from '../apps/server/src/audit/testing/certificate-status.ts';
import { bulkSerial, createTestPki, insertRevokedBulk, TEST_PASSPHRASE_ENV } from '../apps/server/src/status/testing/pki.ts';
import { tempDir, type TempDir } from '../apps/server/src/status/testing/openssl.ts';
import { startStatusServer } from '../apps/server/src/status/testing/server.ts';
import type { LoadResult, LoadSpec } from './lib/load.ts';
import { opensslRsaSpeed, opensslVersion } from './lib/openssl.ts';
import { millis, perSecond, printTable, type BenchRow } from './lib/table.ts';

const exec = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const backend = arg('backend', 'postgres') as 'postgres' | 'pglite';
const seconds = Number(arg('seconds', '10'));
const connections = Number(arg('connections', '16'));
const CERTS = 1000;
const REVOKED_EVERY = 10;
const DISTINCT_REQUESTS = 200;

/** Progress on stderr; the table goes to stdout. */
const step = (what: string) => process.stderr.write(`[ocsp bench] ${what}\n`);

export async function run(): Promise<void> {
  step(`opening a fresh ${backend} database`);
  const db = await createTestDatabase(backend);
  const pki = await createTestPki(db.store, { name: 'bench-ca' });
  const tmp = tempDir();
  const rows: BenchRow[] = [];
  try {
    await insertRevokedBulk(db.store, pki.ca.id, CERTS, { good: true });
    const serials = Array.from({ length: CERTS }, (_, i) => bulkSerial(i + 1));
    const revoked = serials.filter((_, i) => i % REVOKED_EVERY === 0);
    // Each revocation with its audit entry, as the RA writes them (the certificates_guard trigger refuses one without).
    const revokedIds = (await db.store.db.selectFrom('certificates').select('id').where('ca_id', '=', pki.ca.id).where('serial', 'in', revoked).execute()).map((r) => r.id);
    await setStatusAudited(db.store.db, revokedIds, { status: 'revoked', revocation_reason: 1, revoked_at: new Date('2025-06-01T00:00:00Z') });

    step(`pre-signing ${CERTS} responses`);
    // The per-process cap on on-demand signing (ocsp.onDemandConcurrency, default 8) would answer part of the nonce
    // load with tryLater, which the load generator counts as answered: lifted here so every answer is signed.
    const server = await startStatusServer(db.store, pki, { config: (c) => void (c.ocsp.onDemandConcurrency = Number.MAX_SAFE_INTEGER) });
    const presignStart = performance.now();
    await server.service.presign(pki.ca.id, serials);
    const presignMs = performance.now() - presignStart;
    const speed = opensslRsaSpeed(2048, 2);
    rows.push({ what: `pre-sign ${CERTS} responses (RSA-2048)`, ours: perSecond(CERTS, presignMs), openssl: `${speed.signPerSec.toFixed(0)}/s`, note: 'ours: sign + store; openssl: `openssl speed rsa2048` sign only, 1 core' });

    // The same certificates for openssl's responder: an index.txt in `openssl ca` format, same responder key.
    const ca = tmp.file('ca.pem', pki.ca.pem);
    const responderCert = tmp.file('ocsp.pem', pki.ocsp.pem);
    const index = serials.map((s, i) =>
      revoked.includes(s) ? `R\t340101000000Z\t250601000000Z,keyCompromise\t${s.toUpperCase()}\tunknown\t/CN=BULK ${i + 1}` : `V\t340101000000Z\t\t${s.toUpperCase()}\tunknown\t/CN=BULK ${i + 1}`,
    );
    writeFileSync(tmp.path('index.txt'), `${index.join('\n')}\n`);

    step('building requests with openssl');
    // Requests built by openssl for a spread of serials, with and without a nonce.
    const picked = serials.filter((_, i) => i % Math.floor(CERTS / DISTINCT_REQUESTS) === 0).slice(0, DISTINCT_REQUESTS);
    const build = async (serial: string, nonce: boolean) => {
      const file = tmp.path(`req-${serial}-${nonce}.der`);
      await exec('openssl', ['ocsp', '-issuer', ca, '-serial', `0x${serial}`, '-reqout', file, ...(nonce ? [] : ['-no_nonce'])]);
      return readFileSync(file).toString('base64');
    };
    const plain = await Promise.all(picked.map((s) => build(s, false)));
    const withNonce = await Promise.all(picked.map((s) => build(s, true)));
    const getPaths = plain.map((b64) => `/ocsp/${encodeURIComponent(b64)}`);

    // Sanity: every kind of request is answered successfully before it is measured.
    for (const [what, body] of [['plain', plain[0]!], ['nonce', withNonce[0]!]] as const) {
      const res = await fetch(`${server.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: Buffer.from(body, 'base64') });
      const status = parseOcspResponse(new Uint8Array(await res.arrayBuffer())).status;
      if (status !== 'successful') throw new Error(`our responder answered the ${what} request with ${status}`);
    }

    step(`loading our responder (${seconds} s per run)`);
    const ours = {
      presigned: await load({ url: `${server.url}/ocsp`, method: 'POST', bodies: plain, connections, durationSeconds: seconds }),
      get: await load({ url: `${server.url}/ocsp`, method: 'GET', paths: getPaths, connections, durationSeconds: seconds }),
      nonce: await load({ url: `${server.url}/ocsp`, method: 'POST', bodies: withNonce, connections, durationSeconds: seconds }),
    };
    await server.close();

    step('loading openssl ocsp -index');
    const theirs = {
      plain: await withOpensslResponder(tmp, pki.keysDir, (url) => load({ url, method: 'POST', bodies: plain, connections, durationSeconds: seconds })),
      nonce: await withOpensslResponder(tmp, pki.keysDir, (url) => load({ url, method: 'POST', bodies: withNonce, connections, durationSeconds: seconds })),
    };
    const fmt = (r: LoadResult) => `${r.rps.toFixed(0)}/s, p99 ${millis(r.p99)}${r.failures ? `, ${r.failures} failed` : ''}`;
    rows.push(
      { what: 'POST, no nonce', ours: fmt(ours.presigned), openssl: fmt(theirs.plain), note: 'ours: pre-signed bytes; openssl: signs each' },
      { what: 'GET /ocsp/{base64}, no nonce', ours: fmt(ours.get), openssl: 'no GET', note: 'ours: pre-signed, with caching headers' },
      { what: 'POST with nonce', ours: fmt(ours.nonce), openssl: fmt(theirs.nonce), note: 'both sign on demand (our on-demand cap lifted for this run)' },
    );
    printTable(
      `OCSP responder (${backend}; ${connections} connections, ${seconds} s each, autocannon in its own process; ${CERTS} certificates, ${DISTINCT_REQUESTS} distinct requests; ${opensslVersion()})`,
      rows,
    );
  } finally {
    await pki.close();
    await db.dispose();
    tmp.remove();
  }
}

function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib', 'load.ts'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`the load generator failed (${code})`))));
  });
}

async function withOpensslResponder<T>(tmp: TempDir, keysDir: string, fn: (url: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const args = ['ocsp', '-index', tmp.path('index.txt'), '-port', String(port), '-rsigner', tmp.path('ocsp.pem'), '-rkey', join(keysDir, 'bench-ca-ocsp.key.pem'), '-passin', `env:${TEST_PASSPHRASE_ENV}`, '-CA', tmp.path('ca.pem'), '-nmin', '60', '-ignore_err'];
  const responder = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let said = '';
      const listen = (d: Buffer) => {
        said += d.toString();
        if (/waiting for OCSP client connections/i.test(said)) resolve();
      };
      responder.stdout.on('data', listen);
      responder.stderr.on('data', listen);
      responder.once('exit', (code) => reject(new Error(`openssl ocsp exited (${code}): ${said}`)));
      setTimeout(() => reject(new Error(`openssl ocsp did not start: ${said}`)), 10_000).unref();
    });
    // Sanity as for ours: openssl's responder answers the plain request successfully.
    const probe = await exec('openssl', ['ocsp', '-issuer', tmp.path('ca.pem'), '-serial', '0x' + bulkSerial(2), '-url', `http://127.0.0.1:${port}`, '-no_nonce', '-noverify']);
    if (!/: good/.test(probe.stdout)) throw new Error(`openssl's responder did not answer: ${probe.stdout}${probe.stderr}`);
    return await fn(`http://127.0.0.1:${port}/`);
  } finally {
    try {
      process.kill(-responder.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
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

// Run directly (`node --import tsx bench/ocsp.ts --backend pglite`) or through bench/run.ts.
if (process.argv[1] === import.meta.filename) await run();
