import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOcspResponse } from '@qoltanba/pki';
import { sql } from 'kysely';
import { openDatabase, type Store } from '../../store/index.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createTestPki, setCertificateStatus, type TestCertificate, type TestPki } from '../testing/pki.ts';
import { openssl, tempDir, type TempDir } from '../testing/openssl.ts';
import { startStatusServer, type StatusHarness } from '../testing/server.ts';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';

/** Far longer than any test: with it, only a notification (or a reconnect's catch-up poll) can end a stale answer. */
const NO_BOUND_MS = 600_000;
/** How long a test waits for something that must happen, before it fails (not a grace period: a failure timeout). */
const DEADLINE_MS = 30_000;

describeEachBackend('OCSP answers from memory, kept in step by the change feed', (ctx) => {
  let pki: TestPki;
  let tmp: TempDir;
  const servers: StatusHarness[] = [];
  const stores: Store[] = [];
  const proxies: TcpProxy[] = [];
  let a: StatusHarness;

  test('a status service with its cache starts on a test PKI', async () => {
    pki = await createTestPki(ctx.store);
    tmp = tempDir();
    tmp.file('ca.pem', pki.ca.pem);
    tmp.file('trust.pem', pki.root.pem + pki.ca.pem);
    a = await serve(ctx.store);
  });
  after(async () => {
    for (const s of servers) await s.close();
    for (const p of proxies) await p.close();
    for (const s of stores) await s.close();
    await pki?.close();
    tmp?.remove();
  });

  async function serve(store: Store, options: { freshnessMs?: number; feedConnectionString?: string } = {}): Promise<StatusHarness> {
    const server = await startStatusServer(store, pki, {
      config: (c) => void (c.ocsp.freshnessMs = options.freshnessMs ?? c.ocsp.freshnessMs),
      service: { feedConnectionString: options.feedConnectionString },
    });
    servers.push(server);
    return server;
  }

  /** A second node on the same PostgreSQL database: its own pool, its own cache and feed. */
  async function secondNode(options: { freshnessMs?: number; feedThrough?: TcpProxy } = {}): Promise<StatusHarness> {
    const store = await openDatabase(ctx.database.openOptions);
    stores.push(store);
    return serve(store, { freshnessMs: options.freshnessMs, feedConnectionString: options.feedThrough?.url });
  }

  async function leaf(name: string): Promise<{ cert: TestCertificate; request: Buffer }> {
    const cert = await pki.issueLeaf();
    tmp.file(`${name}.pem`, cert.pem);
    await a.service.presign(pki.ca.id, [cert.serial]);
    await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path(`${name}.pem`), '-no_nonce', '-reqout', tmp.path(`${name}.req`)]);
    return { cert, request: tmp.read(`${name}.req`) };
  }

  /** POSTs the request and returns what the one answer says about the certificate, and the DER. */
  async function ask(server: StatusHarness, request: Buffer): Promise<{ status: string; der: Uint8Array }> {
    const res = await fetch(`${server.url}/ocsp`, { method: 'POST', body: new Uint8Array(request) });
    const der = new Uint8Array(await res.arrayBuffer());
    const parsed = parseOcspResponse(der);
    assert.equal(parsed.status, 'successful');
    return { status: parsed.basic!.responses[0]!.status, der };
  }

  async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
    const until = performance.now() + DEADLINE_MS;
    while (!(await check())) {
      if (performance.now() > until) assert.fail(`${what}: not within ${DEADLINE_MS} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const revoke = (serial: string) => setCertificateStatus(ctx.store, pki.ca.id, serial, { status: 'revoked', reason: 1, at: new Date('2025-05-01T00:00:00Z') });

  test('a repeated plain request is answered from memory: the same bytes, which openssl verifies, and a hit in the cache', async () => {
    const { cert, request } = await leaf('warm');
    const first = await ask(a, request);
    const before = a.service.ocspCache.stats();
    assert.ok(a.service.ocspCache.has(pki.ca.id, cert.serial));
    const second = await ask(a, request);
    assert.deepEqual(second.der, first.der);
    assert.equal(a.service.ocspCache.stats().hits, before.hits + 1);
    const check = await openssl(['ocsp', '-reqin', tmp.path('warm.req'), '-respin', tmp.file('warm.der', second.der), '-CAfile', tmp.path('trust.pem'), '-resp_text']);
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /Response verify OK/);
    assert.match(check.output, /Cert Status: good/);
  });

  test('a status change written in this process reaches the cache before the write returns (PGlite: in-process; PostgreSQL: once notified)', async () => {
    const { cert, request } = await leaf('local');
    assert.equal((await ask(a, request)).status, 'good');
    assert.ok(a.service.ocspCache.has(pki.ca.id, cert.serial));
    await revoke(cert.serial);
    if (ctx.backend === 'pglite') {
      // One process owns the data directory and PGlite delivers the NOTIFY to it inside the committing query.
      assert.equal(a.service.ocspCache.has(pki.ca.id, cert.serial), false, 'invalidated before the UPDATE returned');
      assert.equal((await ask(a, request)).status, 'revoked');
    } else {
      await eventually('the notification reaches the feed', async () => !a.service.ocspCache.has(pki.ca.id, cert.serial));
      assert.equal((await ask(a, request)).status, 'revoked');
    }
  });

  test('PostgreSQL, two nodes: a revocation made on one is answered by the other once notified — not by its poll, which is minutes away', { skip: ctx.backend === 'pglite' && 'PGlite: one process owns the database' }, async () => {
    const b = await secondNode({ freshnessMs: NO_BOUND_MS });
    const { cert, request } = await leaf('two-nodes');
    assert.equal((await ask(b, request)).status, 'good');
    assert.ok(b.service.ocspCache.has(pki.ca.id, cert.serial));
    const hits = b.service.ocspCache.stats().hits;
    assert.equal((await ask(b, request)).status, 'good');
    assert.equal(b.service.ocspCache.stats().hits, hits + 1, 'node B answers from memory');

    // As the revocation service does on node A: the change commits, then A re-signs.
    await revoke(cert.serial);
    await a.service.presignNow(pki.ca.id, cert.serial);
    await eventually('node B answers revoked', async () => (await ask(b, request)).status === 'revoked');
    const check = await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('two-nodes.pem'), '-url', `${b.url}/ocsp`, '-no_nonce', '-CAfile', tmp.path('trust.pem')]);
    assert.match(check.output, /two-nodes\.pem: revoked/);
  });

  test('PostgreSQL: the feed survives its connection being killed — it reconnects, LISTENs again and catches up on what changed meanwhile', { skip: ctx.backend === 'pglite' && 'PGlite: no second connection to kill' }, async () => {
    const b = await secondNode({ freshnessMs: NO_BOUND_MS });
    const during = await leaf('during-outage');
    const after = await leaf('after-outage');
    for (const l of [during, after]) assert.equal((await ask(b, l.request)).status, 'good');
    const pid = b.service.feed.backendPid;
    assert.ok(pid);
    await sql`SELECT pg_terminate_backend(${pid}::int)`.execute(ctx.store.db);
    // Revoked while B's feed is down or reconnecting: its notification may well be lost.
    await revoke(during.cert.serial);
    await eventually('node B answers revoked for the change made during the outage', async () => (await ask(b, during.request)).status === 'revoked');
    await eventually('the feed is back on another connection', async () => b.service.feed.backendPid !== undefined && b.service.feed.backendPid !== pid);
    await revoke(after.cert.serial);
    await eventually('node B answers revoked for a change after the outage', async () => (await ask(b, after.request)).status === 'revoked');
  });

  test('PostgreSQL: a lost notification is answered from memory no longer than the freshness bound — proven against a node without one', { skip: ctx.backend === 'pglite' && 'PGlite: a notification cannot be lost in-process' }, async () => {
    const boundMs = 1500;
    const pBound = await startTcpProxy(ctx.store.connectionString);
    const pNoBound = await startTcpProxy(ctx.store.connectionString);
    proxies.push(pBound, pNoBound);
    // Each node's feed (LISTEN and polls) goes through its own relay; its lookups go straight to the database.
    const bounded = await secondNode({ freshnessMs: boundMs, feedThrough: pBound });
    const unbounded = await secondNode({ freshnessMs: NO_BOUND_MS, feedThrough: pNoBound });
    const { cert, request } = await leaf('lost-notification');
    for (const node of [bounded, unbounded]) {
      assert.equal((await ask(node, request)).status, 'good');
      assert.ok(node.service.ocspCache.has(pki.ca.id, cert.serial));
    }

    // Both feeds' links hang: the notification and every poll are held, nothing fails.
    pBound.stall();
    pNoBound.stall();
    await revoke(cert.serial);
    const committedAt = performance.now();

    // The node without a bound keeps saying "good" from memory: the notification really was lost to it.
    assert.equal((await ask(unbounded, request)).status, 'good');
    assert.ok(unbounded.service.ocspCache.stats().fresh);

    // Wait for the bound (from the commit: any poll that could vouch for the cache began before it) and check.
    const wait = committedAt + boundMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 1));
    assert.equal(bounded.service.ocspCache.stats().fresh, false, 'past the bound, the cache is not trusted');
    assert.equal((await ask(bounded, request)).status, 'revoked', 'past the bound, the answer is read from the database');

    // The links come back: the held notification reaches the other node, and the bounded feed recovers.
    pNoBound.resume();
    pBound.resume();
    await eventually('the held notification reaches the node without a bound', async () => (await ask(unbounded, request)).status === 'revoked');
    await eventually('the bounded node answers from memory again', async () => {
      await ask(bounded, request);
      return bounded.service.ocspCache.stats().fresh && bounded.service.ocspCache.has(pki.ca.id, cert.serial);
    });
  });
});
