/**
 * The raw-connection fast path (../../http/fast-path.ts, http.ts `fast`) on real sockets: answers from memory are
 * the node:http path's bytes; keep-alive, pipelined, split and dribbled requests are answered in order; whatever it
 * does not answer — a miss, chunked, Expect, other paths, odd framing, oversize — goes to node:http with the
 * connection, in order, and is answered exactly as a server without the fast path answers it; an incomplete or
 * idle connection is not held; during a lapse of the freshness bound requests wait on one poll, not the database.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildOcspRequest, parseOcspResponse } from '@qoltanba/pki';
import { fastPathOf } from '../../http/front-door.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { openssl, tempDir, type TempDir } from '../testing/openssl.ts';
import { createTestPki, type TestCertificate, type TestPki } from '../testing/pki.ts';
import { RawConnection, type RawResponse } from '../testing/raw-http.ts';
import { startStatusServer, type StatusHarness } from '../testing/server.ts';

describeEachBackend('OCSP fast path on the raw connection', (ctx) => {
  let pki: TestPki;
  /** With the fast path (the default). */
  let fast: StatusHarness;
  /** Without it: the node:http front door only — what every answer must equal. */
  let slow: StatusHarness;
  let leaf: TestCertificate;
  let request: Buffer;
  let getPath: string;
  let tmp: TempDir;

  const fastPath = () => fastPathOf(fast.app.server)!;
  const postHead = (length: number, version = '1.1', extra = '') => `POST /ocsp HTTP/${version}\r\nHost: ocsp.test\r\nContent-Type: application/ocsp-request\r\nContent-Length: ${length}\r\n${extra}\r\n`;
  const post = (body = request, version = '1.1', extra = '') => Buffer.concat([Buffer.from(postHead(body.length, version, extra)), body]);
  const get = (extra = '', path = getPath, version = '1.1') => `GET ${path} HTTP/${version}\r\nHost: ocsp.test\r\n${extra}\r\n`;
  const good = (r: RawResponse, what: string, serial = leaf.serial) => {
    assert.equal(r.status, 200, what);
    assert.equal(r.headers['content-type'], 'application/ocsp-response', what);
    const parsed = parseOcspResponse(new Uint8Array(r.body));
    assert.equal(parsed.status, 'successful', what);
    assert.equal(parsed.basic?.responses[0]?.certId.serial.toLowerCase().replace(/^0+/, ''), serial, what);
    return parsed;
  };
  /** The response as sent, but the Date line and max-age's count of seconds (a second may pass between two servers' answers). */
  const withoutDate = (r: RawResponse) => ({ head: r.head.filter((l) => !/^date:/i.test(l)).map((l) => l.replace(/max-age=\d+/, 'max-age=N')), body: r.body });
  const exchange = async (server: StatusHarness, bytes: Buffer | string, count = 1) => {
    const c = await RawConnection.open(server.url);
    try {
      await c.send(bytes);
      const out: RawResponse[] = [];
      for (let i = 0; i < count; i++) out.push(await c.response());
      return out;
    } finally {
      c.close();
    }
  };

  test('the status service starts twice on one test PKI: with the fast path and without', async () => {
    pki = await createTestPki(ctx.store);
    fast = await startStatusServer(ctx.store, pki);
    slow = await startStatusServer(ctx.store, pki, { fastPath: false });
    assert.ok(fastPathOf(fast.app.server));
    leaf = await pki.issueLeaf();
    request = Buffer.from(await buildOcspRequest(leaf.pem, pki.ca.pem));
    getPath = `/ocsp/${encodeURIComponent(request.toString('base64'))}`;
    tmp = tempDir();
    tmp.file('ca.pem', pki.ca.pem);
    tmp.file('trust.pem', pki.root.pem + pki.ca.pem);
    tmp.file('leaf.pem', leaf.pem);
    // Into both servers' memory (each its own cache): by the node:http path, on connections of their own.
    for (const s of [fast, slow]) {
      await fetch(`${s.url}/ocsp`, { method: 'POST', body: new Uint8Array(request) }).then((r) => r.arrayBuffer());
      await fetch(`${s.url}${getPath}`).then((r) => r.arrayBuffer());
    }
  });
  after(async () => {
    await fast?.close();
    await slow?.close();
    await pki?.close();
    tmp?.remove();
  });

  test('answers from memory are byte for byte the node:http path’s (status line, headers but Date, DER), for POST, GET and a revalidating GET', async () => {
    const etag = (await exchange(slow, get()))[0]!.headers.etag!;
    assert.ok(etag);
    const before = fastPath().answered;
    for (const [what, bytes] of [
      ['POST', post()],
      ['GET', get()],
      ['GET with If-None-Match', get(`If-None-Match: ${etag}\r\n`)],
    ] as const) {
      const [ours] = await exchange(fast, bytes);
      const [theirs] = await exchange(slow, bytes);
      assert.deepEqual(withoutDate(ours!), withoutDate(theirs!), what);
      assert.ok(ours!.head.some((l) => /^date: /i.test(l)), `${what}: a Date header`);
    }
    assert.equal(fastPath().answered - before, 3);
  });

  test('a keep-alive sequence of POSTs and GETs stays on the fast path and is answered in order', async () => {
    const c = await RawConnection.open(fast.url);
    const before = fastPath().answered;
    try {
      for (let i = 0; i < 5; i++) {
        await c.send(post(), 0);
        good(await c.response(), `POST ${i}`);
        await c.send(get(), 0);
        good(await c.response(), `GET ${i}`);
      }
      assert.equal(fastPath().answered - before, 10);
      assert.equal(fastPath().connections, 1);
      assert.equal(c.unread, 0);
    } finally {
      c.close();
    }
  });

  test('GETs and POSTs pipelined in one packet are all answered from memory, in order', async () => {
    const etag = (await exchange(slow, get()))[0]!.headers.etag!;
    const before = fastPath().answered;
    const rs = await exchange(fast, Buffer.concat([post(), Buffer.from(get()), Buffer.from(get(`If-None-Match: ${etag}\r\n`)), post(), Buffer.from(get())]), 5);
    assert.deepEqual(
      rs.map((r) => r.status),
      [200, 200, 304, 200, 200],
    );
    for (const i of [0, 1, 3, 4]) good(rs[i]!, `pipelined ${i}`);
    assert.equal(fastPath().answered - before, 5);
  });

  test('hundreds of requests pipelined in one write (answers beyond what is written at once) are all answered, in order', async () => {
    const before = fastPath().answered;
    const count = 400;
    const rs = await exchange(fast, Buffer.concat(Array.from({ length: count }, (_, i) => (i % 2 ? post() : Buffer.from(get())))), count);
    rs.forEach((r, i) => good(r, `pipelined ${i}`));
    assert.ok(fastPath().answered - before >= count * 0.9, 'most on the fast path (a packet boundary may split the rest)');
  });

  test('a request split inside its request line, its headers and its body, and one dribbled a byte at a time, are answered from memory', async () => {
    const c = await RawConnection.open(fast.url);
    const before = fastPath().answered;
    try {
      const bytes = post();
      for (const cut of [[0, 7, 30, bytes.length - 20, bytes.length]]) for (let i = 1; i < cut.length; i++) await c.send(bytes.subarray(cut[i - 1], cut[i]), 2);
      const split = await c.response();
      good(split, 'split POST');
      for (const byte of Buffer.from(get())) await c.send(Buffer.from([byte]), 1);
      good(await c.response(), 'dribbled GET');
      assert.equal(fastPath().answered - before, 2);
      assert.equal(fastPath().connections, 1);
    } finally {
      c.close();
    }
  });

  test('a pipeline cut into packets anywhere is answered exactly as when sent whole (random cuts)', async () => {
    const etag = (await exchange(slow, get()))[0]!.headers.etag!;
    const stream = Buffer.concat([Buffer.from(get()), post(), Buffer.from(get(`If-None-Match: ${etag}\r\n`)), post(request, '1.1', 'Connection: keep-alive\r\n')]);
    const whole = (await exchange(fast, stream, 4)).map((r) => withoutDate(r));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 6 }), async (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const c = await RawConnection.open(fast.url);
        try {
          for (let i = 1; i < at.length; i++) await c.send(stream.subarray(at[i - 1], at[i]), 1);
          const got = [];
          for (let i = 0; i < 4; i++) got.push(withoutDate(await c.response()));
          assert.deepEqual(got, whole);
        } finally {
          c.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  test('a miss in a pipeline hands the connection to node:http at that request: hits before it, the miss, and everything after are answered in order', async () => {
    const other = await pki.issueLeaf();
    const missing = Buffer.from(await buildOcspRequest(other.pem, pki.ca.pem));
    const before = fastPath().answered;
    const c = await RawConnection.open(fast.url);
    try {
      await c.send(
        Buffer.concat([
          Buffer.from(get()),
          post(missing),
          Buffer.from(get()),
          Buffer.from('POST /ocsp HTTP/1.1\r\nHost: ocsp.test\r\nTransfer-Encoding: chunked\r\n\r\n'),
          Buffer.from(`${request.length.toString(16)}\r\n`),
          request,
          Buffer.from('\r\n0\r\n\r\n'),
          Buffer.from('GET /api/v1/ca HTTP/1.1\r\nHost: ocsp.test\r\n\r\n'),
          post(),
        ]),
      );
      good(await c.response(), 'the hit before the miss');
      good(await c.response(), 'the miss, from the database', other.serial);
      good(await c.response(), 'the GET after the miss');
      good(await c.response(), 'the chunked POST');
      const list = await c.response();
      assert.equal(list.status, 200);
      assert.match(list.headers['content-type']!, /json/);
      assert.ok((JSON.parse(list.body.toString()) as { cas: unknown[] }).cas.length > 0);
      good(await c.response(), 'the POST at the end');
      assert.equal(c.unread, 0);
      assert.equal(fastPath().answered - before, 1);
      assert.equal(fastPath().connections, 0, 'the connection is node:http’s from the miss on');
    } finally {
      c.close();
    }
  });

  test('Expect: 100-continue, a chunked body and another path first go to node:http, which then answers the hits after them too', async () => {
    const c = await RawConnection.open(fast.url);
    try {
      await c.send(postHead(request.length, '1.1', 'Expect: 100-continue\r\n'));
      assert.equal((await c.response()).status, 100);
      await c.send(request);
      good(await c.response(), 'the POST after 100 Continue');
      await c.send(get());
      good(await c.response(), 'a GET after it, by node:http');
      assert.equal(fastPath().connections, 0);
    } finally {
      c.close();
    }
    const [list, then] = await exchange(fast, `GET /api/v1/ca HTTP/1.1\r\nHost: ocsp.test\r\n\r\n${get()}`, 2);
    assert.equal(list!.status, 200);
    good(then!, 'a GET after another path');
  });

  test('HTTP/1.0: answered and closed unless it asks for keep-alive, as node:http does; Connection: close on HTTP/1.1 is answered, then closed', async () => {
    for (const [what, bytes, closes] of [
      ['HTTP/1.0 GET', get('', getPath, '1.0'), true],
      ['HTTP/1.0 POST', post(request, '1.0'), true],
      ['HTTP/1.0 GET, keep-alive', get('Connection: keep-alive\r\n', getPath, '1.0'), false],
      ['HTTP/1.1 GET, Connection: close', get('Connection: close\r\n'), true],
    ] as const) {
      const results = [];
      for (const server of [fast, slow]) {
        const c = await RawConnection.open(server.url);
        try {
          await c.send(bytes);
          const r = await c.response();
          good(r, what);
          results.push({ ...withoutDate(r), closed: await c.closedWithin(closes ? 2000 : 300) });
        } finally {
          c.close();
        }
      }
      assert.deepEqual(results[0], results[1], what);
      assert.equal(results[0]!.closed, closes, what);
    }
  });

  test('odd or oversize requests go to node:http and get its answer: bare LF, duplicate Content-Length, obs-fold, no Host, huge header, body over the cap', async () => {
    const cases: [string, string | Buffer][] = [
      ['bare LF', `GET ${getPath} HTTP/1.1\nHost: ocsp.test\n\n`],
      ['duplicate Content-Length', Buffer.concat([Buffer.from(`POST /ocsp HTTP/1.1\r\nHost: ocsp.test\r\nContent-Length: ${request.length}\r\nContent-Length: ${request.length}\r\n\r\n`), request])],
      ['Transfer-Encoding with Content-Length', Buffer.concat([Buffer.from(`POST /ocsp HTTP/1.1\r\nHost: ocsp.test\r\nContent-Length: ${request.length}\r\nTransfer-Encoding: chunked\r\n\r\n`), request])],
      ['obs-fold', `GET ${getPath} HTTP/1.1\r\nHost: ocsp.test\r\nX-Folded: a\r\n b\r\n\r\n`],
      ['HTTP/1.1 without Host', `GET ${getPath} HTTP/1.1\r\n\r\n`],
      ['a space before the colon', `GET ${getPath} HTTP/1.1\r\nHost : ocsp.test\r\n\r\n`],
      ['a 20 KiB header', get(`X-Big: ${'a'.repeat(20_000)}\r\n`)],
      ['a body over the cap', post(Buffer.alloc(fast.ctx.config.limits.ocspRequestBytes + 1, 1))],
    ];
    for (const [what, bytes] of cases) {
      const answers = [];
      for (const server of [fast, slow]) {
        const c = await RawConnection.open(server.url);
        try {
          await c.send(bytes);
          const r = await c.response().catch(() => undefined);
          answers.push(r && { status: r.status, body: r.headers['content-type'] === 'application/ocsp-response' ? r.body : undefined });
        } finally {
          c.close();
        }
      }
      assert.deepEqual(answers[0], answers[1], what);
    }
    assert.equal(fastPath().connections, 0);
  });

  test('an incomplete request is handed to node:http within two sweeps (the fast path keeps no buffer), and node:http completes it; an idle connection is closed after keepAliveTimeout', async () => {
    const server = fast.app.server;
    const keepAlive = server.keepAliveTimeout;
    server.keepAliveTimeout = 1000;
    const c = await RawConnection.open(fast.url);
    const idle = await RawConnection.open(fast.url);
    try {
      const bytes = Buffer.from(get());
      await c.send(bytes.subarray(0, 20));
      await idle.send(get());
      good(await idle.response(), 'a GET on the connection that will stay idle');
      assert.equal(fastPath().connections, 2);
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(await idle.closedWithin(2000), 'the idle connection is closed');
      assert.equal(fastPath().connections, 0, 'the incomplete one is node:http’s');
      await c.send(bytes.subarray(20));
      good(await c.response(), 'the rest of the incomplete request, by node:http');
    } finally {
      server.keepAliveTimeout = keepAlive;
      c.close();
      idle.close();
    }
  });

  test('openssl ocsp as the client (HTTP/1.0 POST) gets a verified answer from the fast path', async () => {
    const ask = () => openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-url', `${fast.url}/ocsp`, '-CAfile', tmp.path('trust.pem'), '-no_nonce']);
    const first = await ask();
    assert.equal(first.status, 0, first.output);
    const before = fastPath().answered;
    const second = await ask();
    assert.equal(second.status, 0, second.output);
    assert.match(second.output, /^Response verify OK$/m);
    assert.match(second.output, /leaf\.pem: good/);
    assert.equal(fastPath().answered - before, 1, 'the second request was answered on the fast path');
  });

  test('during a freshness lapse, concurrent requests wait on the one poll of the change feed and are answered from memory, not each from the database — on the fast path (which keeps the connection) and on node:http', async () => {
    const lookups = countLookups(ctx.store.pool);
    try {
      for (const server of [fast, slow]) {
        const cache = server.service.ocspCache;
        const hits = cache.stats().hits;
        cache.expireFreshness();
        assert.equal(cache.isFresh(), false);
        const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? fetch(`${server.url}${getPath}`) : fetch(`${server.url}/ocsp`, { method: 'POST', body: new Uint8Array(request) })).then(async (r) => Buffer.from(await r.arrayBuffer()))));
        for (const der of answers) assert.equal(parseOcspResponse(new Uint8Array(der)).status, 'successful');
        assert.equal(lookups.count, 0, 'no request read its answer from the database');
        assert.ok(cache.stats().hits - hits >= 12);
        assert.equal(cache.isFresh(), true);
      }
      const held = fastPath().connections;
      const c = await RawConnection.open(fast.url);
      try {
        const before = fastPath().answered;
        fast.service.ocspCache.expireFreshness();
        await c.send(Buffer.concat([Buffer.from(get()), post(), Buffer.from(get())]));
        for (const what of ['GET', 'POST', 'GET']) good(await c.response(), `pipelined ${what} during a lapse`);
        assert.equal(fastPath().answered - before, 3);
        assert.equal(fastPath().connections, held + 1, 'the connection stays on the fast path');
        assert.equal(lookups.count, 0);
      } finally {
        c.close();
      }
    } finally {
      lookups.restore();
    }
  });

  test('with the change feed stopped, requests do not wait: they are read from the database at once, and the bound is never stretched', async () => {
    const lookups = countLookups(ctx.store.pool);
    try {
      await slow.service.feed.stop();
      assert.equal(slow.service.ocspCache.isFresh(), false);
      // Not waiting is shown by what happened, not by a clock: no poll was started to wait on.
      const feed = slow.service.feed;
      const sync = feed.sync;
      let polls = 0;
      feed.sync = function (this: typeof feed) {
        polls++;
        return sync.call(this);
      };
      try {
        const der = Buffer.from(await (await fetch(`${slow.url}${getPath}`)).arrayBuffer());
        assert.equal(parseOcspResponse(new Uint8Array(der)).status, 'successful');
      } finally {
        feed.sync = sync;
      }
      assert.equal(lookups.count, 1, 'read from the database');
      assert.equal(polls, 0, 'no poll of the stopped feed was started, so nothing was waited on');
      assert.equal(slow.service.ocspCache.isFresh(), false, 'nothing made the cache fresh');
    } finally {
      lookups.restore();
    }
  });
});

/** Counts the responder's database lookups (the statement named qoltanba-ocsp-lookup) on this pool until restored. */
function countLookups(pool: unknown): { readonly count: number; restore(): void } {
  const p = pool as { query: (...args: unknown[]) => unknown };
  const query = p.query;
  let count = 0;
  p.query = function (this: unknown, ...args: unknown[]) {
    if ((args[0] as { name?: string } | undefined)?.name === 'qoltanba-ocsp-lookup') count++;
    return query.apply(this, args);
  };
  return {
    get count() {
      return count;
    },
    restore: () => void (p.query = query),
  };
}
