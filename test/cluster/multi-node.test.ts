/**
 * Three `qoltanba up` nodes on one PostgreSQL, each in a network namespace of its own (ip netns + veth), behind
 * HAProxy; one signer process holds the CA keys and the audit checkpoint key. Under a steady load of issuances,
 * revocations and OCSP questions, one node is killed with SIGKILL and brought back, and PostgreSQL is restarted
 * the way a crash stops it (pg_ctl -m immediate). Then:
 *  - no acknowledged certificate is lost, no serial number and no CRL number appears twice, CRL numbers have no gap;
 *  - every revocation is in the OCSP of every node within 1 s: no node gives any status but "revoked" for a
 *    question sent more than 1 s after the revocation was acknowledged (a node that was down: from its first
 *    answer after its return), and every node does answer "revoked" (a question that gets no answer — a timeout on
 *    a busy machine, tryLater — is asked again; the send times of the first "revoked" answers are reported);
 *  - every revocation is in a published CRL within the delta-CRL period;
 *  - the periodic jobs ran once each: one run per job and minute in the ledger, one pg-boss job per minute,
 *    whichever node ran it;
 *  - `qoltanba audit verify` against the checkpoints served through HAProxy says INTACT.
 * PostgreSQL is a cluster of this test's own (initdb in a temp dir): restarting it harms no other test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildOcspRequest, derFrom, parseCrl, parseOcspResponse } from '@qoltanba/pki';
import { defaultCeremonyConfig } from '@qoltanba/server';
import { startDedicatedPostgres, type DedicatedPostgres } from '../../apps/server/src/ra/testing/dedicated-postgres.ts';
import { opensslCsr } from '../../apps/server/src/ra/testing/openssl.ts';
import { uniqueIin } from '../../apps/server/src/ra/testing/fixture.ts';
import { runQoltanba } from '../../apps/cli/src/testing/run.ts';
import { createTestNetwork, requireRoot, type NodeNetwork, type TestNetwork } from './network.ts';
import { freePort, startHaproxy, startQoltanba, type Proc, type RunningNode } from './processes.ts';

const DELTA_PERIOD_MINUTES = 2;
const WORKERS = 4;
const OCSP_WITHIN_MS = 1000;

interface Issued {
  serial: string;
  pem: string;
  ackAt: number;
}

interface Revocation extends Issued {
  revokedAckAt: number;
  /**
   * Per node: ms from the acknowledgement — or, for a node that was down then, from its return — to the sending
   * of the first question it answered "revoked".
   */
  seen: Map<number, number>;
}

interface ClusterNode {
  index: number;
  net: NodeNetwork;
  home: string;
  proc: RunningNode | undefined;
  /** Set before it is killed, cleared once it serves again: questions to it wait for its return. */
  down: boolean;
  /** When it last came back (0: never went away). */
  backAt: number;
}

