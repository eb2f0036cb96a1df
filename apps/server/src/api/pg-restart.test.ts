/**
 * PostgreSQL restarted under load (PostgreSQL only: PGlite lives in the process and cannot restart under
 * it). A cluster of this test's own is restarted (pg_ctl restart -m fast) while issuance requests flow
 * through the HTTP API: requests in flight must fail fast with 503 QT_ERR_STORE_UNAVAILABLE — never hang,
 * never a 500 or driver text — and succeed again afterwards. A request that failed may still have
 * committed (its COMMIT was cut off); repeating it with its Idempotency-Key must settle that, never
 * producing a second certificate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, openDatabase } from '../store/index.ts';
import { verifyAudit } from '../audit/index.ts';
import { startDedicatedPostgres } from '../ra/testing/dedicated-postgres.ts';
import { uniqueIin } from '../ra/testing/fixture.ts';
import { opensslCsr } from '../ra/testing/openssl.ts';
import { apiHarness } from './testing/harness.ts';

interface Outcome {
  key: string;
  payload: string;
  status: number;
  code: string | undefined;
  body: string;
  ms: number;
}

const WORKERS = 6;

test('PostgreSQL restarted under load: in-flight requests get 503 QT_ERR_STORE_UNAVAILABLE quickly, later ones succeed, retries never double', { timeout: 180_000 }, async (t) => {
  const cluster = await startDedicatedPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-restart-'));
  const admin = new pg.Client(cluster.adminUrl);
  await admin.connect();
  await admin.query('CREATE DATABASE qoltanba');
  await admin.end();
  const store = await openDatabase({ databaseUrl: cluster.urlOf('qoltanba'), dataDir, poolSize: WORKERS + 2, acquireTimeoutMs: 5_000 });
  const h = await (async () => {
    await migrate(store.db);
    return apiHarness(store);
  })();
  try {
    const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
    // One key per worker, always for the same person: repeated issuance to its owner is allowed.
    const people = await Promise.all(Array.from({ length: WORKERS }, async () => ({ csr: (await opensslCsr()).pem, iin: uniqueIin() })));
    const send = async (key: string, payload: string): Promise<Outcome> => {
      const start = performance.now();
      const r = await fetch(`${address}/api/v1/certificates`, {
        method: 'POST',
        headers: { authorization: h.auth.issuer, 'content-type': 'application/json', 'idempotency-key': key },
        body: payload,
        signal: AbortSignal.timeout(20_000),
      });
      const body = await r.text();
      let code: string | undefined;
      try {
        code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
      } catch {
        code = undefined;
      }
      return { key, payload, status: r.status, code, body, ms: performance.now() - start };
    };

    type Phase = 'before' | 'restarting' | 'after';
    let phase = 'before' as Phase;
    const outcomes: (Outcome & { phase: Phase })[] = [];
    let stop = false;
    let n = 0;
    const workers = people.map(async (p, w) => {
      while (!stop) {
        const payload = JSON.stringify({ csr: p.csr, profile: n % 2 ? 'individual-sign' : 'individual-auth', subject: { surname: 'Төлеген', name: 'Айдос', iin: p.iin }, storage: 'file' });
        const started: Phase = phase;
        const o = await send(`restart-${w}-${n++}`, payload);
        outcomes.push({ ...o, phase: started === 'before' && (phase as Phase) !== 'before' ? 'restarting' : started });
      }
    });

    await waitFor(() => outcomes.filter((o) => o.status === 201).length >= 10, 60_000);
    phase = 'restarting';
    await cluster.restart();
    phase = 'after';
    // Keep the load on until a run of successes shows the service recovered.
    await waitFor(() => {
      const after = outcomes.filter((o) => o.phase === 'after');
      return after.length >= 12 && after.slice(-WORKERS * 2).every((o) => o.status === 201);
    }, 60_000);
    stop = true;
    await Promise.all(workers);

    const failures = outcomes.filter((o) => o.status !== 201);
    assert.ok(failures.length > 0, 'the restart should have cut off some requests');
    for (const f of failures) {
      assert.equal(f.status, 503, f.body);
      assert.ok(f.code === 'QT_ERR_STORE_UNAVAILABLE' || f.code === 'QT_ERR_STORE_BUSY', f.body);
      assert.doesNotMatch(f.body, /terminating connection|administrator command|ECONNREFUSED|at .*\.ts:\d+/, f.body);
    }
    assert.ok(outcomes.every((o) => o.ms < 15_000), `slowest request took ${Math.max(...outcomes.map((o) => o.ms)).toFixed(0)} ms`);

    // Settle every failed request with its own key: it either committed (200, replayed) or not (201 now).
    const settled = await Promise.all(failures.map((f) => send(f.key, f.payload)));
    for (const s of settled) assert.ok(s.status === 200 || s.status === 201, s.body);
    const keys = new Set(outcomes.map((o) => o.key));
    t.diagnostic(
      `${outcomes.length} requests, ${failures.length} cut off by the restart (${[...new Set(failures.map((f) => f.code))].join(', ')}), ` +
        `slowest ${Math.max(...outcomes.map((o) => o.ms)).toFixed(0)} ms; on retry ${settled.filter((s) => s.status === 200).length} had committed, ` +
        `${settled.filter((s) => s.status === 201).length} had not`,
    );
    const certificates = Number((await store.db.selectFrom('certificates').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    assert.equal(certificates, keys.size, 'one certificate per idempotency key, no more, no fewer');
    const serials = [...outcomes.filter((o) => o.status === 201), ...settled].map((o) => (JSON.parse(o.body) as { serial: string }).serial);
    assert.equal(new Set(serials).size, keys.size);
    assert.equal((await verifyAudit(store.db)).ok, true);
    const issued = Number((await store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'certificate.issued').executeTakeFirstOrThrow()).n);
    assert.equal(issued, keys.size);
  } finally {
    await h.close();
    await store.close();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the load');
    await new Promise((r) => setTimeout(r, 25));
  }
}
