/**
 * SIGKILL during a burst of issuance (PostgreSQL: the production store, and a database that outlives the
 * killed process; PGlite's kill -9 recovery is proven in store/). A child process issues, revokes and
 * makes CRLs in a loop and is killed at a random moment. Afterwards every stored certificate is complete
 * and verifies, certificates and audit entries match one for one, the audit chain verifies, the CRL
 * numbers have no gap, everything the child reported is there — and a restarted child carries on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { inspectCertificate, parseCrl, toPem } from '@qoltanba/pki';
import { createTestDatabase } from '../store/testing/backends.ts';
import type { Store } from '../store/index.ts';
import { verifyAudit } from '../audit/index.ts';
import { caFixture, uniqueIin } from './testing/fixture.ts';
import { opensslCsr, run } from './testing/openssl.ts';
import { displaySerial, normalizeSerial } from './serial.ts';

const CHILD = fileURLToPath(new URL('./testing/burst-child.ts', import.meta.url));
const REPO = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

interface ChildRun {
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
  waitFor(predicate: (lines: string[]) => boolean, timeoutMs: number): Promise<void>;
}

function startChild(env: Record<string, string>): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    lines,
    exited,
    kill: () => child.kill('SIGKILL'),
    async waitFor(predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(lines)) {
        if (Date.now() > deadline) throw new Error(`child did not get there in ${timeoutMs} ms; stderr: ${stderr}`);
        if (child.exitCode !== null) throw new Error(`child exited early (${child.exitCode}): ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

const reported = (lines: string[], what: 'issued' | 'revoked' | 'crl') => lines.filter((l) => l.startsWith(`${what} `)).map((l) => l.slice(what.length + 1));

/** Everything that must hold after any crash; returns the number of certificates. */
async function checkConsistent(store: Store, files: { root: string; issuing: string }, childLines: string[]): Promise<number> {
  const db = store.db;
  // The killed child's backend may still be finishing a COMMIT it was sent before the kill (a batch's, with many audit
  // seals, takes a few ms more): the checks below read in several statements, so they wait until no other backend of
  // this database is inside a statement or a transaction, and all read one settled state.
  for (const deadline = Date.now() + 10_000; ; ) {
    const { rows } = await sql<{ n: string }>`
      SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'`.execute(db);
    if (Number(rows[0]?.n) === 0) break;
    if (Date.now() > deadline) throw new Error('another backend of the test database is still busy');
    await new Promise((r) => setTimeout(r, 20));
  }
  const certs = await db.selectFrom('certificates as c').innerJoin('cas as ca', 'ca.id', 'c.ca_id').select(['ca.name as ca', 'c.serial', 'c.der', 'c.subject_dn', 'c.status', 'c.not_after']).execute();
  const dir = mkdtempSync(join(tmpdir(), 'qt-burst-verify-'));
  try {
    const paths = certs.map((c, i) => {
      const info = inspectCertificate(c.der);
      assert.equal(normalizeSerial(info.serialHex), c.serial, 'the stored DER is the certificate of its row');
      assert.equal(info.subject.display, c.subject_dn);
      assert.equal(info.notAfter.getTime(), c.not_after.getTime());
      const p = join(dir, `${i}.pem`);
      writeFileSync(p, toPem('CERTIFICATE', c.der));
      return p;
    });
    if (paths.length) {
      const verdict = await run('openssl', ['verify', '-CAfile', files.root, '-untrusted', files.issuing, ...paths]);
      assert.equal(verdict.stdout.split('\n').filter((l) => /: OK$/.test(l)).length, certs.length, verdict.stdout + verdict.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const targets = (rows: { target: string | null }[]) => rows.map((r) => r.target).sort();
  const issuedAudit = await db.selectFrom('audit_log').select('target').where('action', '=', 'certificate.issued').execute();
  assert.deepEqual(targets(issuedAudit), certs.map((c) => `certificate:${c.ca}/${displaySerial(c.serial)}`).sort(), 'one issuance entry per certificate and vice versa');
  const revokedAudit = await db.selectFrom('audit_log').select('target').where('action', '=', 'certificate.revoked').execute();
  assert.deepEqual(targets(revokedAudit), certs.filter((c) => c.status === 'revoked').map((c) => `certificate:${c.ca}/${displaySerial(c.serial)}`).sort(), 'one revocation entry per revoked certificate');

  const keys = await db.selectFrom('idempotency_keys').select(['response', 'response_status']).execute();
  assert.equal(keys.length, certs.length, 'one idempotency record per certificate');
  assert.ok(keys.every((k) => k.response_status === 201 && k.response !== null));
  const stored = new Set(certs.map((c) => c.serial));
  assert.ok(keys.every((k) => stored.has((k.response as { serial: string }).serial)));

  const audit = await verifyAudit(db);
  assert.equal(audit.ok, true, JSON.stringify(audit.problems));

  const crls = await db.selectFrom('crls').select(['crl_number', 'der']).orderBy('crl_number').execute();
  crls.forEach((c, i) => {
    assert.equal(Number(c.crl_number), i + 1, 'CRL numbers start at 1 and have no gap');
    assert.equal(parseCrl(c.der).crlNumber, BigInt(c.crl_number));
  });
  const state = await db.selectFrom('crl_state as s').innerJoin('cas as ca', 'ca.id', 's.ca_id').select('s.next_crl_number').where('ca.kind', '=', 'issuing').executeTakeFirstOrThrow();
  assert.equal(Number(state.next_crl_number), crls.length + 1, 'the next CRL number follows the last one made');

  // Whatever the child reported had committed before it said so.
  for (const serial of reported(childLines, 'issued')) assert.ok(stored.has(normalizeSerial(serial)), `reported ${serial} is stored`);
  const revoked = new Set(certs.filter((c) => c.status === 'revoked').map((c) => c.serial));
  for (const serial of reported(childLines, 'revoked')) assert.ok(revoked.has(normalizeSerial(serial)), `reported revocation of ${serial} is stored`);
  const numbers = new Set(crls.map((c) => c.crl_number));
  for (const n of reported(childLines, 'crl')) assert.ok(numbers.has(n), `reported CRL ${n} is stored`);
  return certs.length;
}

test('SIGKILL during a burst of issuance leaves no half-written certificate, no skipped CRL number, and a restart carries on', { timeout: 240_000 }, async (t) => {
  const database = await createTestDatabase('postgres');
  const home = mkdtempSync(join(tmpdir(), 'qt-burst-'));
  const children: ChildRun[] = [];
  try {
    const fx = await caFixture(database.store, { home });
    const files = { root: fx.rootFile, issuing: fx.issuingFile };
    await fx.close();
    const people = await Promise.all(Array.from({ length: 4 }, async () => ({ csr: (await opensslCsr()).pem, iin: uniqueIin() })));
    const peopleFile = join(home, 'people.json');
    writeFileSync(peopleFile, JSON.stringify(people));
    const env = { QT_BURST_DATABASE_URL: database.openOptions.databaseUrl as string, QT_BURST_HOME: home, QT_BURST_PEOPLE: peopleFile };

    const victim = startChild({ ...env, QT_BURST_PREFIX: 'first' });
    children.push(victim);
    await victim.waitFor((lines) => reported(lines, 'issued').length >= 5 && reported(lines, 'crl').length >= 1, 90_000);
    const delay = randomInt(0, 400);
    await new Promise((r) => setTimeout(r, delay));
    victim.kill();
    const { signal } = await victim.exited;
    assert.equal(signal, 'SIGKILL');
    const afterKill = await checkConsistent(database.store, files, victim.lines);
    t.diagnostic(`killed ${delay} ms after the 5th issuance: ${reported(victim.lines, 'issued').length} issuances reported, ${afterKill} stored`);
    assert.ok(afterKill >= reported(victim.lines, 'issued').length);

    const successor = startChild({ ...env, QT_BURST_PREFIX: 'second', QT_BURST_LIMIT: '6' });
    children.push(successor);
    const done = await successor.exited;
    assert.equal(done.code, 0, done.stderr);
    assert.ok(successor.lines.includes('done'));
    const afterRestart = await checkConsistent(database.store, files, successor.lines);
    assert.ok(afterRestart >= afterKill + 6, `${afterRestart} certificates after the restart, ${afterKill} before`);
  } finally {
    // A failed assertion must not leave a child issuing into a database about to be dropped.
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => c.exited));
    await database.dispose();
    rmSync(home, { recursive: true, force: true });
  }
});