/** Many holders share it; one may take it alone (no holder in progress, none admitted meanwhile). */
class Gate {
  #holders = 0;
  #closed: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#closed) await this.#closed;
    this.#holders++;
    try {
      return await fn();
    } finally {
      if (--this.#holders === 0) this.#drained?.();
    }
  }
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    let open!: () => void;
    this.#closed = new Promise((r) => (open = r));
    if (this.#holders > 0) await new Promise<void>((r) => (this.#drained = r));
    this.#drained = undefined;
    try {
      return await fn();
    } finally {
      this.#closed = undefined;
      open();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('three nodes on one PostgreSQL behind HAProxy: a node killed and back, PostgreSQL restarted — nothing acknowledged lost, nothing twice, revocations in OCSP on every node within 1 s and in a CRL within the delta period, periodic jobs once each', { timeout: 300_000 }, async (t) => {
  requireRoot();
  const work = mkdtempSync(join(tmpdir(), 'qt-cluster-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => rmSync(work, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve().then(c).catch(() => undefined);
  };
  /** On failure: the end of every process's output, for the failure message. */
  const logs: Array<() => string> = [];
  try {
    // ── machines, database, signer ────────────────────────────────────────────────────────────────────────
    const network: TestNetwork = createTestNetwork(3);
    cleanups.push(() => network.remove());
    const postgres: DedicatedPostgres = await startDedicatedPostgres({ listen: network.nodes.map((n) => n.hostIp), trust: [network.cidr], maxConnections: 300 });
    cleanups.push(() => postgres.stop());
    logs.push(() => `PostgreSQL:\n${readFileSync(postgres.logFile, 'utf8').slice(-3000)}`);
    const admin = new pg.Client(postgres.adminUrl);
    await admin.connect();
    await admin.query('CREATE DATABASE qoltanba');
    await admin.end();
    const db = new pg.Pool({ connectionString: postgres.urlOf('qoltanba'), max: 4 });
    db.on('error', () => undefined);
    cleanups.push(() => db.end());

    const haPort = await freePort();
    const publicUrl = `http://127.0.0.1:${haPort}`;
    const settings = { crl: { deltaEveryMinutes: DELTA_PERIOD_MINUTES, deltaAfterRevocationSeconds: 3 }, audit: { checkpointEveryMinutes: 1 } };
    const signerHome = join(work, 'signer');
    mkdirSync(signerHome, { recursive: true });
    const plan = defaultCeremonyConfig();
    plan.root.key.bits = 2048;
    plan.issuing[0]!.key.bits = 2048;
    plan.auditKey = { uri: 'soft:audit-checkpoints', bits: 2048 };
    writeFileSync(join(signerHome, 'ceremony.json'), JSON.stringify(plan));
    writeFileSync(join(signerHome, 'server.json'), JSON.stringify(settings));
    const signerPort = await freePort('0.0.0.0');
    const signer = await startQoltanba(['--role', 'signer', '--host', '0.0.0.0', '--port', String(signerPort), '--public-url', publicUrl], {
      QOLTANBA_HOME: signerHome,
      DATABASE_URL: postgres.urlOf('qoltanba'),
      QOLTANBA_PASSPHRASE: 'the cluster test CA passphrase',
    });
    cleanups.push(() => signer.stop());
    logs.push(() => `signer:\n${signer.output().slice(-3000)}`);

    // ── three nodes, each in its namespace, and HAProxy ───────────────────────────────────────────────────
    const nodes: ClusterNode[] = network.nodes.map((net, i) => {
      const home = join(work, `node${i + 1}`);
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'server.json'), JSON.stringify(settings));
      return { index: i + 1, net, home, proc: undefined, down: true, backAt: 0 };
    });
    const startNode = async (n: ClusterNode) => {
      n.proc = await startQoltanba(
        ['--host', '0.0.0.0', '--port', '8080', '--public-url', publicUrl, '--signer-url', `http://${n.net.hostIp}:${signerPort}`, '--signer-token-file', join(signerHome, 'secrets', 'signer-token')],
        { QOLTANBA_HOME: n.home, DATABASE_URL: `postgres://postgres@${n.net.hostIp}:${postgres.port}/qoltanba` },
        n.net.ns,
      );
      n.down = false;
    };
    await Promise.all(nodes.map(startNode));
    for (const n of nodes) logs.push(() => `node ${n.index}:\n${n.proc?.output().slice(-4000) ?? ''}`);
    cleanups.push(() => Promise.all(nodes.map((n) => n.proc?.kill())));
    const haproxy: Proc = await startHaproxy(work, haPort, nodes.map((n) => `${n.net.nodeIp}:8080`));
    cleanups.push(() => haproxy.kill());

    const token = await runQoltanba(['--home', signerHome, '--json', 'token', 'create', 'cluster-load', '--scope', 'issue', 'read', 'revoke'], { ...process.env, DATABASE_URL: postgres.urlOf('qoltanba') });
    assert.equal(token.code, 0, token.stderr);
    const auth = `Bearer ${(JSON.parse(token.stdout) as { token: string }).token}`;
    const caPem = readFileSync(join(signerHome, 'ca', 'rsa.crt'), 'utf8');
    const people = await Promise.all(Array.from({ length: WORKERS }, async () => ({ csr: (await opensslCsr()).pem, iin: uniqueIin() })));
    t.diagnostic(`cluster up: 3 nodes (${nodes.map((n) => n.net.nodeIp).join(', ')}), signer, HAProxy on ${publicUrl}`);

    // ── the load ─────────────────────────────────────────────────────────────────────────────────────────
    const issued: Issued[] = [];
    const revocations: Revocation[] = [];
    const violations: string[] = [];
    /** Answers other than "revoked" to questions sent after a revocation was acknowledged (none, or transport errors). */
    const before: string[] = [];
    const gate = new Gate();
    let running = true;
    let failedRequests = 0;

    /** POST through HAProxy until acknowledged: a failure (node killed, database restarting) is repeated as it was sent. */
    const post = async (path: string, body: object, headers: Record<string, string> = {}): Promise<Record<string, unknown>> => {
      const until = Date.now() + 90_000;
      for (;;) {
        try {
          const r = await fetch(`${publicUrl}${path}`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json', ...headers },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(20_000),
          });
          const json = (await r.json().catch(() => ({}))) as Record<string, unknown>;
          if (r.ok) return json;
          if (r.status < 500) throw new Error(`${path}: HTTP ${r.status} ${JSON.stringify(json)}`);
        } catch (e) {
          if ((e as Error).message.startsWith(path)) throw e;
        }
        failedRequests++;
        if (Date.now() > until) throw new Error(`${path}: not acknowledged within 90 s`);
        await sleep(200);
      }
    };

    const ocspAt = async (n: ClusterNode, request: Uint8Array): Promise<string> => {
      try {
        const r = await fetch(`http://${n.net.nodeIp}:8080/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request as Uint8Array<ArrayBuffer>, signal: AbortSignal.timeout(5000) });
        const parsed = parseOcspResponse(new Uint8Array(await r.arrayBuffer()));
        return (parsed.status === 'successful' ? parsed.basic?.responses[0]?.status : parsed.status) ?? 'an empty response';
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        return `no answer (${cause?.code ?? cause?.message ?? (e as Error).message})`;
      }
    };

    /**
     * Asks node n until it says "revoked". The rule: every certificate status it gives (good, revoked, unknown) for a
     * question sent more than 1 s after the revocation was acknowledged — or, for a node that was down then, after
     * its return — is "revoked"; anything else is a violation. No answer at all (a timeout, tryLater while it is busy)
     * is no wrong answer: it is asked again and counted.
     */
    const checkRevoked = async (rev: Revocation, n: ClusterNode, since = rev.revokedAckAt): Promise<void> => {
      const request = await buildOcspRequest(derFrom(rev.pem), derFrom(caPem));
      for (;;) {
        if (n.down) return; // checked again when it is back
        const sentAfter = Date.now() - since;
        const said = await ocspAt(n, request);
        if (said === 'revoked') {
          rev.seen.set(n.index, sentAfter);
          return;
        }
        if (n.down) return;
        before.push(`node ${n.index}: ${said} at +${sentAfter} ms`);
        if ((said === 'good' || said === 'unknown') && sentAfter > OCSP_WITHIN_MS) {
          violations.push(`node ${n.index} said ${said} about ${rev.serial} ${sentAfter} ms after its revocation was acknowledged (or the node came back)`);
          return;
        }
        if (sentAfter > 60_000) {
          violations.push(`node ${n.index} gave no status for ${rev.serial} for a minute (last: ${said})`);
          return;
        }
        await sleep(25);
      }
    };

    const worker = async (w: number) => {
      const person = people[w]!;
      for (let i = 0; running; i++) {
        const body = { csr: person.csr, profile: i % 2 ? 'individual-sign' : 'individual-auth', subject: { surname: 'Төлеген', name: 'Айдос', iin: person.iin }, storage: 'file' };
        const c = await post('/api/v1/certificates', body, { 'idempotency-key': randomUUID() });
        const cert: Issued = { serial: c.serial as string, pem: c.pem as string, ackAt: Date.now() };
        issued.push(cert);
        if (i % 2 === 1) continue;
        await gate.shared(async () => {
          await post(`/api/v1/certificates/rsa/${cert.serial}/revoke`, { reason: 'superseded' });
          const rev: Revocation = { ...cert, revokedAckAt: Date.now(), seen: new Map() };
          revocations.push(rev);
          await Promise.all(nodes.map((n) => checkRevoked(rev, n)));
        });
      }
    };

    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    // Should the test fail before the load is awaited, its workers stop at once and their end is no news.
    load.catch(() => undefined);
    cleanups.push(() => void (running = false));
    const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 120_000) => {
      const until = Date.now() + ms;
      while (!(await ok())) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last /healthz answers: ${JSON.stringify([...lastHealth])})`);
        await sleep(200);
      }
    };
    const lastHealth = new Map<number, string>();
    const healthy = (n: ClusterNode) =>
      fetch(`http://${n.net.nodeIp}:8080/healthz`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => (lastHealth.set(n.index, `HTTP ${r.status} ${await r.text()}`), r.ok),
        (e: Error) => (lastHealth.set(n.index, `${e.message} ${String((e as { cause?: unknown }).cause ?? '')}`), false),
      );

    // ── chaos ────────────────────────────────────────────────────────────────────────────────────────────
    const startedAt = Date.now();
    await sleep(20_000);
    const victim = nodes[1]!;
    victim.down = true;
    const killedAt = Date.now();
    await victim.proc!.kill();
    t.diagnostic(`node ${victim.index} killed (SIGKILL) after ${Math.round((killedAt - startedAt) / 1000)} s, ${issued.length} issued, ${revocations.length} revoked`);
    await sleep(5_000);
    await startNode(victim);
    victim.backAt = Date.now();
    t.diagnostic(`node ${victim.index} back after ${Math.round((Date.now() - killedAt) / 1000)} s`);
    // Everything revoked meanwhile must be "revoked" on it from its first answer.
    await gate.exclusive(async () => {
      const from = Date.now();
      await Promise.all(revocations.filter((r) => !r.seen.has(victim.index)).map((r) => checkRevoked(r, victim, from)));
    });

    await sleep(10_000);
    const pgRestart = await gate.exclusive(async () => {
      const from = Date.now();
      await postgres.restart('immediate');
      await Promise.all(nodes.map((n) => waitFor(`node ${n.index} to reach the restarted database`, () => healthy(n))));
      return { from, to: Date.now() };
    });
    t.diagnostic(`PostgreSQL restarted (-m immediate): ${pgRestart.to - pgRestart.from} ms until every node answered /healthz again`);
    await sleep(15_000);
    running = false;
    await load;
    const lastRevocation = Math.max(...revocations.map((r) => r.revokedAckAt));
    t.diagnostic(`load done: ${issued.length} certificates issued, ${revocations.length} revoked, ${failedRequests} requests repeated after a failure`);

    // ── OCSP: every revocation, every node, within 1 s ───────────────────────────────────────────────────
    if (before.length) t.diagnostic(`OCSP: ${before.length} answers before "revoked", e.g. ${before.slice(0, 12).join('; ')}`);
    assert.deepEqual(violations, []);
    for (const r of revocations) assert.deepEqual([...r.seen.keys()].sort(), [1, 2, 3], `${r.serial} was seen revoked by every node`);
    const latencies = revocations.flatMap((r) => [...r.seen.values()]).sort((a, b) => a - b);
    t.diagnostic(
      `OCSP: the first question answered "revoked" was sent, after the acknowledgement (or the node's return), ` +
        `${latencies[Math.floor(latencies.length / 2)]} ms at the median, ${latencies[latencies.length - 1]} ms at worst (${latencies.length} checks)`,
    );

    // ── nothing acknowledged lost, nothing twice ─────────────────────────────────────────────────────────
    const { rows: certs } = await db.query<{ serial: string; der: Buffer; status: string }>("SELECT c.serial, c.der, c.status FROM certificates c JOIN cas ON cas.id = c.ca_id WHERE cas.name = 'rsa'");
    const bySerial = new Map(certs.map((c) => [c.serial, c]));
    for (const c of issued) {
      const row = bySerial.get(c.serial.toLowerCase().replace(/^0+/, ''));
      assert.ok(row, `acknowledged certificate ${c.serial} is stored`);
      assert.deepEqual(new Uint8Array(row.der), derFrom(c.pem));
    }
    for (const r of revocations) assert.equal(bySerial.get(r.serial.toLowerCase().replace(/^0+/, ''))?.status, 'revoked');
    const { rows: dupSerials } = await db.query('SELECT ca_id, serial FROM certificates GROUP BY ca_id, serial HAVING count(*) > 1');
    assert.deepEqual(dupSerials, []);

    // ── CRLs: each revocation within the delta period; numbers unique and without gaps ─────────────────
    const crlCache = new Map<string, { thisUpdate: number; serials: Set<string> }>();
    const listedAt = async (): Promise<Map<string, number>> => {
      const { rows } = await db.query<{ crl_number: string; der: Buffer; this_update: Date }>("SELECT crl_number, der, this_update FROM crls WHERE ca_id = (SELECT id FROM cas WHERE name = 'rsa') ORDER BY crl_number");
      for (const r of rows) {
        if (crlCache.has(r.crl_number)) continue;
        const crl = parseCrl(r.der);
        crlCache.set(r.crl_number, { thisUpdate: r.this_update.getTime(), serials: new Set(revocations.filter((v) => crl.findRevocation(v.serial)).map((v) => v.serial)) });
      }
      const first = new Map<string, number>();
      for (const c of crlCache.values()) for (const s of c.serials) first.set(s, Math.min(first.get(s) ?? Infinity, c.thisUpdate));
      return first;
    };
    await waitFor('every revocation in a CRL', async () => (await listedAt()).size === revocations.length, lastRevocation + DELTA_PERIOD_MINUTES * 60_000 + 10_000 - Date.now());
    const first = await listedAt();
    const lateness = revocations.map((r) => first.get(r.serial)! - r.revokedAckAt);
    t.diagnostic(`CRL: a revocation was listed at most ${Math.round(Math.max(...lateness) / 1000)} s after its acknowledgement (delta period ${DELTA_PERIOD_MINUTES} min)`);
    // thisUpdate is whole seconds: a CRL made in the acknowledgement's second may read up to 1 s "earlier".
    for (const [i, r] of revocations.entries()) assert.ok(lateness[i]! <= DELTA_PERIOD_MINUTES * 60_000, `${r.serial} listed ${lateness[i]} ms after its revocation`);
    const { rows: numbers } = await db.query<{ crl_number: string }>("SELECT crl_number FROM crls WHERE ca_id = (SELECT id FROM cas WHERE name = 'rsa') ORDER BY crl_number");
    assert.deepEqual(numbers.map((n) => Number(n.crl_number)), numbers.map((_, i) => i + 1), 'CRL numbers 1..n, each once');
    const { rows: published } = await db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log WHERE action = 'crl.published' AND target = 'ca:rsa'");
    assert.equal(Number(published[0]!.n), numbers.length);

    // ── periodic jobs: once each ─────────────────────────────────────────────────────────────────────────
    // The load phase lasts about a minute, so where its minute boundaries fall is luck: wait instead until every
    // periodic job has finished the run of a minute that began after PostgreSQL's restart. That is the evidence
    // that the schedules survived the restart, and it gives at least two periods to count.
    const afterRestart = new Date(Math.ceil(pgRestart.to / 60_000) * 60_000);
    for (const job of ['qoltanba-status-tick', 'qoltanba-audit-checkpoint']) {
      await waitFor(
        `${job} to run for a minute after the database restart (from ${afterRestart.toISOString()})`,
        async () => (await db.query('SELECT 1 FROM job_runs WHERE job = $1 AND period >= $2 AND finished_at IS NOT NULL', [job, afterRestart])).rowCount! > 0,
        afterRestart.getTime() + 90_000 - Date.now(),
      );
    }
    const { rows: runs } = await db.query<{ job: string; period: Date; node: string; attempts: number; finished: boolean }>(
      "SELECT job, period, node, attempts, finished_at IS NOT NULL AS finished FROM job_runs WHERE job IN ('qoltanba-status-tick', 'qoltanba-audit-checkpoint') ORDER BY job, period",
    );
    const { rows: made } = await db.query<{ name: string; minute: string; n: string }>(
      "SELECT name, singleton_on::text AS minute, count(*) AS n FROM pgboss.job WHERE name IN ('qoltanba-status-tick', 'qoltanba-audit-checkpoint') GROUP BY 1, 2 ORDER BY 1, 2",
    );
    for (const job of ['qoltanba-status-tick', 'qoltanba-audit-checkpoint']) {
      const mine = runs.filter((r) => r.job === job);
      const minutes = mine.map((r) => r.period.getTime() / 60_000);
      t.diagnostic(`${job}: ${mine.length} runs, one per minute, on nodes ${[...new Set(mine.map((r) => r.node))].length} distinct processes; pg-boss made ${made.filter((m) => m.name === job).map((m) => m.n).join('/')} job(s) per minute`);
      assert.ok(mine.length >= 2, `${job} ran`);
      assert.equal(new Set(minutes).size, minutes.length, `${job}: one run per minute`);
      // Every minute from the first to the last run has its run, except one the database restart may have taken.
      const span = minutes[minutes.length - 1]! - minutes[0]! + 1;
      assert.ok(minutes.length >= span - 1, `${job}: ${minutes.length} runs over ${span} minutes`);
      for (const r of mine.slice(0, -1)) assert.ok(r.finished || r.attempts > 1 || Math.abs(r.period.getTime() - killedAt) < 120_000, `${job} ${r.period.toISOString()} finished`);
      for (const m of made.filter((x) => x.name === job)) assert.equal(Number(m.n), 1, `${job}: one pg-boss job for ${m.minute}, not one per node`);
    }

    // ── the audit log, against the checkpoints the cluster signed ────────────────────────────────────────
    const verify = await runQoltanba(
      ['--home', signerHome, '--json', 'audit', 'verify', '--checkpoints', `${publicUrl}/audit/checkpoints`, '--audit-key', join(signerHome, 'audit', 'checkpoint-key.pem')],
      { ...process.env, DATABASE_URL: postgres.urlOf('qoltanba') },
    );
    const verdict = JSON.parse(verify.stdout) as { ok: boolean; problems: unknown[]; checkpoints: { verified: number } };
    assert.equal(verify.code, 0, JSON.stringify(verdict.problems));
    assert.ok(verdict.checkpoints.verified >= 1);
    t.diagnostic(`audit verify: INTACT, ${verdict.checkpoints.verified} checkpoints verified through HAProxy`);
  } catch (e) {
    const tails: string[] = [];
    for (const log of logs) {
      try {
        tails.push(log());
      } catch {
        // that one is gone
      }
    }
    throw new Error(`${(e as Error).message}\n\n${tails.join('\n\n')}`, { cause: e });
  } finally {
    await cleanup();
  }
});
