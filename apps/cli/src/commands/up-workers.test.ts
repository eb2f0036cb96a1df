/**
 * `qoltanba up --workers N`: N processes serving one port (node:cluster), each a whole node on the shared
 * PostgreSQL database. Proven with the real command: every worker answers, a revocation made beside them reaches
 * every worker's OCSP answers, a worker killed with SIGKILL is replaced, SIGTERM stops them all; and the
 * embedded database, which one process owns, refuses more than one worker.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { inspectCertificate } from '@qoltanba/pki';
import { createTestDatabase, uniqueIin, type TestDatabase } from '@qoltanba/server/testing';
import { runQoltanba } from '../testing/run.ts';
import { startUp, type RunningUp } from '../testing/up.ts';
import { makeTestHome } from '../testing/home.ts';

const DEADLINE_MS = 60_000;

/** GET /healthz on a connection of its own (no keep-alive), so each call is a new connection for the primary to hand out. */
function health(url: string): Promise<{ worker?: number; status: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as { worker?: number; status: string }));
    });
    req.on('error', reject);
    req.end();
  });
}

function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number).sort();
  } catch {
    return [];
  }
}

async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const until = performance.now() + DEADLINE_MS;
  while (!(await check())) {
    if (performance.now() > until) assert.fail(`${what}: not within ${DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('qoltanba up --workers', () => {
  const { home, passphraseFile, cwd } = makeTestHome('qt-workers-');
  let database: TestDatabase | undefined;
  let server: RunningUp | undefined;
  after(async () => {
    // The workers first: once the primary is gone they are no longer its children to find.
    for (const pid of server ? children(server.child.pid!) : []) process.kill(pid, 'SIGKILL');
    await server?.kill();
    await database?.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  test('on the embedded database more than one worker is refused: one process owns the data directory', async () => {
    const r = await runQoltanba(['--home', home, '--passphrase-file', passphraseFile, 'up', '--workers', '2'], { ...process.env, DATABASE_URL: '' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /QT_ERR_STORE_UNSUPPORTED/);
    assert.match(r.stderr, /DATABASE_URL/);
  });

  test('on PostgreSQL, two workers share the port; a revocation reaches both OCSP caches; a killed worker is replaced; SIGTERM stops all', async () => {
    database = await createTestDatabase('postgres', { migrated: false });
    const env = { ...process.env, DATABASE_URL: database.openOptions.databaseUrl };
    server = await startUp(['--home', home, '--passphrase-file', passphraseFile], env, ['--workers', '2']);
    const primary = server.child.pid!;
    assert.equal(children(primary).length, 2);

    // The primary hands each new connection to the next worker: both answer.
    const seen = new Set<number>();
    await eventually('both workers answer /healthz', async () => {
      const h = await health(server!.url);
      if (h.worker) seen.add(h.worker);
      return seen.has(1) && seen.has(2);
    });

    // A certificate issued beside the server (on PostgreSQL the CLI opens the database itself).
    const q = (...args: string[]) => runQoltanba(['--home', home, '--passphrase-file', passphraseFile, ...args], env, { cwd });
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(cwd, 'w.key'), '-subj', '/CN=ignored', '-out', join(cwd, 'w.csr')], { stdio: 'ignore' });
    const issued = await q('issue', '--csr', 'w.csr', '--profile', 'individual-sign', '--iin', uniqueIin(), '--name', 'ТЕСТОВ ТЕСТ');
    assert.equal(issued.code, 0, issued.stderr);
    writeFileSync(join(cwd, 'w.crt'), issued.stdout);
    const serial = inspectCertificate(issued.stdout).serialHex.toLowerCase();
    const chain = join(home, 'chain.pem');
    writeFileSync(chain, readFileSync(join(home, 'ca', 'rsa.crt'), 'utf8') + readFileSync(join(home, 'ca', 'root-rsa.crt'), 'utf8'));
    // openssl ocsp opens a connection per run: four runs reach both workers, which then hold the answer in memory.
    const ocsp = () => execFileSync('openssl', ['ocsp', '-issuer', join(home, 'ca', 'rsa.crt'), '-cert', join(cwd, 'w.crt'), '-url', `${server!.url}/ocsp`, '-no_nonce', '-CAfile', chain], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    for (let i = 0; i < 4; i++) assert.match(ocsp(), /w\.crt: good/);

    const revoked = await q('revoke', serial, '--reason', 'keyCompromise');
    assert.equal(revoked.code, 0, revoked.stderr);
    await eventually('the revocation is in the answers of every worker (six connections in a row say revoked)', () => {
      for (let i = 0; i < 6; i++) if (!/w\.crt: revoked/.test(ocsp())) return false;
      return true;
    });

    // A worker dies (SIGKILL): the primary starts another, and both ports of call answer again.
    const [victim] = children(primary);
    process.kill(victim!, 'SIGKILL');
    await eventually('a new worker replaces the killed one', () => {
      const now = children(primary);
      return now.length === 2 && !now.includes(victim!);
    });
    seen.clear();
    await eventually('both workers answer again', async () => {
      const h = await health(server!.url);
      if (h.worker) seen.add(h.worker);
      return seen.has(1) && seen.has(2);
    });
    assert.match(ocsp(), /w\.crt: revoked/);

    const workers = children(primary);
    assert.equal(await server.stop(), 0);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
  });
});
